"""How an announcement reaches a citizen on a push channel: one small interface, one implementation per channel.

Outcomes, and what the sender does with each:

- `SENT` — the platform took it.
- `GONE` — the citizen left the bot (unsubscribed, blocked it, deleted the account): their
  subscriptions on that channel are dropped.
- `FAILED` — the platform refused this message for this citizen (e.g. Viber's 100 unanswered
  messages an hour): not tried again.
- `RETRY` — the platform could not be reached after the client's own retries: tried again later,
  a few times at most.
- `UNKNOWN` — the message was sent but no answer came (a timeout): it may have arrived, so it is
  never sent again (a copy twice is what must not happen).

Clients are called with `resend=False`, so they do not send again what may have arrived either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from channels.telegram import render as telegram_render
from channels.telegram.client import TelegramRefused, TelegramUnavailable, TelegramUnknown
from channels.telegram.sender import Sender as TelegramSender
from channels.telegram.wire import TEXT_LIMIT as TELEGRAM_TEXT_LIMIT
from channels.viber.client import ViberApi, ViberRefused, ViberUnavailable, ViberUnknown
from channels.viber.wire import TEXT_LIMIT, Look, text_message


class PushOutcome(StrEnum):
    SENT = "sent"
    GONE = "gone"
    FAILED = "failed"
    RETRY = "retry"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Pushed:
    outcome: PushOutcome
    detail: str = ""


class PushSender(Protocol):
    """One push channel as the announcement sender sees it.

    `channel` is the name subscriptions are kept under; `rate` the messages per second the sender may
    send in bulk (the platform's allowance, as the office configured it); `text_limit` the longest
    text one message may carry (the preview warns past it)."""

    @property
    def channel(self) -> str: ...

    @property
    def rate(self) -> float: ...

    @property
    def text_limit(self) -> int: ...

    async def push(self, recipient: str, text: str, *, message_id: str) -> Pushed: ...


# Viber's statuses for a receiver who cannot get messages any more (not registered, not subscribed).
VIBER_GONE = frozenset({5, 6})


@dataclass(frozen=True)
class ViberPush:
    """Announcements over Viber's REST API (`channels.viber.client`): one `send_message` per citizen."""

    api: ViberApi
    look: Look
    rate: float
    channel: str = "viber"
    text_limit: int = TEXT_LIMIT

    async def push(self, recipient: str, text: str, *, message_id: str) -> Pushed:
        body = text_message(text, None, self.look, recipient)
        try:
            await self.api.send_message(body)
        except ViberRefused as exc:
            outcome = PushOutcome.GONE if exc.status in VIBER_GONE else PushOutcome.FAILED
            return Pushed(outcome, f"status {exc.status}: {exc.message}"[:200])
        except ViberUnknown as exc:
            return Pushed(PushOutcome.UNKNOWN, str(exc)[:200])
        except ViberUnavailable as exc:
            return Pushed(PushOutcome.RETRY, str(exc)[:200])
        return Pushed(PushOutcome.SENT)


# Telegram's 400s for a chat that is no more (deleted, or the citizen's account is gone).
TELEGRAM_GONE = ("chat not found", "user is deactivated")


@dataclass(frozen=True)
class TelegramPush:
    """Announcements over the Bot API through the line's sender (`channels.telegram.sender`): one sendMessage
    per chat, counted in the rates every node shares with the chats' own messages (about 30 a second in
    all, one a second in a chat); a 429 holds every send for the `retry_after` Telegram names (`Rates.hold`);
    a 403 means the citizen blocked the bot, so the chat is marked as the line marks it."""

    sender: TelegramSender
    rate: float
    channel: str = "telegram"
    text_limit: int = TELEGRAM_TEXT_LIMIT

    async def push(self, recipient: str, text: str, *, message_id: str) -> Pushed:
        if not recipient.lstrip("-").isdigit():
            return Pushed(PushOutcome.FAILED, "not a Telegram chat id")
        chat_id = int(recipient)
        if await self.sender.blocked(chat_id):
            return Pushed(PushOutcome.GONE, "the citizen has blocked the bot")
        await self.sender.rates.wait(chat_id)
        call = telegram_render.send(message_id, chat_id, text, None)
        try:
            await self.sender.api.call(call.method, call.body, resend=False)
        except TelegramRefused as exc:
            if exc.blocked:
                await self.sender.block(chat_id, "403")
            gone = exc.blocked or any(words in exc.description.lower() for words in TELEGRAM_GONE)
            return Pushed(PushOutcome.GONE if gone else PushOutcome.FAILED, str(exc)[:200])
        except TelegramUnknown as exc:
            return Pushed(PushOutcome.UNKNOWN, str(exc)[:200])
        except TelegramUnavailable as exc:
            return Pushed(PushOutcome.RETRY, str(exc)[:200])
        return Pushed(PushOutcome.SENT)
