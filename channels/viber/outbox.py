"""Sending messages to Viber users after the webhook has answered: once and in order (the shared
`channels.chat.outbox`), within Viber's limit, and not to people who unsubscribed.

Viber takes at most 100 messages to a user in an hour without a reply from them; the count (a sorted
set of send times) is cleared whenever the user writes.

Outcomes other than "sent" are written to the `viber_events` table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

import anyio
import redis.asyncio as aioredis

from channels.chat import outbox as chat_outbox
from channels.chat.outbox import Delivery, Outcome
from channels.viber import keys
from channels.viber.client import TOO_MANY_REQUESTS, ViberApi, ViberRefused, ViberUnavailable, ViberUnknown
from channels.viber.wire import Outgoing

log = logging.getLogger(__name__)

HOUR = 3600

# KEYS[1] the user's unanswered set; ARGV: now, window, limit, message id. 1 = counted, 0 = over the limit.
_TAKE_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


Recorder = Callable[[str, str, str], None]  # (event, user id, detail), written to SQL


class Outbox(chat_outbox.Outbox[Outgoing]):
    """The shared outbox (`channels.chat.outbox`: once, in order) with Viber's own sending."""

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
        super().__init__(redis, claim_key=keys.of(prefix).outgoing, send=self._send)
        self.api = api
        self.prefix = prefix
        self.limit = limit
        self.record = record
        self.clock = clock
        self._take_slot = redis.register_script(_TAKE_SLOT)

    async def _send(self, message: Outgoing) -> Delivery:
        if await self.redis.exists(keys.of(self.prefix).left(message.receiver)):
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
        except ViberUnknown as exc:  # perhaps delivered (its slot stays taken): a second copy would confuse more
            return await self._settle(message, Outcome.UNKNOWN, str(exc))
        except ViberUnavailable as exc:
            await self.redis.zrem(slots, message.id)
            return await self._settle(message, Outcome.FAILED, str(exc))
        return Delivery(message.id, Outcome.SENT, token)

    async def _settle(self, message: Outgoing, outcome: Outcome, detail: str = "") -> Delivery:
        """Write down why it was not sent (the claim keeps it from being tried again)."""
        log.warning("Viber message %s not sent: %s %s", message.id, outcome.value, detail)
        await anyio.to_thread.run_sync(partial(self.record, outcome.value, message.receiver, f"{message.id} {detail}"))
        return Delivery(message.id, outcome)
