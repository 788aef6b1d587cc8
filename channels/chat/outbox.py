"""Sending a chat channel's messages after the webhook has answered: once, and one receiver's in order,
whatever the transport.

- Once: each message id is claimed in Redis (`SET NX`) before it is sent, so a retried webhook, two
  workers handling the same event, or every worker hearing the same update of the specialist queue
  (`specialist_queue.follow`), send it one time. The claim then keeps what became of it.
- In order: one receiver's messages go one after another (a lock per receiver in this process).

The channel's `send` does the rest (its API, its limits, who unsubscribed) and says what became of a message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

import redis.asyncio as aioredis

from hotline.keyed_locks import KeyedLocks

CLAIM_SECONDS = 2 * 24 * 3600  # longer than a messenger retries a callback (Viber: an hour; Telegram: a day)


class Outcome(StrEnum):
    SENT = "sent"
    DUPLICATE = "duplicate"
    UNSUBSCRIBED = "unsubscribed"
    RATE_LIMITED = "rate_limited"
    REFUSED = "send_refused"
    FAILED = "send_failed"
    UNKNOWN = "send_unknown"  # sent, but its answer never came: perhaps delivered, so not sent again


@dataclass(frozen=True)
class Delivery:
    id: str
    outcome: Outcome
    message_token: int | None = None  # the messenger's id of a sent message


class Message(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def receiver(self) -> str: ...


M = TypeVar("M", bound=Message)


class Outbox(Generic[M]):
    def __init__(
        self, redis: aioredis.Redis, *, claim_key: Callable[[str], str], send: Callable[[M], Awaitable[Delivery]]
    ) -> None:
        self.redis = redis
        self.claim_key = claim_key  # message id → its Redis key
        self.send = send
        self._turn = KeyedLocks()

    async def deliver(self, messages: Sequence[M]) -> list[Delivery]:
        """Send each message that was not sent before, in order; what became of each."""
        done: list[Delivery] = []
        for receiver in dict.fromkeys(m.receiver for m in messages):
            async with self._turn(receiver):
                for message in (m for m in messages if m.receiver == receiver):
                    done.append(await self._once(message))
        return done

    async def _once(self, message: M) -> Delivery:
        claim = self.claim_key(message.id)
        if not await self.redis.set(claim, "sending", nx=True, ex=CLAIM_SECONDS):
            return Delivery(message.id, Outcome.DUPLICATE)
        delivery = await self.send(message)
        sent = delivery.outcome is Outcome.SENT
        kept = f"sent:{delivery.message_token or ''}" if sent else delivery.outcome.value  # not tried again either way
        await self.redis.set(claim, kept, ex=CLAIM_SECONDS)
        return delivery
