"""Request rates per address and per conversation, counted in Redis so that every node shares them.

Sliding-window counters (the `limits` library) on an async Redis client with short timeouts: a check
costs one round trip and never blocks the event loop. Past a limit the request is answered 429 with
`Retry-After` before any work is done. If Redis does not answer, requests are let through (logged):
the line keeps answering rather than refusing everyone. The figures and why: docs/SECURITY.md.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from fastapi import Depends, HTTPException, WebSocketException, status
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class Rule:
    """What is counted, and how many of it each window allows."""

    name: str
    items: tuple[RateLimitItem, ...]

    @classmethod
    def of(cls, name: str, limits: str) -> Rule:
        return cls(name, tuple(parse_many(limits)))


# Per address: mobile networks put many citizens behind one address (CGNAT), so these are generous.
NEW_CHATS = Rule.of("chat-new", "10/minute;60/hour")  # new web-chat conversations
CHAT = Rule.of("chat", "120/minute")  # any web-chat API call or live connection
WEBHOOKS = Rule.of("webhook", "3000/minute")  # Twilio's and Viber's own traffic comes from few addresses
# Per conversation: more than a person types, or a call's keys and answers, in a minute.
CHAT_MESSAGES = Rule.of("chat-conversation", "20/minute")
CONVERSATION_WEBHOOKS = Rule.of("webhook-conversation", "60/minute")


class TooManyRequests(HTTPException):
    def __init__(self, retry_after: int) -> None:
        message = f"too many requests: try again in {retry_after} s"
        super().__init__(status_code=429, detail=message, headers={"Retry-After": str(retry_after)})


class RateLimits:
    """The shared counters; `check` raises `TooManyRequests` past a rule's limit."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        """`client` with short timeouts (TIMEOUT_SECONDS): a check never waits long for Redis."""
        self.client = client
        # Our client's pool (typed as an option by `limits`); the URI only says which kind of client to build.
        pool: dict[str, Any] = {"connection_pool": self.client.connection_pool}
        storage = RedisStorage("async+redis://", implementation="redispy", key_prefix=f"{prefix}:limits", **pool)
        self.limiter = SlidingWindowCounterRateLimiter(storage)

    async def retry_after(self, rule: Rule, identity: str) -> int:
        """0 when the request may go on (it is counted); else the seconds until it may be repeated."""
        try:
            for item in rule.items:
                if not await self.limiter.hit(item, rule.name, identity):
                    stats = await self.limiter.get_window_stats(item, rule.name, identity)
                    return max(1, math.ceil(stats.reset_time - time.time()))
        except (RedisError, OSError) as exc:
            log.warning("rate limits not checked (Redis: %s): the request goes on", type(exc).__name__)
        return 0

    async def check(self, rule: Rule, identity: str) -> None:
        if wait := await self.retry_after(rule, identity):
            raise TooManyRequests(wait)

    async def aclose(self) -> None:
        await self.client.aclose()


def address(connection: HTTPConnection) -> str:
    """The client's address (behind a proxy, the one the proxy forwarded: `hotline serve` trusts it)."""
    return connection.client.host if connection.client else "unknown"


def limited(rule: Rule, identity: Callable[[HTTPConnection], str] = address) -> Any:
    """A route dependency counting each request against `rule` (per address unless `identity` says)."""

    async def check(connection: HTTPConnection) -> None:
        limits: RateLimits | None = connection.app.state.parts.limits
        if limits is None or not (wait := await limits.retry_after(rule, identity(connection))):
            return
        if connection.scope["type"] == "websocket":
            raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason=f"try again in {wait} s")
        raise TooManyRequests(wait)

    return Depends(check)


def path_param(name: str) -> Callable[[HTTPConnection], str]:
    """Count per the route's path parameter `name` (a conversation's id)."""
    return lambda connection: str(connection.path_params.get(name, ""))
