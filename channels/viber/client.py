"""Viber's REST bot API over one shared `httpx.AsyncClient`: timeouts on every call, retries with backoff.

Errors:

- `ViberRefused` — Viber answered and said no (`status` ≠ 0, or an HTTP 4xx): retrying cannot help.
- `ViberUnavailable` — no usable answer after every attempt (timeouts, refused connections, 5xx, 429).
  - `ViberUnknown` — a request made with `resend=False` was sent but its answer never came: it may have
    reached Viber, so it is not tried again.

A request that could not connect or was not written whole (`channels.chat.transport.NEVER_SENT`), or got
a 429 or a 5xx, was not taken: tried again. A request written whole whose answer never came (the read
timeout is long: `HOTLINE_VIBER_TIMEOUT_SECONDS`) may have reached Viber: with `resend=False` (every
message: `send_message`) it raises `ViberUnknown`, since a copy twice is a second
message; `set_webhook` is tried again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from channels.chat.transport import NEVER_SENT, timeout
from channels.viber.wire import AUTH_HEADER, EVENT_TYPES, encode

log = logging.getLogger(__name__)

TOO_MANY_REQUESTS = 12  # Viber's status for "more than 100 messages without a reply in an hour"


class ViberError(Exception):
    pass


class ViberRefused(ViberError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Viber refused: status {status}, {message}")
        self.status = status
        self.message = message


class ViberUnavailable(ViberError):
    pass


class ViberUnknown(ViberUnavailable):
    pass


@dataclass(frozen=True)
class Retry:
    """How often and how patiently a call is tried: `attempts` in all, waits doubling from `first_delay`."""

    attempts: int = 4
    first_delay: float = 0.5
    max_delay: float = 8.0

    def delays(self) -> list[float]:
        return [min(self.first_delay * 2**n, self.max_delay) for n in range(self.attempts - 1)]


def make_http(token: str, timeout_seconds: float) -> httpx.AsyncClient:
    """The one client the app keeps for Viber: the token in its header; an answer awaited `timeout_seconds`,
    connecting given up sooner."""
    return httpx.AsyncClient(
        timeout=timeout(timeout_seconds),
        headers={AUTH_HEADER: token, "Content-Type": "application/json; charset=utf-8"},
    )


class ViberApi:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        retry: Retry | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/") + "/"
        self.retry = retry or Retry()
        self.sleep = sleep

    async def send_message(self, body: dict[str, Any]) -> int | None:
        """Send one message, never twice (its answer lost: `ViberUnknown`); Viber's message token for it."""
        answer = await self.call("send_message", body, resend=False)
        token = answer.get("message_token")
        return int(token) if token is not None else None

    async def set_webhook(self, url: str, *, event_types: tuple[str, ...] = EVENT_TYPES) -> list[str]:
        """Point Viber at our webhook, asking for user names and photos; the event types Viber confirmed."""
        body = {"url": url, "event_types": list(event_types), "send_name": True, "send_photo": True}
        answer = await self.call("set_webhook", body)
        return [str(e) for e in answer.get("event_types") or []]

    async def call(self, method: str, body: dict[str, Any], *, resend: bool = True) -> dict[str, Any]:
        """POST `body` to `method`, retrying what may pass next time; the answer when its status is 0.

        `resend=False`: a request sent whose answer was lost raises `ViberUnknown` instead of going again."""
        problem = "no attempt was made"
        for delay in [*self.retry.delays(), None]:
            try:
                return await self._once(method, body, resend=resend)
            except ViberUnknown:
                raise
            except ViberUnavailable as exc:
                problem = str(exc)
            if delay is None:
                break
            log.info("Viber %s: %s; trying again in %.1f s", method, problem, delay)
            await self.sleep(delay)
        raise ViberUnavailable(f"Viber {method}: gave up after {self.retry.attempts} attempts ({problem})")

    async def _once(self, method: str, body: dict[str, Any], *, resend: bool = True) -> dict[str, Any]:
        try:
            response = await self.http.post(self.base_url + method, content=encode(body))
        except NEVER_SENT as exc:
            raise ViberUnavailable(f"not sent ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:  # sent whole; the answer lost
            if not resend:
                raise ViberUnknown(f"Viber {method}: no answer ({type(exc).__name__}); perhaps sent") from exc
            raise ViberUnavailable(f"no answer ({type(exc).__name__})") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ViberUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ViberRefused(response.status_code, f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except json.JSONDecodeError as exc:
            raise ViberUnavailable("the answer is not JSON") from exc
        if not isinstance(answer, dict):
            raise ViberUnavailable("the answer is not a JSON object")
        status = int(answer.get("status", -1))
        if status != 0:
            raise ViberRefused(status, str(answer.get("status_message", "")))
        return answer
