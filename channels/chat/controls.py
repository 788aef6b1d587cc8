"""The row every chat menu ends with — back, the menu, a specialist — and the split of long answers.

Pure and shared by the chat channels: the targets are the engine's own (`intents.engine`), the labels
are the engine's words (`intents.messages`).
"""

from __future__ import annotations

from collections.abc import Callable

from intents.engine import T_BACK, T_MENU, T_OPERATOR
from intents.messages import say

CONTROLS = (T_BACK, T_MENU, T_OPERATOR)


def label(target: str, lang: str | None) -> str:
    """A control's label as the engine words it (Ukrainian while the citizen's language is not known)."""
    return say(f"label_{target}", lang or "uk")


def split(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Pieces no longer than `limit` (as `measure` counts), cut at a paragraph, a line, a sentence or a
    word where one falls in the second half of the piece, else where the limit falls."""
    text = text.strip()
    pieces: list[str] = []
    while measure(text) > limit:
        window = _prefix(text, limit, measure)
        cut = next(
            (at + len(sep) for sep in ("\n\n", "\n", ". ", " ") if (at := window.rfind(sep)) > len(window) // 2),
            len(window),
        )
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def _prefix(text: str, limit: int, measure: Callable[[str], int]) -> str:
    """The longest start of `text` that measures at most `limit` (characters never measure below one)."""
    end = min(len(text), limit)
    while end > 1 and measure(text[:end]) > limit:
        end -= max(1, (measure(text[:end]) - limit) // 2)
    return text[:end]
