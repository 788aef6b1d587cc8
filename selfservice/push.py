"""How an announcement reaches a citizen on a push channel: one small interface, one implementation per channel.

Outcomes, and what the sender does with each:

- `SENT` — the platform took it.
- `GONE` — the citizen left the bot (unsubscribed, blocked it, deleted the account): their
  subscriptions on that channel are dropped.
- `FAILED` — the platform refused this message for this citizen (e.g. Viber's 100 unanswered
  messages an hour): not tried again.
- `RETRY` — the platform could not be reached after the client's own retries: tried again later,
  a few times at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from channels.viber.client import ViberApi, ViberRefused, ViberUnavailable
from channels.viber.wire import TEXT_LIMIT, Look, text_message


class PushOutcome(StrEnum):
    SENT = "sent"
    GONE = "gone"
    FAILED = "failed"
    RETRY = "retry"


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
        except ViberUnavailable as exc:
            return Pushed(PushOutcome.RETRY, str(exc)[:200])
        return Pushed(PushOutcome.SENT)
