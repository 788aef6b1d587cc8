"""Telegram's wire format: the webhook's secret token, Bot API updates in, method calls out.

Updates are read with python-telegram-bot's types (`telegram.Update.de_json`), then narrowed to the
one thing the channel acts on (`Incoming`). Reading is tolerant on purpose: Telegram adds update kinds
and fields, and an update that does not get a 2xx is sent again and holds up the ones behind it, so
a body we cannot read is reported as `None`, never raised.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType, InlineKeyboardButtonLimit, MessageLimit, UpdateType

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH.value  # 4,096, counted in UTF-16 code units
CALLBACK_DATA_LIMIT = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA.value  # 64 bytes
# What setWebhook asks for: everything `parse` turns into an `Incoming`.
UPDATE_KINDS = (UpdateType.MESSAGE, UpdateType.EDITED_MESSAGE, UpdateType.CALLBACK_QUERY, UpdateType.MY_CHAT_MEMBER)
MAX_TEXT = 2000  # what we pass on to the engine; Telegram lets citizens send 4,096
# Begins the callback data of a button under a menu (no answer in it): the next menu may take that
# message's place (editMessageText) instead of piling up under it. An answer's buttons go without it.
IN_PLACE = "~"
_GONE = frozenset({ChatMemberStatus.BANNED, ChatMemberStatus.LEFT})  # "kicked" is how a blocked bot shows
# What a message can carry besides text, in the order they are looked for (the first one names it).
_ATTACHMENTS = (
    "photo", "sticker", "document", "video", "video_note", "animation", "audio", "location", "venue",
    "contact", "poll", "dice", "story",
)  # fmt: skip


def secret_ok(sent: str | None, secret: str) -> bool:
    """Whether the header carries our secret (constant time; no secret set or no header: False)."""
    if not secret or sent is None:
        return False
    return hmac.compare_digest(sent.encode("utf-8", "replace"), secret.encode())


class Kind(StrEnum):
    START = "start"  # /start: a new conversation
    TEXT = "text"  # typed, or an edited message's new text
    BUTTON = "button"  # an inline button's callback data (an engine target)
    VOICE = "voice"  # a voice message (OGG/Opus)
    BLOCKED = "blocked"  # the citizen blocked the bot (or deleted the chat)
    UNBLOCKED = "unblocked"
    OTHER = "other"  # a photo, a sticker, a location…: answered politely
    IGNORED = "ignored"  # not a citizen's private chat, or an update kind we did not ask for


@dataclass(frozen=True)
class Incoming:
    """One update as the channel acts on it. `chat_id` is None only for `IGNORED`."""

    update_id: int
    kind: Kind
    chat_id: int | None = None
    lang: str | None = None  # uk or ru from the user's Telegram language, else None
    text: str = ""  # the text, the button's data, or the command's argument
    name: str = ""  # the citizen's first name as Telegram shows it
    what: str = ""  # for OTHER and IGNORED: what it was ("sticker", "channel_post"…)
    callback_id: str | None = None  # a button press: answered with answerCallbackQuery
    message_id: int | None = None  # the message whose button was pressed (while the bot may still edit it)
    in_place: bool = False  # that message is a menu: the next menu may replace it
    file_id: str | None = None  # a voice message's file
    seconds: int = 0  # a voice message's length
    edited: bool = False


def parse(body: bytes) -> Incoming | None:
    """The update in a webhook body, or None when it is not one we can read."""
    try:
        data = json.loads(body)
        update = Update.de_json(data, None) if isinstance(data, dict) else None
        return _incoming(update) if update is not None and _fits(update.update_id) else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _incoming(update: Update) -> Incoming:
    user = update.effective_user
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE or user is None or user.is_bot or not _fits(chat.id):
        return Incoming(update.update_id, Kind.IGNORED, what=_kind_name(update))
    base = Incoming(update.update_id, Kind.IGNORED, chat.id, lang_of(user.language_code), name=_clean(user.first_name))
    if (member := update.my_chat_member) is not None:
        gone = member.new_chat_member.status in _GONE
        return _with(base, Kind.BLOCKED if gone else Kind.UNBLOCKED, what=str(member.new_chat_member.status))
    if (query := update.callback_query) is not None:
        data = _clean(query.data or "")
        under = query.message.message_id if isinstance(query.message, Message) else None
        in_place = data.startswith(IN_PLACE) and under is not None
        target = data.removeprefix(IN_PLACE)
        return _with(base, Kind.BUTTON, text=target, callback_id=query.id, message_id=under, in_place=in_place)
    if update.message is not None:
        return _message(base, update.message)
    if update.edited_message is not None:
        return _with(_message(base, update.edited_message), edited=True)
    return _with(base, Kind.IGNORED, what=_kind_name(update))


def _message(base: Incoming, message: Message) -> Incoming:
    if message.voice is not None:
        voice = message.voice.to_dict()  # `duration` as Telegram sent it (the attribute's type is changing)
        return _with(base, Kind.VOICE, file_id=voice["file_id"], seconds=int(voice.get("duration") or 0))
    text = _clean(message.text or "").strip()
    if text:
        command, _, argument = text.partition(" ")
        if command.split("@")[0] == "/start":
            return _with(base, Kind.START, text=argument.strip())
        return _with(base, Kind.TEXT, text=text[:MAX_TEXT])
    what = next((name for name in _ATTACHMENTS if getattr(message, name, None)), "message")
    return _with(base, Kind.OTHER, what=what)


def _with(base: Incoming, kind: Kind | None = None, **changes: Any) -> Incoming:
    values = {**base.__dict__, **changes}
    if kind is not None:
        values["kind"] = kind
    return Incoming(**values)


def _fits(number: object) -> bool:
    """Telegram's ids have at most 52 significant bits; anything else is not from Telegram (and would not
    fit the database's 64-bit columns)."""
    return isinstance(number, int) and not isinstance(number, bool) and abs(number) < 2**53


def _kind_name(update: Update) -> str:
    """The update's kind as Telegram names it (its one field besides `update_id`)."""
    fields = update.to_dict()
    return next((key for key in fields if key != "update_id"), "unknown")


def _clean(text: str) -> str:
    # PostgreSQL keeps no NUL (U+0000) in text, and the citizen meant none.
    return text.replace("\x00", "")


def lang_of(code: str | None) -> str | None:
    """uk or ru from Telegram's IETF language tag ("uk", "ru", "ru-RU"), else None."""
    found = (code or "").lower()[:2]
    return found if found in {"uk", "ru"} else None


# ---- out ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One Bot API call. `id` is stable for what caused it, so a retried update sends nothing new.

    `instead` is made when Telegram refuses this one (a menu message too old to edit is sent anew)."""

    id: str
    chat_id: int
    method: str
    body: dict[str, Any]
    instead: Call | None = None

    @property
    def receiver(self) -> str:
        """Whose calls go in order (the shared outbox's `Message`)."""
        return str(self.chat_id)

    @property
    def message(self) -> bool:
        """Something the citizen reads: not to a chat that blocked the bot, and within the send rates."""
        return self.method in MESSAGE_METHODS

    @property
    def repeatable(self) -> bool:
        """Whether making it twice shows the citizen what once does (an edit, a button's answer; not a message)."""
        return self.method not in NEW_MESSAGE_METHODS


MESSAGE_METHODS = frozenset({"sendMessage", "editMessageText"})
NEW_MESSAGE_METHODS = frozenset({"sendMessage"})


def encode(body: dict[str, Any]) -> bytes:
    """JSON as Telegram takes it: UTF-8, not \\u-escaped."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def utf16_length(text: str) -> int:
    """Telegram's length of a text: UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2
