"""Viber's wire format: the webhook signature, incoming events, outgoing text messages and keyboards.

Parsing is tolerant on purpose: Viber adds fields and sometimes leaves documented ones out (a
`failed` callback without `desc` has been seen), and a callback that does not get a 200 is retried
for an hour, so an unknown shape is reported as `None` instead of raising.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from viberbot.api.messages import TextMessage

SIGNATURE_HEADER = "X-Viber-Content-Signature"
AUTH_HEADER = "X-Viber-Auth-Token"
TEXT_LIMIT = 7000  # characters in one text message (Viber's send_message documentation)
ACTION_BODY_LIMIT = 250
BUTTON_TEXT_LIMIT = 250
SENDER_NAME_LIMIT = 28
# Everything we want to be told about; `message` and `webhook` always come.
EVENT_TYPES = ("delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started")


def signature(body: bytes, token: str) -> str:
    """Lower-case hex HMAC-SHA256 of the raw body, keyed with the bot's token, as Viber signs it."""
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, sent: str | None, token: str) -> bool:
    """Whether `sent` signs exactly these bytes (constant-time; no token or no header: False)."""
    if not token or not sent:
        return False
    return hmac.compare_digest(signature(body, token).encode(), sent.strip().lower().encode("utf-8", "replace"))


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _without_nul(cls, value: Any) -> Any:
        # PostgreSQL keeps no NUL (U+0000) in text, and the citizen meant none: drop it, answer the rest.
        return value.replace("\x00", "") if isinstance(value, str) else value


class ViberUser(_Tolerant):
    id: str
    name: str = ""
    language: str | None = None
    country: str | None = None
    api_version: int | None = None

    @property
    def lang(self) -> str | None:
        """uk or ru from the phone's language ("uk", "ru-RU"), else None."""
        code = (self.language or "").lower()[:2]
        return code if code in {"uk", "ru"} else None


class ViberMessage(_Tolerant):
    type: str
    text: str | None = None
    tracking_data: str | None = None


class Event(_Tolerant):
    """One callback. Which fields are there depends on `event` (Viber's REST bot API, "Callbacks")."""

    event: str
    timestamp: int | None = None
    message_token: int | None = None
    user: ViberUser | None = None  # conversation_started, subscribed
    sender: ViberUser | None = None  # message
    user_id: str | None = None  # unsubscribed, delivered, seen, failed
    message: ViberMessage | None = None
    desc: str | None = None
    context: str | None = None
    subscribed: bool | None = None

    @property
    def who(self) -> str | None:
        """The Viber user the event is about, whichever field carries it."""
        person = self.sender or self.user
        return person.id if person else self.user_id


def parse(body: bytes) -> Event | None:
    """The event in a webhook body, or None when it is not one we can read."""
    try:
        data = json.loads(body)
        return Event.model_validate(data) if isinstance(data, dict) else None
    except (ValueError, ValidationError):
        return None


@dataclass(frozen=True)
class Look:
    """How the bot appears in Viber: its name (at most 28 characters) and avatar URL."""

    name: str
    avatar: str = ""

    def sender(self) -> dict[str, str]:
        found = {"name": self.name[:SENDER_NAME_LIMIT]}
        if self.avatar:
            found["avatar"] = self.avatar
        return found


Keyboard = dict[str, Any]


def text_message(text: str, keyboard: Keyboard | None, look: Look, receiver: str | None = None) -> dict[str, Any]:
    """A `send_message` body (or, without `receiver`, a welcome for the `conversation_started` answer)."""
    message = TextMessage(text=text[:TEXT_LIMIT], keyboard=keyboard)
    if not message.validate():
        raise ValueError("a Viber text message needs text")
    body: dict[str, Any] = message.to_dict()
    body["sender"] = look.sender()
    if receiver is not None:
        body["receiver"] = receiver
    return body


def encode(body: dict[str, Any]) -> bytes:
    """JSON as Viber takes it: UTF-8, not \\u-escaped (escaping would triple Cyrillic past the 30 KB limit)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Outgoing:
    """A message for one Viber user. `id` is stable for a given event, so a retried event sends nothing new."""

    id: str
    receiver: str
    body: dict[str, Any]
