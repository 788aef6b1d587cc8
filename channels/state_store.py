"""Conversation state in Redis: every key in one place, advanced atomically with a Lua script.

A turn is written only if the state is still the one it was computed from (compare-and-set), so
two overlapping requests cannot both advance it; a turn key (e.g. CallSid + step, or the chat
client's message id) makes a retried request return the replies it got the first time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis

from hotline.redis_conn import Durable

_ADVANCE = """
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[4])
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4]) end
return 1
"""


def state_key(prefix: str, conversation_id: str) -> str:
    return f"{prefix}:conv:{conversation_id}:state"


def turn_key(prefix: str, conversation_id: str, turn: str) -> str:
    return f"{prefix}:conv:{conversation_id}:turn:{turn}"


@dataclass(frozen=True)
class Stored:
    """The state as read, kept raw so the compare-and-set compares exactly what was read.

    `answered` is what the turn asked about produced already (it ran before: a retry), else None.
    """

    raw: str
    data: dict[str, Any] | None
    answered: dict[str, Any] | None = None


class StateStore:
    def __init__(self, client: redis.Redis, ttl_seconds: int, prefix: str = "hotline", *, replicas: int = 0) -> None:
        """`replicas`: how many Redis replicas must have a turn before it counts (1 with Sentinel), so a
        failover cannot hand the next turn a state one step old (its step would be taken for a retry)."""
        self.client = client
        self.prefix = prefix
        self.ttl = ttl_seconds
        self._advance = client.register_script(_ADVANCE)
        self.durable = Durable(client, replicas)

    def read(self, conversation_id: str, turn: str | None = None) -> Stored:
        """The state, and with `turn` that turn's answer if it ran already, in one round trip."""
        keys = [state_key(self.prefix, conversation_id)]
        if turn is not None:
            keys.append(turn_key(self.prefix, conversation_id, turn))
        raw, *done = self.client.mget(keys)
        answered = json.loads(done[0]) if done and done[0] else None
        return Stored(raw=str(raw or ""), data=json.loads(raw) if raw else None, answered=answered)

    def advance(
        self, conversation_id: str, *, seen: Stored, state: dict[str, Any], result: dict[str, Any], turn: str | None
    ) -> bool:
        """Write the new state if nobody advanced it since `seen`; False means recompute and retry."""
        keys = [state_key(self.prefix, conversation_id), turn_key(self.prefix, conversation_id, turn) if turn else ""]
        args: list[str | int] = [
            seen.raw,
            json.dumps(state, ensure_ascii=False),
            json.dumps(result, ensure_ascii=False),
            self.ttl,
        ]
        return bool(self.durable.run(self._advance, keys=keys, args=args))
