"""Every Redis key of the specialist queue and every Lua script that changes them, in one place.

Each change of the live queues is one script, so it happens atomically: under any interleaving of
workers and operators no conversation is offered twice, connected twice or dropped.

Layout under `P = "{settings.redis_prefix}:sq"`:

- `P:seq` — global entry counter (started at the clock in ms, so entries made after Redis lost its
  data still sort after the ones rebuilt from SQL); FIFO order inside a priority class.
- `P:queues` — set of queue names `skill:lang`.
- `P:q:{skill}:{lang}` — sorted set of waiting conversations, score `class * CLASS + seq`
  (class 0 emergency, 1 callback due, 2 normal), lowest first.
- `P:e:{conversation}` — hash: the entry (queue, class, seq, state, channel, kind, times, operator…).
  A closed entry stays a while as a tombstone, so a rebuild from SQL cannot bring it back.
- `P:offers` — sorted set conversation → offer deadline; `P:oq:{skill}:{lang}` — set of a queue's conversations
  on offer (they still wait: counted ahead of those in `P:q`); `P:scheduled` — callbacks → due time.
- `P:op:{id}` — hash: an operator's state, reason, skills, languages, capacity (`chats`, `calls`), offer, and
  `phone` and `identity` (their user name), where an accepted call goes.
- `P:hold:{id}` — hash: the conversations an operator holds → their slot (`chat`, or `call` for a call or a
  callback); `P:wrap:{id}` — hash: those closed and waiting for the wrap-up form → their slot while the
  wrap-up time runs (it keeps the slot taken), `late` after it.
- `P:ops` — set of operators seen; `P:available` — operators who may take another conversation now → their
  load (held and wrapping up) × LOAD + since when (the least loaded, then the longest idle, first);
  `P:wrapups` — `{id}|{conversation}` in wrap-up → when its wrap-up time ends.
- `P:aht:{queue}` — list of the latest handling times (seconds), for the estimated wait.
- `P:offers_made` — counter numbering offers in the order Redis made them.
- `P:alive` — the run id of the server a rebuild was made on; missing or another server's (Redis lost
  its data, restarted, or a replica took over) means the queues need one.
- `P:chat-ids` — hash: `seen`, the highest chat message id SQL gave; `kept`, the last id given to a message kept
  while the database was unreachable; `P:kept-chat:{conversation}` — hash: such messages by id (JSON) and
  `c:{client id}` → id, until written (`specialist_queue.messages`).
- `P:notify` — pub/sub channel: something changed; `P:chat:{conversation}` — a new chat message;
  `P:signal:{conversation}` — typing and seen (`P:typing:…` throttles them, `P:seen:…` keeps the last seen id).
"""

from __future__ import annotations

from specialist_queue.model import DEFAULT_CALLS, DEFAULT_CHATS

CLASS = 10**13  # score step between priority classes; seq (≈ ms since 1970) stays far below it


def base(prefix: str) -> str:
    return f"{prefix}:sq"


def entry(prefix: str, conversation_id: str) -> str:
    return f"{base(prefix)}:e:{conversation_id}"


def queue(prefix: str, name: str) -> str:
    return f"{base(prefix)}:q:{name}"


def queues(prefix: str) -> str:
    return f"{base(prefix)}:queues"


def offered(prefix: str, name: str) -> str:
    return f"{base(prefix)}:oq:{name}"


def operator(prefix: str, operator_id: int | str) -> str:
    return f"{base(prefix)}:op:{operator_id}"


def held(prefix: str, operator_id: int | str) -> str:
    return f"{base(prefix)}:hold:{operator_id}"


def wrapping(prefix: str, operator_id: int | str) -> str:
    return f"{base(prefix)}:wrap:{operator_id}"


def operators(prefix: str) -> str:
    return f"{base(prefix)}:ops"


def handling_times(prefix: str, name: str) -> str:
    return f"{base(prefix)}:aht:{name}"


def alive(prefix: str) -> str:
    return f"{base(prefix)}:alive"


def notify_channel(prefix: str) -> str:
    return f"{base(prefix)}:notify"


def chat_channel(prefix: str, conversation_id: str) -> str:
    return f"{base(prefix)}:chat:{conversation_id}"


def signal_channel(prefix: str, conversation_id: str) -> str:
    """Pub/sub: someone is typing in the conversation, or saw the other side's messages (`presence`)."""
    return f"{base(prefix)}:signal:{conversation_id}"


def typing(prefix: str, conversation_id: str, who: str) -> str:
    """Set for a few seconds after `who` ('citizen' or 'operator') was said to be typing: the throttle."""
    return f"{base(prefix)}:typing:{conversation_id}:{who}"


def seen(prefix: str, conversation_id: str, who: str) -> str:
    """The id of the last chat message `who` has seen of the other side's (kept as long as a conversation lasts)."""
    return f"{base(prefix)}:seen:{conversation_id}:{who}"


PUSHED_SECONDS = 2 * 24 * 3600  # longer than any conversation with a person lasts


def pushed(prefix: str, conversation_id: str) -> str:
    """The id of the last specialist's message pushed to the conversation's channel (`follow`)."""
    return f"{base(prefix)}:pushed:{conversation_id}"


def pushed_typing(prefix: str, conversation_id: str) -> str:
    """Set while one worker tells the conversation's messenger that the specialist types (the others do not)."""
    return f"{base(prefix)}:pushed:{conversation_id}:typing"


def told_place(prefix: str, conversation_id: str) -> str:
    """The place in line a waiting messenger citizen was last told, and when (`places`)."""
    return f"{base(prefix)}:pushed:{conversation_id}:place"


def pushed_closing(prefix: str, conversation_id: str, seq: int) -> str:
    """Set once the conversation's `seq`-th closing was pushed to its channel."""
    return f"{base(prefix)}:pushed:{conversation_id}:closed:{seq}"


# Shared by every script. ARGV[1] is always P; keys are built inside the scripts because an offer
# looks at queues it only learns about while running (one Redis server, not a cluster).
_PRELUDE = (
    f"local DEFAULT_CHATS, DEFAULT_CALLS = {DEFAULT_CHATS}, {DEFAULT_CALLS}\n"
    + """
local P = ARGV[1]
local CLASS = 1e13
local function key(...) return P .. ':' .. table.concat({...}, ':') end
local function blank(v) return v == nil or v == false or v == '' end
local function listed(csv, item)
  if blank(csv) then return true end
  for v in string.gmatch(csv, '[^,]+') do if v == item then return true end end
  return false
end
local function num(v) return string.format('%.0f', v) end
local function entry(conv)
  local fields = redis.call('HGETALL', key('e', conv))
  table.insert(fields, 1, conv)
  return fields
end
-- No longer on offer: out of the offers and of its queue's offered set.
local function unoffer(conv)
  redis.call('ZREM', key('offers'), conv)
  local q = redis.call('HGET', key('e', conv), 'queue')
  if q then redis.call('SREM', key('oq', q), conv) end
end
local function place(conv)
  local e = key('e', conv)
  local q, class, seq = unpack(redis.call('HMGET', e, 'queue', 'class', 'seq'))
  redis.call('SREM', key('oq', q), conv)
  redis.call('ZADD', key('q', q), num(tonumber(class) * CLASS + tonumber(seq)), conv)
  redis.call('SADD', key('queues'), q)
  redis.call('HSET', e, 'state', 'waiting', 'operator', '', 'deadline', '')
end
-- The slot a conversation takes: a chat, or a call (a callback is a call the specialist makes).
local function slot(kind) if kind == 'chat' then return 'chat' end return 'call' end
-- How far down a queue an operator with room for only one kind looks for the first of that kind.
local SCAN = 100
-- The first chat and the first call of a queue ({slot = {conv, score}}), nil when it is empty.
local function head(q)
  local list = redis.call('ZRANGE', key('q', q), 0, SCAN - 1, 'WITHSCORES')
  if list[1] == nil then return nil end
  local found = {}
  for i = 1, #list, 2 do
    local s = slot(redis.call('HGET', key('e', list[i]), 'kind'))
    if found[s] == nil then found[s] = {list[i], tonumber(list[i + 1])} end
    if found.chat and found.call then break end
  end
  return found
end
local function heads()
  local found = {}
  for _, q in ipairs(redis.call('SMEMBERS', key('queues'))) do found[q] = head(q) end
  return found
end
-- Free slots by kind (capacity minus held minus wrapping up within the wrap-up time), and the load.
local function room(op)
  local chats, calls = unpack(redis.call('HMGET', key('op', op), 'chats', 'calls'))
  local left = {chat = tonumber(chats) or DEFAULT_CHATS, call = tonumber(calls) or DEFAULT_CALLS}
  local load = 0
  for _, k in ipairs({'hold', 'wrap'}) do
    local taken = redis.call('HVALS', key(k, op))
    for _, s in ipairs(taken) do
      if left[s] then left[s] = left[s] - 1; load = load + 1 end
    end
  end
  return left, load
end
local function free(op)
  local state, offer = unpack(redis.call('HMGET', key('op', op), 'state', 'offer'))
  if not (state == 'available' or state == 'busy') or not blank(offer) then return false end
  local left = room(op)
  return left.chat > 0 or left.call > 0
end
-- The waiting head an operator may take with the best score, in a slot they have free: emergencies from
-- any queue in a language they speak, everything else only from their skills. → queue, slot
local function pick(found, op)
  local skills, langs = unpack(redis.call('HMGET', key('op', op), 'skills', 'langs'))
  local left = room(op)
  local best, best_slot, best_score = nil, nil, nil
  for q, h in pairs(found) do
    local skill, lang = string.match(q, '^(.+):([^:]+)$')
    if listed(langs, lang) then
      for s, c in pairs(h) do
        if left[s] > 0 and (c[2] < CLASS or listed(skills, skill)) and (best_score == nil or c[2] < best_score) then
          best, best_slot, best_score = q, s, c[2]
        end
      end
    end
  end
  return best, best_slot
end
local function offer(found, q, s, op, deadline)
  local conv = found[q][s][1]
  redis.call('ZREM', key('q', q), conv)
  found[q] = head(q)
  redis.call('HSET', key('e', conv), 'state', 'offered', 'operator', op, 'deadline', deadline)
  redis.call('ZADD', key('offers'), deadline, conv)
  redis.call('SADD', key('oq', q), conv)
  redis.call('HSET', key('op', op), 'offer', conv)
  local made = redis.call('INCR', key('offers_made'))
  local result = entry(conv)
  table.insert(result, 2, num(made))
  table.insert(result, 3, redis.call('GET', key('seq')))
  return result
end
local function become(op, state, now, reason)
  redis.call('HSET', key('op', op), 'state', state, 'since', now, 'reason', reason or '')
end
-- After any change of what an operator holds or chose: busy while holding a conversation, in wrap-up while
-- a wrap-up time runs, else available (a paused or offline operator stays so); and whether they may take
-- another conversation now, the least loaded first, then the longest idle.
local LOAD = 1e10
local function settle(op, now)
  local state = redis.call('HGET', key('op', op), 'state')
  if state == 'available' or state == 'busy' or state == 'wrap_up' then
    local want = 'available'
    if redis.call('HLEN', key('hold', op)) > 0 then
      want = 'busy'
    else
      for _, s in ipairs(redis.call('HVALS', key('wrap', op))) do
        if s ~= 'late' then want = 'wrap_up' end
      end
    end
    if want ~= state then become(op, want, now, '') end
    state = want
  end
  local left, load = room(op)
  if (state == 'available' or state == 'busy') and (left.chat > 0 or left.call > 0) then
    local current = redis.call('ZSCORE', key('available'), op)
    if not current or math.floor(tonumber(current) / LOAD) ~= load then
      redis.call('ZADD', key('available'), string.format('%.3f', load * LOAD + tonumber(now)), op)
    end
  else
    redis.call('ZREM', key('available'), op)
  end
end
-- An operator's wrap-up times end now: the slots are free, the forms stay until they are sent.
local function end_wrap_times(op)
  local w = key('wrap', op)
  local pending = redis.call('HGETALL', w)
  for i = 1, #pending, 2 do
    if pending[i + 1] ~= 'late' then
      redis.call('HSET', w, pending[i], 'late')
      redis.call('ZREM', key('wrapups'), op .. '|' .. pending[i])
    end
  end
end
local function new_seq(now_ms)
  if redis.call('EXISTS', key('seq')) == 0 then redis.call('SET', key('seq'), now_ms) end
  return redis.call('INCR', key('seq'))
end
"""
)

# ARGV: P, conversation, queue, class, now, now_ms, channel, kind, priority, lang, external id
# → {1, seq} entered; {0, seq, state} it is already there (enqueue is idempotent).
ENQUEUE = (
    _PRELUDE
    + """
local conv, q, class = ARGV[2], ARGV[3], ARGV[4]
local e = key('e', conv)
local state = redis.call('HGET', e, 'state')
if state and state ~= 'closed' then return {0, redis.call('HGET', e, 'seq'), state} end
local seq = new_seq(ARGV[6])
redis.call('DEL', e)
redis.call('HSET', e, 'queue', q, 'class', class, 'seq', num(seq), 'enqueued', ARGV[5], 'channel', ARGV[7],
  'kind', ARGV[8], 'priority', ARGV[9], 'lang', ARGV[10], 'attempts', 0, 'phone', '', 'external', ARGV[11])
place(conv)
return {1, num(seq)}
"""
)

# ARGV: P, conversation, operator skills, operator langs, operator name, chats, calls, then field/value pairs
# of the entry (state waiting|scheduled|connected). Puts back an entry read from SQL unless the
# conversation is known here (even as a tombstone).
RESTORE = (
    _PRELUDE
    + """
local conv = ARGV[2]
local e = key('e', conv)
if redis.call('EXISTS', e) == 1 then return 0 end
local fields = {}
for i = 8, #ARGV, 2 do fields[ARGV[i]] = ARGV[i + 1]; redis.call('HSET', e, ARGV[i], ARGV[i + 1]) end
local seq = tonumber(fields.seq)
if tonumber(redis.call('GET', key('seq')) or '0') < seq then redis.call('SET', key('seq'), fields.seq) end
if fields.state == 'scheduled' then
  redis.call('ZADD', key('scheduled'), fields.due, conv)
elseif fields.state == 'connected' then
  local op = fields.operator
  redis.call('SADD', key('ops'), op)
  redis.call('HSET', key('op', op), 'offer', '', 'skills', ARGV[3], 'langs', ARGV[4], 'name', ARGV[5])
  if not blank(ARGV[6]) then redis.call('HSET', key('op', op), 'chats', ARGV[6], 'calls', ARGV[7]) end
  redis.call('HSET', key('hold', op), conv, slot(fields.kind))
  if redis.call('HGET', key('op', op), 'state') ~= 'busy' then become(op, 'busy', fields.connected, '') end
  settle(op, fields.connected)
else
  place(conv)
end
return 1
"""
)

# ARGV: P, operator, state (available|paused|offline), reason, now, skills csv, langs csv, name, chats, calls,
# phone, identity
# → {'busy'} going offline while they hold a conversation; else {'ok', previous state, offer given back or ''}.
# Paused while holding conversations: no new ones are offered. Available ends any wrap-up time early (the
# wrap-up forms stay).
SET_STATE = (
    _PRELUDE
    + """
local op, state = ARGV[2], ARGV[3]
local o = key('op', op)
local before, offered = unpack(redis.call('HMGET', o, 'state', 'offer'))
if state == 'offline' and redis.call('HLEN', key('hold', op)) > 0 then return {'busy', before or 'offline', ''} end
local returned = ''
if not blank(offered) and state ~= 'available' then
  place(offered)
  unoffer(offered)
  redis.call('HSET', o, 'offer', '')
  returned = offered
end
redis.call('SADD', key('ops'), op)
redis.call('HSET', o, 'skills', ARGV[6], 'langs', ARGV[7], 'name', ARGV[8], 'chats', ARGV[9], 'calls', ARGV[10],
  'phone', ARGV[11], 'identity', ARGV[12])
if state == 'available' then
  end_wrap_times(op)
  if before ~= 'available' and before ~= 'busy' then become(op, state, ARGV[5], '') end
elseif before ~= state or ARGV[4] ~= redis.call('HGET', o, 'reason') then
  become(op, state, ARGV[5], ARGV[4])
end
settle(op, ARGV[5])
return {'ok', before or 'offline', returned}
"""
)

# ARGV: P, operator, deadline → the offered entry {conv, offer no, seq horizon, fields…} or {}.
OFFER = (
    _PRELUDE
    + """
local op = ARGV[2]
if not free(op) then return {} end
local found = heads()
local q, s = pick(found, op)
if q == nil then return {} end
return offer(found, q, s, op, ARGV[3])
"""
)

# ARGV: P, deadline → one offered entry per operator with a free slot, the least loaded and longest idle first.
DISPATCH = (
    _PRELUDE
    + """
local made = {}
local found = nil
for _, op in ipairs(redis.call('ZRANGE', key('available'), 0, -1)) do
  if free(op) then
    found = found or heads()
    if next(found) == nil then break end
    local q, s = pick(found, op)
    if q ~= nil then
      local result = offer(found, q, s, op, ARGV[2])
      table.insert(result, 1, op)
      table.insert(made, result)
    end
  end
end
return made
"""
)

# ARGV: P, operator, conversation, now → {'ok', conv, fields…} | {'not_offered'} | {'expired'}
ACCEPT = (
    _PRELUDE
    + """
local op, conv, now = ARGV[2], ARGV[3], ARGV[4]
local e = key('e', conv)
local state, operator, deadline, kind = unpack(redis.call('HMGET', e, 'state', 'operator', 'deadline', 'kind'))
if state ~= 'offered' or operator ~= op then return {'not_offered'} end
if tonumber(deadline) < tonumber(now) then return {'expired'} end
redis.call('HSET', e, 'state', 'connected', 'connected', now)
unoffer(conv)
redis.call('HSET', key('op', op), 'offer', '')
redis.call('HSET', key('hold', op), conv, slot(kind))
settle(op, now)
local result = entry(conv)
table.insert(result, 1, 'ok')
return result
"""
)

# ARGV: P, operator, conversation, now → 1 when a connection that could not be made is undone:
# the conversation goes back to its place and the operator's slot is free again.
UNDO_ACCEPT = (
    _PRELUDE
    + """
local op, conv = ARGV[2], ARGV[3]
local e = key('e', conv)
if redis.call('HGET', e, 'state') ~= 'connected' or redis.call('HGET', e, 'operator') ~= op then return 0 end
place(conv)
redis.call('HDEL', key('hold', op), conv)
settle(op, ARGV[4])
return 1
"""
)

# The operator lets go of a conversation they hold: its wrap-up keeps the slot until `wrap_until` (or the form);
# the handling time is kept.
_RELEASE = """
local function release(op, conv, now, wrap_until)
  local e = key('e', conv)
  local state, operator, connected, q = unpack(redis.call('HMGET', e, 'state', 'operator', 'connected', 'queue'))
  if state ~= 'connected' or operator ~= op then return nil end
  local handled = string.format('%.1f', tonumber(now) - tonumber(connected))
  redis.call('LPUSH', key('aht', q), handled)
  redis.call('LTRIM', key('aht', q), 0, 49)
  local s = redis.call('HGET', key('hold', op), conv) or 'chat'
  redis.call('HDEL', key('hold', op), conv)
  redis.call('HSET', key('wrap', op), conv, s)
  redis.call('ZADD', key('wrapups'), wrap_until, op .. '|' .. conv)
  settle(op, now)
  return handled
end
"""

# ARGV: P, operator, conversation, now, wrap-up until, tombstone ttl → {handled seconds, conv, fields…} | {}
CLOSE = (
    _PRELUDE
    + _RELEASE
    + """
local conv = ARGV[3]
local handled = release(ARGV[2], conv, ARGV[4], ARGV[5])
if handled == nil then return {} end
redis.call('HSET', key('e', conv), 'state', 'closed', 'closed', ARGV[4])
redis.call('EXPIRE', key('e', conv), ARGV[6])
local result = entry(conv)
table.insert(result, 1, handled)
return result
"""
)

# ARGV: P, operator, conversation, now, wrap-up until, due → {handled, conv, fields…} | {}
# A callback nobody answered waits again, at its place, until `due`.
CALLBACK_RETRY = (
    _PRELUDE
    + _RELEASE
    + """
local conv, due = ARGV[3], ARGV[6]
local handled = release(ARGV[2], conv, ARGV[4], ARGV[5])
if handled == nil then return {} end
local e = key('e', conv)
redis.call('HSET', e, 'state', 'scheduled', 'operator', '', 'due', due)
redis.call('HINCRBY', e, 'attempts', 1)
redis.call('ZADD', key('scheduled'), due, conv)
local result = entry(conv)
table.insert(result, 1, handled)
return result
"""
)

# ARGV: P, operator, conversation, now → 1 when this conversation waited for their wrap-up form (once); its
# slot is free again.
END_WRAP_UP = (
    _PRELUDE
    + """
local op, conv = ARGV[2], ARGV[3]
if redis.call('HDEL', key('wrap', op), conv) == 0 then return 0 end
redis.call('ZREM', key('wrapups'), op .. '|' .. conv)
settle(op, ARGV[4])
return 1
"""
)

# ARGV: P, now → {op, …} whose wrap-up time of a conversation is over (its slot free; the form stays).
EXPIRE_WRAP_UPS = (
    _PRELUDE
    + """
local done, seen = {}, {}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', key('wrapups'), '-inf', ARGV[2])) do
  redis.call('ZREM', key('wrapups'), member)
  local op, conv = string.match(member, '^(.-)|(.*)$')
  if redis.call('HEXISTS', key('wrap', op), conv) == 1 then redis.call('HSET', key('wrap', op), conv, 'late') end
  settle(op, ARGV[2])
  if not seen[op] then seen[op] = true; table.insert(done, op) end
end
return done
"""
)

# ARGV: P, now → {{conv, fields…}, …}: offers not accepted in time go back to their place, and the
# operator who let it ring is paused (as Asterisk's autopause), so it goes to the next operator.
EXPIRE_OFFERS = (
    _PRELUDE
    + """
local gone = {}
for _, conv in ipairs(redis.call('ZRANGEBYSCORE', key('offers'), '-inf', ARGV[2])) do
  local result = entry(conv)
  local op = redis.call('HGET', key('e', conv), 'operator')
  place(conv)
  unoffer(conv)
  if not blank(op) then
    redis.call('HSET', key('op', op), 'offer', '')
    become(op, 'paused', ARGV[2], 'missed_offer')
    settle(op, ARGV[2])
  end
  table.insert(gone, result)
end
return gone
"""
)

# ARGV: P, conversation, now, tombstone ttl → {previous state, conv, fields…} | {}
# The citizen left (hung up, closed the chat) before a person took the conversation. A callback
# is not abandoned when its call ends: the citizen is waiting to be called.
ABANDON = (
    _PRELUDE
    + """
local conv = ARGV[2]
local e = key('e', conv)
local state, q, op, kind = unpack(redis.call('HMGET', e, 'state', 'queue', 'operator', 'kind'))
if kind == 'callback' or (state ~= 'waiting' and state ~= 'offered') then return {} end
redis.call('ZREM', key('q', q), conv)
unoffer(conv)
if state == 'offered' and not blank(op) then redis.call('HSET', key('op', op), 'offer', '') end
redis.call('HSET', e, 'state', 'closed', 'closed', ARGV[3], 'operator', '')
redis.call('EXPIRE', e, ARGV[4])
local result = entry(conv)
table.insert(result, 1, state)
return result
"""
)

# ARGV: P, conversation, phone, now, due, now_ms, queue, lang, channel, priority
# → {'kept', seq} the waiting entry became a callback at its place; {'new', seq}; {'connected'}.
CALLBACK = (
    _PRELUDE
    + """
local conv, phone, now, due = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local e = key('e', conv)
local state = redis.call('HGET', e, 'state')
if state == 'connected' then return {'connected'} end
local outcome = 'kept'
if state ~= 'waiting' and state ~= 'offered' and state ~= 'scheduled' then
  outcome = 'new'
  redis.call('DEL', e)
  redis.call('HSET', e, 'queue', ARGV[7], 'class', ARGV[10] == 'emergency' and 0 or 2, 'seq', num(new_seq(ARGV[6])),
    'enqueued', now, 'channel', ARGV[9], 'priority', ARGV[10], 'lang', ARGV[8], 'attempts', 0, 'state', 'new')
  redis.call('PERSIST', e)
end
local class = math.min(tonumber(redis.call('HGET', e, 'class')), 1)
redis.call('HSET', e, 'kind', 'callback', 'phone', phone, 'class', class, 'due', due)
state = redis.call('HGET', e, 'state')
if state == 'offered' then return {outcome, redis.call('HGET', e, 'seq')} end
redis.call('ZREM', key('q', redis.call('HGET', e, 'queue')), conv)
if tonumber(due) <= tonumber(now) then
  redis.call('ZREM', key('scheduled'), conv)
  place(conv)
else
  redis.call('HSET', e, 'state', 'scheduled')
  redis.call('ZADD', key('scheduled'), due, conv)
end
return {outcome, redis.call('HGET', e, 'seq')}
"""
)

# ARGV: P, now → {conv, …}: callbacks whose time has come join their queue (called while open).
PROMOTE_CALLBACKS = (
    _PRELUDE
    + """
local due = redis.call('ZRANGEBYSCORE', key('scheduled'), '-inf', ARGV[2])
for _, conv in ipairs(due) do
  redis.call('ZREM', key('scheduled'), conv)
  place(conv)
end
return due
"""
)

# ARGV: P, operator, conversation, now, extra seconds, most, remember seconds
#   → {'ok', deadline, times extended} | {'not_offered'} | {'expired'} | {'no_more'}
# The operator asks for more time on an offer before it runs out (WCAG 2.2.1), at most `most` times per
# offer. `more:{conv}` remembers "operator|deadline|times" of the last extension: a later offer of the same
# conversation has another deadline, so it starts from none.
EXTEND_OFFER = (
    _PRELUDE
    + """
local op, conv, now, extra, most = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local e = key('e', conv)
local state, operator, current = unpack(redis.call('HMGET', e, 'state', 'operator', 'deadline'))
if state ~= 'offered' or operator ~= op then return {'not_offered'} end
if tonumber(current) < now then return {'expired'} end
local times = 0
local last = redis.call('GET', key('more', conv))
if last then
  local by, at, n = string.match(last, '^(.-)|(.-)|(%d+)$')
  if by == op and at == current then times = tonumber(n) end
end
if times >= most then return {'no_more'} end
times = times + 1
local deadline = string.format('%.3f', tonumber(current) + extra)
redis.call('HSET', e, 'deadline', deadline)
redis.call('ZADD', key('offers'), deadline, conv)
redis.call('SET', key('more', conv), op .. '|' .. deadline .. '|' .. times, 'EX', ARGV[7])
return {'ok', deadline, times}
"""
)

# ARGV: P, operator, conversation, now, wrap-up until, target queue, colleague ('' = whoever of the queue),
#   offer deadline
#   → {'waiting', handled, conv, fields…} | {'offered', handled, conv, fields…} | {'not_held'} | {'self'}
#     | {'colleague_busy'} | {'colleague_cannot'}
# The operator hands a conversation they hold to a colleague (offered to them at once, as any offer: one who lets
# it ring is paused and it waits in its queue) or to a queue (it waits there at its place); the operator wraps up.
# The colleague must be on the line with no offer pending and a free slot of its kind, speak the queue's language
# and have its skill (an emergency: any skill, as `pick` offers them). Checked and done in one step, so two
# operators handing conversations to the same colleague cannot both fill their last slot.
TRANSFER = (
    _PRELUDE
    + _RELEASE
    + """
local op, conv, now, to_q, to_op = ARGV[2], ARGV[3], ARGV[4], ARGV[6], ARGV[7]
local e = key('e', conv)
local state, operator, kind, class = unpack(redis.call('HMGET', e, 'state', 'operator', 'kind', 'class'))
if state ~= 'connected' or operator ~= op then return {'not_held'} end
local skill, lang = string.match(to_q, '^(.+):([^:]+)$')
if not blank(to_op) then
  if to_op == op then return {'self'} end
  if not free(to_op) or room(to_op)[slot(kind)] <= 0 then return {'colleague_busy'} end
  local skills, langs = unpack(redis.call('HMGET', key('op', to_op), 'skills', 'langs'))
  if not listed(langs, lang) or (tonumber(class) > 0 and not listed(skills, skill)) then
    return {'colleague_cannot'}
  end
end
local handled = release(op, conv, now, ARGV[5])
redis.call('HSET', e, 'queue', to_q, 'lang', lang, 'connected', '')
redis.call('SADD', key('queues'), to_q)
local outcome = 'waiting'
if blank(to_op) then
  place(conv)
else
  outcome = 'offered'
  redis.call('HSET', e, 'state', 'offered', 'operator', to_op, 'deadline', ARGV[8])
  redis.call('ZADD', key('offers'), ARGV[8], conv)
  redis.call('SADD', key('oq', to_q), conv)
  redis.call('HSET', key('op', to_op), 'offer', conv)
  redis.call('INCR', key('offers_made'))
end
local result = entry(conv)
table.insert(result, 1, outcome)
table.insert(result, 2, handled)
return result
"""
)

# ARGV: P, conversation, target queue, priority (emergency|normal), crisis skill
#   → {state before, queue before, priority before, operator whose offer was withdrawn or '', conv, fields…} | {}
# A conversation waiting (or on offer) whose citizen then asked for more urgent help: it moves to the target queue
# when that is more urgent (a higher priority, or the crisis skill), at its place there (its seq and arrival are
# kept); an offer of it is withdrawn, to be made again by priority. A priority is never lowered; a conversation
# a specialist holds, or any other, is left as it is ({}). One step, so no offer or accept slips in between.
ESCALATE = (
    _PRELUDE
    + """
local conv, to_q, to_priority, crisis = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local e = key('e', conv)
local state, q, class, priority, op = unpack(redis.call('HMGET', e, 'state', 'queue', 'class', 'priority', 'operator'))
if state ~= 'waiting' and state ~= 'offered' then return {} end
local skill = string.match(q, '^(.+):[^:]+$')
local to_skill, lang = string.match(to_q, '^(.+):([^:]+)$')
local higher = to_priority == 'emergency' and priority ~= 'emergency'
if not higher and not (to_skill == crisis and skill ~= crisis) then return {} end
local withdrawn = ''
if state == 'offered' then
  unoffer(conv)
  if not blank(op) then redis.call('HSET', key('op', op), 'offer', ''); withdrawn = op end
end
redis.call('ZREM', key('q', q), conv)
if higher then redis.call('HSET', e, 'priority', to_priority, 'class', 0) end
redis.call('HSET', e, 'queue', to_q, 'lang', lang)
place(conv)
local result = entry(conv)
for i, v in ipairs({state, q, priority or 'normal', withdrawn}) do table.insert(result, i, v) end
return result
"""
)

# KEYS: the seen key, the signal channel; ARGV: message id, ttl, who → 1 when it moved forward (then published).
SEEN = """
local before = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) <= before then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('PUBLISH', KEYS[2], cjson.encode({seen = ARGV[3], upto = tonumber(ARGV[1])}))
return 1
"""


def kept_chat(base_key: str, conversation_id: str) -> str:
    return f"{base_key}:kept-chat:{conversation_id}"


CHAT_ID_GAP = 1000  # between the highest id SQL gave and the first kept (`specialist_queue.messages`)
# ARGV: P, conversation, client id or '' → {'found', the kept message's JSON} (kept with that client id already),
# {'new', its id}, or {} when no id SQL gave is known (nothing written or primed since Redis started).
NEXT_CHAT_ID = f"""
local kept = ARGV[1] .. ':kept-chat:' .. ARGV[2]
if ARGV[3] ~= '' then
  local id = redis.call('HGET', kept, 'c:' .. ARGV[3])
  if id then return {{'found', redis.call('HGET', kept, id)}} end
end
local ids = ARGV[1] .. ':chat-ids'
local seen = redis.call('HGET', ids, 'seen')
if not seen then return {{}} end
local id = math.max(tonumber(seen) + {CHAT_ID_GAP}, tonumber(redis.call('HGET', ids, 'kept') or '0') + 1)
redis.call('HSET', ids, 'kept', string.format('%d', id))
return {{'new', string.format('%d', id)}}
"""
# ARGV: P, an id SQL gave a chat message: remembered when it is the highest yet.
SEEN_CHAT_ID = """
local ids = ARGV[1] .. ':chat-ids'
local seen = redis.call('HGET', ids, 'seen')
if not seen or tonumber(seen) < tonumber(ARGV[2]) then
  redis.call('HSET', ids, 'seen', ARGV[2])
end
return 1
"""
