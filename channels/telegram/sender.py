"""Sending to Telegram chats after the webhook has answered: once, each chat in order, within Telegram's rates.

- Once and in order: the shared chat outbox (`channels.chat.outbox`) claims each call's id in Redis
  before it is made, so a retried update, or two app nodes handling the same one, send it one time,
  and makes one chat's calls one after another, in the order they were handed over.
- Within Telegram's rates (its FAQ: about 30 messages a second in all, about one a second in a chat,
  short bursts allowed): counted in Redis with the `limits` library, so every node shares them; a
  message over a rate waits for its turn. When Telegram answers 429 anyway, every node holds every
  chat's messages for the `retry_after` it names (`Rates.hold`). A Redis failure lets a message
  through (logged): an answer late by a 429 is better than none.
- Not to citizens who blocked the bot; a 403 from Telegram marks them so.

Outcomes other than "sent" are handed to the recorder (the `telegram_events` table).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from channels.chat.outbox import Delivery, Outbox, Outcome
from channels.telegram import keys
from channels.telegram.client import BotApi, TelegramRefused, TelegramUnavailable, TelegramUnknown
from channels.telegram.wire import Call

log = logging.getLogger(__name__)

ALL_CHATS = parse("30/second")
ONE_CHAT = parse("4 per 4 seconds")  # one a second, a short answer's few pieces at once
NOT_MODIFIED = "message is not modified"  # Telegram's 400 for an edit to what the message says already
BLOCKED = "blocked"  # how `telegram_events` names a chat that blocked the bot (the outbox: unsubscribed)


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
        self.redis = client
        self.held = keys.held(prefix)
        self.one_chat = one_chat
        self.all_chats = all_chats
        self.sleep = sleep

    async def hold(self, seconds: float) -> None:
        """Telegram answered 429: no message goes to any chat, from any node, for `seconds`."""
        try:
            await self.redis.set(self.held, "429", px=max(1, round(seconds * 1000)))
        except (RedisError, OSError) as exc:
            log.warning("Telegram's wait not shared (Redis: %s)", type(exc).__name__)

    async def wait(self, chat_id: int) -> None:
        """Return when one more message to `chat_id` keeps within both rates (and count it)."""
        try:
            if (left := await self.redis.pttl(self.held)) > 0:  # -2: no hold; -1 never happens (always set with PX)
                await self.sleep(left / 1000)
            await self._take(self.one_chat, str(chat_id))
            await self._take(self.all_chats, "all")
        except (RedisError, OSError) as exc:
            log.warning("Telegram send rates not counted (Redis: %s): the message goes now", type(exc).__name__)

    async def _take(self, item: RateLimitItem, identity: str) -> None:
        while not await self.limiter.hit(item, "telegram-send", identity):
            stats = await self.limiter.get_window_stats(item, "telegram-send", identity)
            await self.sleep(min(max(stats.reset_time - time.time(), 0.01), float(item.get_expiry())))


class Sender:
    def __init__(self, api: BotApi, redis: aioredis.Redis, *, prefix: str, rates: Rates, record: Recorder) -> None:
        self.api = api
        self.redis = redis
        self.prefix = prefix
        self.rates = rates
        self.record = record
        self.outbox: Outbox[Call] = Outbox(redis, claim_key=keys.of(prefix).outgoing, send=self._send)

    async def deliver(self, calls: Sequence[Call]) -> list[Delivery]:
        """Make each call not made before, each chat's in order (the shared outbox); what became of each."""
        return await self.outbox.deliver(calls)

    async def blocked(self, chat_id: int) -> bool:
        """Whether the citizen has blocked the bot (nothing is sent to them until they write again)."""
        return bool(await self.redis.exists(keys.of(self.prefix).left(chat_id)))

    async def block(self, chat_id: int, why: str) -> None:
        """The citizen has blocked the bot: Telegram answered a call to them with 403."""
        await self.redis.set(keys.of(self.prefix).left(chat_id), why)

    async def _send(self, call: Call) -> Delivery:
        if call.message:  # not to a blocked chat, and within the rates
            if await self.blocked(call.chat_id):
                return await self._not_sent(call, Outcome.UNSUBSCRIBED)
            await self.rates.wait(call.chat_id)
        try:
            await self.api.call(call.method, call.body, resend=call.repeatable)
        except TelegramRefused as exc:
            if exc.blocked:
                await self.block(call.chat_id, "403")
                return await self._not_sent(call, Outcome.UNSUBSCRIBED, str(exc))
            if NOT_MODIFIED in exc.description:  # the menu pressed twice: it shows what it should already
                return Delivery(call.id, Outcome.SENT)
            if call.instead is not None:
                return await self._send(call.instead)
            return await self._not_sent(call, Outcome.REFUSED, str(exc))
        except TelegramUnknown as exc:  # perhaps delivered: a second copy would confuse more than a lost one
            return await self._not_sent(call, Outcome.UNKNOWN, str(exc))
        except TelegramUnavailable as exc:
            return await self._not_sent(call, Outcome.FAILED, str(exc))
        return Delivery(call.id, Outcome.SENT)

    async def _not_sent(self, call: Call, outcome: Outcome, detail: str = "") -> Delivery:
        """Write down why a call was not made, or not known to be (the outbox keeps its claim: not tried again)."""
        kind = BLOCKED if outcome is Outcome.UNSUBSCRIBED else outcome.value
        log.warning("Telegram %s %s not made: %s %s", call.method, call.id, kind, detail)
        await self.record(kind, call.chat_id, f"{call.method} {call.id} {detail}".strip())
        return Delivery(call.id, outcome)
