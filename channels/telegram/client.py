"""Telegram's Bot API over one shared `httpx.AsyncClient`: `{API_URL}/bot{TOKEN}/{method}`, a timeout on
every call, retries with doubling waits, and Telegram's own wait when it answers 429 `retry_after`.

Errors:

- `TelegramRefused` — Telegram answered and said no (`ok: false` with a 4xx other than 429): retrying
  cannot help. `blocked` is 403: the citizen blocked the bot or deleted their account.
- `TelegramUnavailable` — no usable answer after every attempt (timeouts, refused connections, 5xx,
  429), or Telegram asked us to wait longer than we will hold a citizen's messages.
  - `TelegramUnknown` — a call made with `resend=False` was sent but its answer never came: it may
    have reached Telegram, so it is not tried again.

A call that could not connect or was not written whole (`channels.chat.transport.NEVER_SENT`), or got a
429 or a 5xx, was not taken: tried again. A call written whole whose answer never came (the read timeout is
long: `HOTLINE_TELEGRAM_TIMEOUT_SECONDS`) may have reached Telegram: tried again only when a second copy
changes nothing (an edit, a callback answer, a read); with `resend=False` (a new message: `sendMessage`
from the sender, every announcement) it raises `TelegramUnknown` instead.

The token is part of every URL: httpx's request log is filtered so it never shows (`hide_token`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from channels.chat.transport import NEVER_SENT, timeout
from channels.telegram.wire import encode

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024 * 1024  # a voice message this size is minutes long; we take two


class TelegramError(Exception):
    pass


class TelegramRefused(TelegramError):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"Telegram refused: {code} {description}")
        self.code = code
        self.description = description

    @property
    def blocked(self) -> bool:
        return self.code == 403


class TelegramUnavailable(TelegramError):
    pass


class TelegramUnknown(TelegramUnavailable):
    pass


class _Again(Exception):
    """One try that may pass later; `retry_after` is Telegram's own wait (429)."""

    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Retry:
    """`attempts` in all, waits doubling from `first_delay` up to `max_delay`; a 429 waits what Telegram
    says, up to `max_retry_after` (a longer wait gives up instead of holding the chat's messages)."""

    attempts: int = 4
    first_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0


def make_http(timeout_seconds: float) -> httpx.AsyncClient:
    """The one client the app keeps for Telegram: an answer awaited `timeout_seconds`, connecting given up sooner."""
    return httpx.AsyncClient(
        timeout=timeout(timeout_seconds), headers={"Content-Type": "application/json; charset=utf-8"}
    )


class BotApi:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_url: str,
        token: str,
        retry: Retry | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        limited: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        """`limited` hears each 429's `retry_after` (the sender holds every chat's messages that long)."""
        self.http = http
        self.base = f"{api_url.rstrip('/')}/bot{token}/"
        self.files = f"{api_url.rstrip('/')}/file/bot{token}/"
        self.retry = retry or Retry()
        self.sleep = sleep
        self.limited = limited
        hide_token(token)

    async def call(self, method: str, body: dict[str, Any], *, resend: bool = True) -> Any:
        """POST `body` to `method`, retrying what may pass next time; Telegram's `result`.

        `resend=False`: a call sent whose answer was lost raises `TelegramUnknown` instead of going again."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Again),
            sleep=self.sleep,
            before_sleep=lambda state: log.info("Telegram %s: %s; trying again", method, _problem(state)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, body, resend=resend)
        except _Again as exc:
            gave_up = f"Telegram {method}: gave up after {self.retry.attempts} attempts ({exc})"
            raise TelegramUnavailable(gave_up) from None
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Again) and exc.retry_after is not None:
            return float(exc.retry_after)
        doubled: float = self.retry.first_delay * 2 ** (state.attempt_number - 1)
        return min(doubled, self.retry.max_delay)

    async def _once(self, method: str, body: dict[str, Any], *, resend: bool = True) -> Any:
        try:
            response = await self.http.post(self.base + method, content=encode(body))
        except NEVER_SENT as exc:
            raise _Again(f"not sent ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:  # sent whole; the answer lost
            if not resend:
                raise TelegramUnknown(f"Telegram {method}: no answer ({type(exc).__name__}); perhaps sent") from exc
            raise _Again(f"no answer ({type(exc).__name__})") from exc
        answer = _json(response)
        if response.status_code == 429 or answer.get("error_code") == 429:
            wait = float((answer.get("parameters") or {}).get("retry_after") or 1)
            if self.limited is not None:
                await self.limited(wait)
            if wait > self.retry.max_retry_after:
                raise TelegramUnavailable(f"Telegram {method}: asked to wait {wait:.0f} s")
            raise _Again(f"429, retry after {wait:.0f} s", retry_after=wait)
        if response.status_code >= 500:
            raise _Again(f"HTTP {response.status_code}")
        if not answer.get("ok"):
            code = int(answer.get("error_code") or response.status_code)
            raise TelegramRefused(code, str(answer.get("description") or f"HTTP {response.status_code}"))
        return answer.get("result")

    async def set_webhook(self, url: str, *, secret: str, kinds: tuple[str, ...]) -> bool:
        body = {"url": url, "secret_token": secret, "allowed_updates": list(kinds), "drop_pending_updates": False}
        return bool(await self.call("setWebhook", body))

    async def file(self, file_id: str) -> bytes:
        """A file a citizen sent (getFile, then the download), at most MAX_FILE_BYTES."""
        found = await self.call("getFile", {"file_id": file_id})
        path = found.get("file_path") if isinstance(found, dict) else None
        if not path:
            raise TelegramRefused(400, "getFile gave no file_path")
        if int(found.get("file_size") or 0) > MAX_FILE_BYTES:
            raise TelegramRefused(413, f"the file is over {MAX_FILE_BYTES} bytes")
        try:
            async with self.http.stream("GET", self.files + str(path)) as response:
                if response.status_code != 200:
                    raise TelegramUnavailable(f"download: HTTP {response.status_code}")
                return await _bounded(response)
        except httpx.HTTPError as exc:
            raise TelegramUnavailable(f"download: {type(exc).__name__}") from exc


async def _bounded(response: httpx.Response) -> bytes:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) > MAX_FILE_BYTES:
            raise TelegramRefused(413, f"the file is over {MAX_FILE_BYTES} bytes")
    return bytes(data)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _problem(state: RetryCallState) -> str:
    return str(state.outcome.exception()) if state.outcome else ""


class _HideToken(logging.Filter):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(self.token in str(arg) for arg in record.args):
            record.args = tuple(_hidden(arg, self.token) for arg in record.args)
        return True


def _hidden(arg: object, token: str) -> object:
    """The argument with the token replaced, keeping numbers numbers (the message may say %d)."""
    text = str(arg)
    return text.replace(token, "<token>") if token in text else arg


def hide_token(token: str) -> None:
    """httpx logs each request's URL, where Telegram wants the bot's token: it is shown as <token>."""
    logger = logging.getLogger("httpx")
    if token and not any(isinstance(f, _HideToken) and f.token == token for f in logger.filters):
        logger.addFilter(_HideToken(token))
