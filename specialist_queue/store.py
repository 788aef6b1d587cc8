"""The live queues in Redis: typed calls around the Lua scripts of `keys`. No SQL, no clock.

Every method takes `now` (seconds since the epoch) from its caller, so tests drive time by hand.
The client must be made with `decode_responses=True`.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from hotline.redis_conn import Durable
from specialist_queue import keys
from specialist_queue.model import (
    CRISIS_SKILL,
    PRIORITY_CLASS,
    Capacity,
    Conflict,
    Entry,
    EntryState,
    Escalated,
    Kind,
    Offer,
    Operator,
    OperatorState,
    offer_from,
    operator_from,
)

DEFAULT_CAPACITY = Capacity()
EXTENSION_MEMORY = 3600  # seconds an offer's extensions are remembered (far longer than any offer lasts)


def _csv(values: tuple[str, ...] | list[str]) -> str:
    return ",".join(values)


class QueueStore:
    def __init__(self, client: redis.Redis, prefix: str, *, replicas: int = 0) -> None:
        """`replicas`: how many Redis replicas must have a change before it is acknowledged (1 with Sentinel)."""
        self.client = client
        self.prefix = prefix
        self.durable = Durable(client, replicas)
        register = client.register_script
        self._enqueue = register(keys.ENQUEUE)
        self._restore = register(keys.RESTORE)
        self._set_state = register(keys.SET_STATE)
        self._offer = register(keys.OFFER)
        self._dispatch = register(keys.DISPATCH)
        self._accept = register(keys.ACCEPT)
        self._extend_offer = register(keys.EXTEND_OFFER)
        self._undo_accept = register(keys.UNDO_ACCEPT)
        self._close = register(keys.CLOSE)
        self._callback_retry = register(keys.CALLBACK_RETRY)
        self._end_wrap_up = register(keys.END_WRAP_UP)
        self._expire_wrap_ups = register(keys.EXPIRE_WRAP_UPS)
        self._expire_offers = register(keys.EXPIRE_OFFERS)
        self._abandon = register(keys.ABANDON)
        self._callback = register(keys.CALLBACK)
        self._promote = register(keys.PROMOTE_CALLBACKS)
        self._transfer = register(keys.TRANSFER)
        self._escalate = register(keys.ESCALATE)

    def _run(self, script: Any, *args: object) -> Any:
        return self.durable.run(script, args=[keys.base(self.prefix), *(str(a) for a in args)])

    # ---- conversations ----------------------------------------------------------------------

    def enqueue(
        self,
        conversation_id: str,
        *,
        queue: str,
        channel: str,
        kind: Kind,
        priority: str,
        now: float,
        external_id: str = "",
    ) -> tuple[bool, int]:
        """Put a conversation in its queue once; (entered now?, its seq)."""
        klass = PRIORITY_CLASS["emergency" if priority == "emergency" else "normal"]
        lang = queue.rsplit(":", 1)[1]
        reply = self._run(
            self._enqueue,
            *(conversation_id, queue, klass, repr(now), int(now * 1000), channel, kind, priority, lang, external_id),
        )
        return bool(int(reply[0])), int(reply[1])

    def restore(self, entry: Entry, operator: Operator | None = None) -> bool:
        """Put back an entry rebuilt from SQL, unless Redis still knows the conversation."""
        pairs = [item for pair in entry.fields().items() for item in pair]
        op: tuple[object, ...] = ("", "", "", "", "")
        if operator is not None:
            held = (operator.capacity.chats, operator.capacity.calls)
            op = (_csv(operator.skills), _csv(operator.langs), operator.name, *held)
        return bool(self._run(self._restore, entry.conversation_id, *op, *pairs))

    def entry(self, conversation_id: str) -> Entry | None:
        fields = self.client.hgetall(keys.entry(self.prefix, conversation_id))
        if not fields:
            return None
        return Entry.parse([conversation_id, *(str(item) for pair in fields.items() for item in pair)])

    def held_by(self, conversation_id: str) -> int | None:
        """The operator holding this conversation now (the robot keeps quiet), or None."""
        state, operator = self.client.hmget(keys.entry(self.prefix, conversation_id), ["state", "operator"])
        return int(operator) if state == EntryState.CONNECTED and operator else None

    def position(self, entry: Entry) -> int | None:
        """1 for the next to be offered in its queue (those on offer come first); None when it is not waiting."""
        if entry.state is EntryState.OFFERED:
            return 1
        if entry.state is not EntryState.WAITING:
            return None
        with self.client.pipeline(transaction=False) as pipe:
            pipe.zrank(keys.queue(self.prefix, entry.queue), entry.conversation_id)
            pipe.scard(keys.offered(self.prefix, entry.queue))
            rank, ahead = pipe.execute()
        return None if rank is None else int(rank) + 1 + int(ahead)

    def offered(self, queue: str) -> list[Entry]:
        """The queue's conversations on offer now: each still waits, for an operator's answer."""
        ids = sorted(str(c) for c in self.client.smembers(keys.offered(self.prefix, queue)))
        found = [self.entry(conversation_id) for conversation_id in ids]
        return [e for e in found if e is not None and e.state is EntryState.OFFERED]

    def abandon(self, conversation_id: str, *, now: float, keep_seconds: int) -> tuple[EntryState, Entry] | None:
        """Take out a conversation whose citizen left while waiting; (its state then, the entry)."""
        reply = self._run(self._abandon, conversation_id, repr(now), keep_seconds)
        return (EntryState(reply[0]), Entry.parse(reply[1:])) if reply else None

    def request_callback(
        self, conversation_id: str, *, phone: str, due: float, now: float, queue: str, channel: str, priority: str
    ) -> tuple[str, int]:
        """Make the conversation a callback at its place (or a new one); ('kept'|'new', seq)."""
        lang = queue.rsplit(":", 1)[1]
        reply = self._run(
            self._callback,
            conversation_id,
            phone,
            repr(now),
            repr(due),
            int(now * 1000),
            queue,
            lang,
            channel,
            priority,
        )
        if reply[0] == "connected":
            raise Conflict("a specialist is already talking to this citizen")
        return str(reply[0]), int(reply[1])

    def promote_callbacks(self, *, now: float) -> list[str]:
        """Callbacks that are due now join their queues; call it only while the office is open."""
        return [str(c) for c in self._run(self._promote, repr(now))]

    # ---- operators --------------------------------------------------------------------------

    def set_state(
        self,
        operator_id: int,
        state: OperatorState,
        *,
        now: float,
        reason: str = "",
        skills: tuple[str, ...] = (),
        langs: tuple[str, ...] = (),
        name: str = "",
        capacity: Capacity = DEFAULT_CAPACITY,
        phone: str = "",
        identity: str = "",
    ) -> tuple[OperatorState, str | None]:
        """Available, paused or offline; (the state before, an offer this gave back)."""
        if state not in {OperatorState.AVAILABLE, OperatorState.PAUSED, OperatorState.OFFLINE}:
            raise ValueError(f"an operator cannot choose {state}")
        args = (reason, repr(now), _csv(skills), _csv(langs), name, capacity.chats, capacity.calls, phone, identity)
        reply = self._run(self._set_state, operator_id, state, *args)
        if reply[0] == "busy":
            raise Conflict("finish the current conversation first")
        return OperatorState(reply[1]), reply[2] or None

    def operator(self, operator_id: int) -> Operator:
        return self._operators([operator_id])[0]

    def operators(self) -> list[Operator]:
        return self._operators(sorted(int(i) for i in self.client.smembers(keys.operators(self.prefix))))

    def _operators(self, ids: list[int]) -> list[Operator]:
        with self.client.pipeline(transaction=False) as pipe:
            for operator_id in ids:
                pipe.hgetall(keys.operator(self.prefix, operator_id))
                pipe.hgetall(keys.held(self.prefix, operator_id))
                pipe.hgetall(keys.wrapping(self.prefix, operator_id))
            found = pipe.execute()
        return [operator_from(i, *found[3 * n : 3 * n + 3]) for n, i in enumerate(ids)]

    def offer(self, operator_id: int, *, deadline: float) -> Offer | None:
        """Claim for this operator the best conversation they may take, if they are free."""
        reply = self._run(self._offer, operator_id, repr(deadline))
        return offer_from(operator_id, reply) if reply else None

    def dispatch(self, *, deadline: float) -> list[Offer]:
        """Offer waiting conversations to every free operator, longest idle first."""
        return [offer_from(int(r[0]), r[1:]) for r in self._run(self._dispatch, repr(deadline))]

    def accept(self, operator_id: int, conversation_id: str, *, now: float) -> Entry:
        reply = self._run(self._accept, operator_id, conversation_id, repr(now))
        if reply[0] == "not_offered":
            raise Conflict("this conversation is not offered to you (another specialist may have it)")
        if reply[0] == "expired":
            raise Conflict("the offer has expired")
        return Entry.parse(reply[1:])

    def extend_offer(self, operator_id: int, conversation_id: str, *, now: float, extra: float, most: int) -> float:
        """`extra` seconds more for the conversation offered to me (`most` times per offer); the new deadline."""
        args = (operator_id, conversation_id, repr(now), repr(extra), most, EXTENSION_MEMORY)
        reply = self._run(self._extend_offer, *args)
        if reply[0] == "not_offered":
            raise Conflict("this conversation is not offered to you (another specialist may have it)")
        if reply[0] == "expired":
            raise Conflict("the offer has expired")
        if reply[0] == "no_more":
            raise Conflict("no more time can be given: accept the conversation or let it go to a colleague")
        return float(reply[1])

    def undo_accept(self, operator_id: int, conversation_id: str, *, now: float) -> bool:
        return bool(self._run(self._undo_accept, operator_id, conversation_id, repr(now)))

    def close(
        self, operator_id: int, conversation_id: str, *, now: float, wrap_until: float, keep_seconds: int
    ) -> tuple[Entry, float]:
        """End a held conversation; the operator goes to wrap-up. (entry, handling seconds)."""
        reply = self._run(self._close, operator_id, conversation_id, repr(now), repr(wrap_until), keep_seconds)
        if not reply:
            raise Conflict("you are not holding this conversation")
        return Entry.parse(reply[1:]), float(reply[0])

    def callback_retry(
        self, operator_id: int, conversation_id: str, *, now: float, wrap_until: float, due: float
    ) -> tuple[Entry, float]:
        """Nobody answered the callback: it waits again, at its place, until `due`."""
        reply = self._run(self._callback_retry, operator_id, conversation_id, repr(now), repr(wrap_until), repr(due))
        if not reply:
            raise Conflict("you are not holding this conversation")
        return Entry.parse(reply[1:]), float(reply[0])

    def transfer(
        self,
        operator_id: int,
        conversation_id: str,
        *,
        queue: str,
        colleague: int | None,
        now: float,
        wrap_until: float,
        deadline: float,
    ) -> tuple[Entry, float]:
        """Hand a held conversation to `colleague` (offered to them until `deadline`) or, with none, to `queue`
        (it waits there at its place); the operator wraps up. (entry, handling seconds)"""
        args = (queue, "" if colleague is None else colleague, repr(deadline))
        reply = self._run(self._transfer, operator_id, conversation_id, repr(now), repr(wrap_until), *args)
        refused = {
            "not_held": "you are not holding this conversation",
            "self": "choose a colleague, not yourself",
            "colleague_busy": "the colleague cannot take another conversation now (not on the line, busy or "
            "being offered one)",
            "colleague_cannot": "the colleague does not take this queue (its skill or language)",
        }
        if reply[0] in refused:
            raise Conflict(refused[reply[0]])
        return Entry.parse(reply[2:]), float(reply[1])

    def escalate(self, conversation_id: str, *, queue: str, priority: str) -> Escalated | None:
        """Move a waiting (or offered: the offer is withdrawn) conversation to `queue` at `priority` when that is
        more urgent (a higher priority, or the crisis queue), at its place there; None when nothing moved (not
        waiting, held by a specialist, or not more urgent: a priority is never lowered)."""
        reply = self._run(self._escalate, conversation_id, queue, priority, CRISIS_SKILL)
        if not reply:
            return None
        state, from_queue, from_priority, withdrawn, *flat = reply
        return Escalated(
            entry=Entry.parse(flat),
            state=EntryState(state),
            from_queue=str(from_queue),
            from_priority=str(from_priority),
            withdrawn_from=int(withdrawn) if withdrawn else None,
        )

    def mark_reached(self, conversation_id: str, *, now: float) -> None:
        """The specialist reached the citizen on a callback they hold: the call goes on (checked by the caller)."""
        self.client.hsetnx(keys.entry(self.prefix, conversation_id), "reached", repr(now))

    def end_wrap_up(self, operator_id: int, conversation_id: str, *, now: float) -> bool:
        """Wrap-up of this conversation done (True once); its slot is free again."""
        return bool(self._run(self._end_wrap_up, operator_id, conversation_id, repr(now)))

    def expire_wrap_ups(self, *, now: float) -> list[int]:
        return [int(op) for op in self._run(self._expire_wrap_ups, repr(now))]

    def expire_offers(self, *, now: float) -> list[Entry]:
        """Offers not accepted in time go back to their place; each entry still names the operator."""
        return [Entry.parse(flat) for flat in self._run(self._expire_offers, repr(now))]

    # ---- reading ----------------------------------------------------------------------------

    def queue_names(self) -> list[str]:
        return sorted(str(name) for name in self.client.smembers(keys.queues(self.prefix)))

    def waiting(self, queue: str) -> list[str]:
        """The conversations waiting in a queue, next first."""
        return [str(c) for c in self.client.zrange(keys.queue(self.prefix, queue), 0, -1)]

    def heads(self, queue: str) -> tuple[int, dict[int, str]]:
        """How many wait in the queue (not on offer), and the first of each priority class there: class → the
        oldest of that class."""
        name = keys.queue(self.prefix, queue)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.zcard(name)
            for klass in PRIORITY_CLASS.values():
                low = klass * keys.CLASS
                pipe.zrangebyscore(name, low, low + keys.CLASS - 1, start=0, num=1)
            count, *firsts = pipe.execute()
        return int(count), {k: f[0] for k, f in zip(PRIORITY_CLASS.values(), firsts, strict=True) if f}

    def enqueued_at(self, conversation_ids: list[str]) -> list[float]:
        with self.client.pipeline(transaction=False) as pipe:
            for conversation_id in conversation_ids:
                pipe.hget(keys.entry(self.prefix, conversation_id), "enqueued")
            return [float(t) for t in pipe.execute() if t]

    def handling_times(self, queue: str) -> list[float]:
        return [float(t) for t in self.client.lrange(keys.handling_times(self.prefix, queue), 0, -1)]

    def remember_handling_times(self, queue: str, seconds: list[float]) -> None:
        """Refill the recent handling times of a queue (after Redis lost them), newest first."""
        name = keys.handling_times(self.prefix, queue)
        if seconds and not self.client.exists(name):
            self.client.rpush(name, *(f"{s:.1f}" for s in seconds[:50]))

    def server(self) -> str:
        """The Redis server now answering as master (its run id: new after a restart or a failover)."""
        return str(self.client.info("server")["run_id"])

    def is_alive(self) -> bool:
        """The live queues were rebuilt on this very server, so it has them (no flush, restart or failover since)."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.get(keys.alive(self.prefix))
            pipe.info("server")
            marked, info = pipe.execute()
        return bool(marked) and marked == info["run_id"]

    def mark_alive(self, server: str) -> None:
        """Say the queues are whole on `server` (read before the rebuild began: a failover meanwhile shows)."""
        self.client.set(keys.alive(self.prefix), server)

    def notify(self, what: dict[str, Any], *, operators: list[int] | None = None) -> None:
        """Wake the live streams: something changed. `operators`: the only operators whose own state, offer or
        conversations it changed (their consoles look now; the others see the queues' figures at their next
        heartbeat); None: anyone's may have."""
        said = what if operators is None else {**what, "operators": operators}
        self.client.publish(keys.notify_channel(self.prefix), json.dumps(said))

    def notify_chat(self, conversation_id: str) -> None:
        self.client.publish(keys.chat_channel(self.prefix, conversation_id), "1")
