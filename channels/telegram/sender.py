"""Sending to Telegram chats after the webhook has answered: once, each chat in order, within Telegram's rates.

- Once: each call's id is claimed in Redis (`SET NX`) before it is made, so a retried update, or two
  app nodes handling the same one, send it one time.
- In order: one chat's calls go one after another, in the order they were handed over (a FIFO lock
  per chat in this process; a chat's updates are handled where they arrive).
- Within Telegram's rates (its FAQ: about 30 messages a second in all, about one a second in a chat,
  short bursts allowed): counted in Redis with the `limits` library, so every node shares them; a
  message over a rate waits for its turn. A Redis failure lets it through (logged): an answer late
  by a 429 is better than none.
- Not to citizens who blocked the bot; a 403 from Telegram marks them so.

Outcomes other than "sent" are handed to the recorder (the `telegram_events` table).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis.asyncio as aioredis
from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from channels.telegram import keys
from channels.telegram.client import BotApi, TelegramRefused, TelegramUnavailable
from channels.telegram.wire import Call

log = logging.getLogger(__name__)

CLAIM_SECONDS = 2 * 24 * 3600  # longer than Telegram keeps an update it could not deliver (24 h)
ALL_CHATS = parse("30/second")
ONE_CHAT = parse("4 per 4 seconds")  # one a second, a short answer's few pieces at once
NOT_MODIFIED = "message is not modified"  # Telegram's 400 for an edit to what the message says already


class Outcome(StrEnum):
    SENT = "sent"
    DUPLICATE = "duplicate"
    BLOCKED = "blocked"
    REFUSED = "send_refused"
    FAILED = "send_failed"


@dataclass(frozen=True)
class Delivery:
    id: str
    outcome: Outcome


Recorder = Callable[[str, int, str], Awaitable[None]]  # (outcome, chat id, detail)


class Rates:
    """Telegram's send rates, shared by every node through Redis."""

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str,
        *,
        one_chat: RateLimitItem = ONE_CHAT,
        all_chats: RateLimitItem = ALL_CHATS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        pool: dict[str, Any] = {"connection_pool": client.connection_pool}
        storage = RedisStorage("async+redis://", implementation="redispy", key_prefix=keys.limits(prefix), **pool)
        self.limiter = MovingWindowRateLimiter(storage)
        self.one_chat = one_chat
        self.all_chats = all_chats
        self.sleep = sleep

    async def wait(self, chat_id: int) -> None:
        """Return when one more message to `chat_id` keeps within both rates (and count it)."""
        try:
            await self._take(self.one_chat, str(chat_id))
            await self._take(self.all_chats, "all")
        except (RedisError, OSError) as exc:
            log.warning("Telegram send rates not counted (Redis: %s): the message goes now", type(exc).__name__)

    async def _take(self, item: RateLimitItem, identity: str) -> None:
        while not await self.limiter.hit(item, "telegram-send", identity):
            stats = await self.limiter.get_window_stats(item, "telegram-send", identity)
            await self.sleep(min(max(stats.reset_time - time.time(), 0.01), float(item.get_expiry())))


class Lanes:
    """One FIFO lock per chat, forgotten once nobody holds or waits for it."""

    def __init__(self) -> None:
        self._held: dict[int, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def __call__(self, chat_id: int) -> AsyncIterator[None]:
        lock, users = self._held.get(chat_id) or (asyncio.Lock(), 0)
        self._held[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._held[chat_id]
            if users <= 1:
                del self._held[chat_id]
            else:
                self._held[chat_id] = (lock, users - 1)


class Sender:
    def __init__(self, api: BotApi, redis: aioredis.Redis, *, prefix: str, rates: Rates, record: Recorder) -> None:
        self.api = api
        self.redis = redis
        self.prefix = prefix
        self.rates = rates
        self.record = record
        self.lanes = Lanes()

    async def deliver(self, calls: Sequence[Call]) -> list[Delivery]:
        """Make each call not made before, each chat's in order; what became of each."""
        done: list[Delivery] = []
        for chat_id in dict.fromkeys(c.chat_id for c in calls):
            async with self.lanes(chat_id):
                for call in (c for c in calls if c.chat_id == chat_id):
                    done.append(await self._deliver(call))
        return done

    async def _deliver(self, call: Call) -> Delivery:
        claim = keys.outgoing(self.prefix, call.id)
        if not await self.redis.set(claim, "sending", nx=True, ex=CLAIM_SECONDS):
            return Delivery(call.id, Outcome.DUPLICATE)
        if call.message:  # not to a blocked chat, and within the rates
            if await self.redis.exists(keys.stopped(self.prefix, call.chat_id)):
                return await self._settle(call, Outcome.BLOCKED)
            await self.rates.wait(call.chat_id)
        try:
            await self.api.call(call.method, call.body)
        except TelegramRefused as exc:
            if exc.blocked:
                await self.redis.set(keys.stopped(self.prefix, call.chat_id), "403")
                return await self._settle(call, Outcome.BLOCKED, str(exc))
            if NOT_MODIFIED in exc.description:  # the menu pressed twice: it shows what it should already
                await self.redis.set(claim, Outcome.SENT.value, ex=CLAIM_SECONDS)
                return Delivery(call.id, Outcome.SENT)
            if call.instead is not None:
                await self.redis.set(claim, Outcome.REFUSED.value, ex=CLAIM_SECONDS)
                return await self._deliver(call.instead)
            return await self._settle(call, Outcome.REFUSED, str(exc))
        except TelegramUnavailable as exc:
            return await self._settle(call, Outcome.FAILED, str(exc))
        await self.redis.set(claim, "sent", ex=CLAIM_SECONDS)
        return Delivery(call.id, Outcome.SENT)

    async def _settle(self, call: Call, outcome: Outcome, detail: str = "") -> Delivery:
        """Keep the claim (so it is not tried again) and write down why it was not made."""
        await self.redis.set(keys.outgoing(self.prefix, call.id), outcome.value, ex=CLAIM_SECONDS)
        log.warning("Telegram %s %s not made: %s %s", call.method, call.id, outcome.value, detail)
        await self.record(outcome.value, call.chat_id, f"{call.method} {call.id} {detail}".strip())
        return Delivery(call.id, outcome)
