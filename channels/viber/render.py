"""Engine replies as Viber messages: the long text split to Viber's limit, menus as phone-sized keyboards.

Pure: the engine's replies (as `Dialogue` returns them) in, message bodies out.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from channels.chat import texts
from channels.chat.wording import written
from channels.viber.wire import ACTION_BODY_LIMIT, BUTTON_TEXT_LIMIT, TEXT_LIMIT, Keyboard, Look, Outgoing, text_message
from intents.engine import T_BACK, T_MENU, T_OPERATOR, Option, Reply

GRID = 6  # a Viber keyboard is six columns wide
HALF = 3
# A label up to this long fits half a phone's width on two lines; longer ones take a whole row.
HALF_LABEL = 18
CONTROLS = ((T_BACK, "label_back"), (T_MENU, "label_menu"), (T_OPERATOR, "label_operator"))
RATING_PREFIX = "rate:"


def button(label: str, target: str, columns: int) -> dict[str, Any]:
    return {
        "Columns": columns,
        "Rows": 1,
        "ActionType": "reply",
        "ActionBody": target[:ACTION_BODY_LIMIT],
        "Text": html.escape(label, quote=False)[:BUTTON_TEXT_LIMIT],
        "TextSize": "regular",
    }


def _rows(items: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Short labels two to a row, long ones alone; a short one left alone takes the whole row."""
    buttons: list[dict[str, Any]] = []
    half: dict[str, Any] | None = None
    for label, target in items:
        if len(label) > HALF_LABEL:
            if half is not None:
                buttons.append({**half, "Columns": GRID})
                half = None
            buttons.append(button(label, target, GRID))
        elif half is None:
            half = button(label, target, HALF)
        else:
            buttons.extend((half, button(label, target, HALF)))
            half = None
    if half is not None:
        buttons.append({**half, "Columns": GRID})
    return buttons


def keyboard(options: Sequence[Option], lang: str | None) -> Keyboard:
    """The reply's options as buttons, then one row that is always there: back, menu, a specialist."""
    controls = {target for target, _ in CONTROLS}
    items = [(o.label, o.target) for o in options if o.target not in controls]
    last_row = [button(texts.label(key, lang), target, GRID // len(CONTROLS)) for target, key in CONTROLS]
    return {"Type": "keyboard", "DefaultHeight": False, "Buttons": [*_rows(items), *last_row]}


def rating_keyboard(lang: str | None) -> Keyboard:
    """1 to 5 in one row, then the usual last row."""
    board = keyboard((), lang)
    scores = [button(str(n), f"{RATING_PREFIX}{n}", 1) for n in range(1, 6)]
    scores[-1]["Columns"] = 2  # the row must fill the grid's six columns
    return {**board, "Buttons": [*scores, *board["Buttons"]]}


def split(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, a line, a sentence or a word if possible."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = next(
            (at + len(sep) for sep in ("\n\n", "\n", ". ", " ") if (at := window.rfind(sep)) > limit // 2),
            limit,
        )
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def messages(
    replies: Sequence[Reply], lang: str | None, look: Look, *, receiver: str, turn: str, footer: str = ""
) -> list[Outgoing]:
    """Each reply's long text in Viber-sized pieces, each piece with the reply's keyboard.

    `footer` (e.g. the place in the queue) ends the last reply. Ids are `turn` plus a counter.
    """
    out: list[Outgoing] = []
    for index, reply in enumerate(replies):
        text = written(reply)
        if footer and index == len(replies) - 1:
            text = f"{text}\n\n{footer}"
        board = keyboard(reply.options, lang)
        for piece in split(text):
            out.append(Outgoing(f"{turn}:{len(out)}", receiver, text_message(piece, board, look, receiver)))
    return out


def note(
    text: str, lang: str | None, look: Look, *, receiver: str, turn: str, board: Keyboard | None = None
) -> Outgoing:
    """One message of our own (a warning, a thank-you) with the given keyboard or the usual last row."""
    return Outgoing(f"{turn}:0", receiver, text_message(text, board or keyboard((), lang), look, receiver))


def welcome(
    replies: Sequence[Reply], lang: str | None, look: Look, *, notice: str = "", footer: str = ""
) -> dict[str, Any]:
    """The one message Viber lets us answer `conversation_started` with: the office's emergency notice first,
    every reply's text, a `footer`, and the last reply's keyboard."""
    text = "\n\n".join(part for part in (notice, *(written(r) for r in replies), footer) if part)
    options = replies[-1].options if replies else ()
    return text_message(split(text)[0], keyboard(options, lang), look)
