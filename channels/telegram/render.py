"""Engine replies as Telegram messages: the long text in pieces under 4,096, menus as inline keyboards.

Pure. Messages are plain text (no `parse_mode`): nothing a tree editor or a citizen writes can be taken
for markup, so nothing needs escaping, and Telegram still makes links and phone numbers tappable.
A button's `callback_data` is the engine's target (a tree slug, `menu`, `back`, `operator`, `lang:uk`),
which always fits Telegram's 64 bytes; a target that would not is left out rather than cut.

A menu (no answer in it) marks its buttons (`wire.IN_PLACE`): the menu a press on it leads to takes
its place (`in_place`), as Telegram's bots navigate, so a citizen's chat keeps their answers and the
last menu, not every menu they passed through.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from channels.chat import controls
from channels.chat.wording import written
from channels.telegram.wire import CALLBACK_DATA_LIMIT, IN_PLACE, TEXT_LIMIT, Call, utf16_length
from intents.engine import Expect, Option, Reply

# Two labels this short fit side by side on a phone; a longer one takes a row of its own.
HALF_LABEL = 16
RATING_PREFIX = "rate:"


def _button(label: str, target: str, in_place: bool = False) -> InlineKeyboardButton | None:
    data = f"{IN_PLACE}{target}" if in_place else target
    if not target or len(data.encode()) > CALLBACK_DATA_LIMIT:
        return None
    return InlineKeyboardButton(label, callback_data=data)


def _rows(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Short labels two to a row, long ones alone."""
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        short = len(button.text) <= HALF_LABEL
        if short and rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= HALF_LABEL:
            rows[-1].append(button)
        else:
            rows.append([button])
    return rows


def keyboard(options: Sequence[Option], lang: str | None, *, in_place: bool = False) -> dict[str, Any]:
    """The reply's options as inline buttons, then the row that is always there: back, menu, a specialist.

    `in_place`: the buttons are under a menu, which the next menu may replace."""
    choices = [b for o in options if o.target not in controls.CONTROLS and (b := _button(o.label, o.target, in_place))]
    last = [b for t in controls.CONTROLS if (b := _button(controls.label(t, lang), t, in_place))]
    return InlineKeyboardMarkup([*_rows(choices), last]).to_dict()


def menu_only(reply: Reply) -> bool:
    """A reply that is only a choice to make (a section's menu, the languages): nothing to keep once chosen."""
    choices = [o for o in reply.options if o.target not in controls.CONTROLS]
    waits_for_choice = reply.expect in (Expect.MENU, Expect.LANGUAGE)
    return waits_for_choice and bool(choices) and reply.intent is None and reply.handoff is None and not reply.end


def rating_keyboard(lang: str | None) -> dict[str, Any]:
    """1 to 5 in one row, then the usual last row."""
    scores = [InlineKeyboardButton(str(n), callback_data=f"{RATING_PREFIX}{n}") for n in range(1, 6)]
    last = [InlineKeyboardButton(controls.label(t, lang), callback_data=t) for t in controls.CONTROLS]
    return InlineKeyboardMarkup([scores, last]).to_dict()


def pieces(text: str) -> list[str]:
    """`text` in messages Telegram takes (under 4,096 UTF-16 code units each)."""
    return controls.split(text, TEXT_LIMIT, utf16_length)


def send(call_id: str, chat_id: int, text: str, board: dict[str, Any] | None) -> Call:
    body: dict[str, Any] = {"chat_id": chat_id, "text": text, "link_preview_options": {"is_disabled": True}}
    if board is not None:
        body["reply_markup"] = board
    return Call(call_id, chat_id, "sendMessage", body)


def messages(
    replies: Sequence[Reply], lang: str | None, *, chat_id: int, turn: str, header: str = "", footer: str = ""
) -> list[Call]:
    """Each reply's long text in pieces; the reply's keyboard under its last piece.

    `header` (the emergency notice) starts the first reply, `footer` (e.g. the place in the queue) ends the
    last one. Ids are `turn` plus a counter.
    """
    out: list[Call] = []
    for index, reply in enumerate(replies):
        text = written(reply)
        if header and index == 0:
            text = f"{header}\n\n{text}" if text else header
        if footer and index == len(replies) - 1:
            text = f"{text}\n\n{footer}" if text else footer
        parts = pieces(text) or ["…"]
        for n, piece in enumerate(parts):
            board = keyboard(reply.options, lang, in_place=menu_only(reply)) if n == len(parts) - 1 else None
            out.append(send(f"{turn}:{len(out)}", chat_id, piece, board))
    return out


def in_place(calls: Sequence[Call], message_id: int) -> list[Call]:
    """One menu message as an edit of the menu message `message_id`; sent anew if Telegram will not edit it
    (older than 48 hours, deleted). More than one message: sent as they are."""
    if len(calls) != 1 or calls[0].method != "sendMessage":
        return list(calls)
    sent = calls[0]
    body = {**sent.body, "message_id": message_id}
    return [Call(f"{sent.id}:edit", sent.chat_id, "editMessageText", body, instead=sent)]


def plain(text: str, *, chat_id: int, turn: str) -> Call:
    """A message without buttons (a specialist's words, what is said while one holds the conversation)."""
    return send(f"{turn}:0", chat_id, pieces(text)[0], None)


def note(text: str, lang: str | None, *, chat_id: int, turn: str, board: dict[str, Any] | None = None) -> Call:
    """One message of our own (a notice, a thank-you) with the given keyboard or the usual last row."""
    return send(f"{turn}:0", chat_id, pieces(text)[0], board or keyboard((), lang))


def answer_button(turn: str, chat_id: int, callback_id: str, text: str = "") -> Call:
    """answerCallbackQuery: the pressed button stops spinning (with a short notice when `text`)."""
    body: dict[str, Any] = {"callback_query_id": callback_id}
    if text:
        body["text"] = text[:200]
    return Call(f"{turn}:cb", chat_id, "answerCallbackQuery", body)
