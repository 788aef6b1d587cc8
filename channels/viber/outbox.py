"""Sending messages to Viber users after the webhook has answered: once, in order, within Viber's limit.

- Once: each message id is claimed in Redis (`SET NX`) before it is sent, so a retried webhook,
  or two workers handling the same event, send it one time.
- In order: one user's messages go one after another (a lock per user in this process).
- Within the limit: Viber takes at most 100 messages to a user in an hour without a reply from
  them; the count (a sorted set of send times) is cleared whenever the user writes.
- Not to people who unsubscribed.

Outcomes other than "sent" are written to the `viber_events` table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

import anyio
import redis.asyncio as aioredis

from channels.viber import keys
from channels.viber.client import TOO_MANY_REQUESTS, ViberApi, ViberRefused, ViberUnavailable
from channels.viber.wire import Outgoing
from hotline.keyed_locks import KeyedLocks

log = logging.getLogger(__name__)

HOUR = 3600
CLAIM_SECONDS = 2 * 24 * HOUR  # longer than Viber retries a callback (an hour)

# KEYS[1] the user's unanswered set; ARGV: now, window, limit, message id. 1 = counted, 0 = over the limit.
_TAKE_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


class Outcome(StrEnum):
    SENT = "sent"
    DUPLICATE = "duplicate"
    UNSUBSCRIBED = "unsubscribed"
    RATE_LIMITED = "rate_limited"
    REFUSED = "send_refused"
    FAILED = "send_failed"


@dataclass(frozen=True)
class Delivery:
    id: str
    outcome: Outcome
    message_token: int | None = None


Recorder = Callable[[str, str, str], None]  # (event, user id, detail), written to SQL


class Outbox:
    def __init__(
        self,
        redis: aioredis.Redis,
        api: ViberApi,
        *,
        prefix: str,
        limit: int,
        record: Recorder,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.api = api
        self.prefix = prefix
        self.limit = limit
        self.record = record
        self.clock = clock
        self._take_slot = redis.register_script(_TAKE_SLOT)
        self._turn = KeyedLocks()

    async def deliver(self, messages: Sequence[Outgoing]) -> list[Delivery]:
        """Send each message that was not sent before, in order; what became of each."""
        done: list[Delivery] = []
        for receiver in dict.fromkeys(m.receiver for m in messages):
            async with self._turn(receiver):
                for message in (m for m in messages if m.receiver == receiver):
                    done.append(await self._deliver(message))
        return done

    async def _deliver(self, message: Outgoing) -> Delivery:
        claim = keys.outgoing(self.prefix, message.id)
        if not await self.redis.set(claim, "sending", nx=True, ex=CLAIM_SECONDS):
            return Delivery(message.id, Outcome.DUPLICATE)
        if await self.redis.exists(keys.unsubscribed(self.prefix, message.receiver)):
            return await self._settle(message, Outcome.UNSUBSCRIBED)
        slots = keys.unanswered(self.prefix, message.receiver)
        if not await self._take_slot(keys=[slots], args=[self.clock(), HOUR, self.limit, message.id]):
            return await self._settle(message, Outcome.RATE_LIMITED, f"{self.limit} messages without a reply")
        try:
            token = await self.api.send_message(message.body)
        except ViberRefused as exc:
            await self.redis.zrem(slots, message.id)
            limited = exc.status == TOO_MANY_REQUESTS
            return await self._settle(message, Outcome.RATE_LIMITED if limited else Outcome.REFUSED, str(exc))
        except ViberUnavailable as exc:
            await self.redis.zrem(slots, message.id)
            return await self._settle(message, Outcome.FAILED, str(exc))
        await self.redis.set(claim, f"sent:{token or ''}", ex=CLAIM_SECONDS)
        return Delivery(message.id, Outcome.SENT, token)

    async def _settle(self, message: Outgoing, outcome: Outcome, detail: str = "") -> Delivery:
        """Keep the claim (so it is not tried again) and write down why it was not sent."""
        await self.redis.set(keys.outgoing(self.prefix, message.id), outcome.value, ex=CLAIM_SECONDS)
        log.warning("Viber message %s not sent: %s %s", message.id, outcome.value, detail)
        await anyio.to_thread.run_sync(partial(self.record, outcome.value, message.receiver, f"{message.id} {detail}"))
        return Delivery(message.id, outcome)
