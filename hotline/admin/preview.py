"""How a node reads on each channel: the real engine answers a tap on it, and each channel's view
of that reply is shown (the phone says the short text; Viber and the web show the long text and
buttons). No dialogue logic is repeated here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from channels.chat.wording import written
from intents import engine
from intents.engine import Expect, Input, InputKind, State
from intents.matcher import Match
from intents.tree import Node, Tree
from ivr.turns import spoken as phone_spoken

SPOKEN_CHARS_PER_SECOND = 14  # a text-to-speech voice reading Ukrainian or Russian at normal pace
VIBER_MAX_TEXT = 7000  # Viber refuses longer text messages
VIBER_MAX_BUTTON = 250


@dataclass(frozen=True)
class ChannelView:
    text: str
    buttons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # text keys: the page says them in the admin's language


@dataclass(frozen=True)
class Preview:
    phone: ChannelView
    viber: ChannelView
    web: ChannelView
    speaking_seconds: int


class _ButtonsOnly:
    """The engine's `Understanding` for a tap: a preview never sends free text, so nothing matches."""

    def match(self, text: str, lang: str) -> Match:
        return Match(None, 0.0, (), False)

    def match_option(self, text: str, lang: str, options: Sequence[Node]) -> Node | None:
        return None


def preview(tree: Tree, slug: str, lang: str) -> Preview:
    """What a citizen gets on choosing `slug` from its menu, per channel."""
    state = State(lang=lang, expect=Expect.MENU, menu=tree.parents.get(slug), tree_version=tree.version)
    turn = engine.handle(state, Input(InputKind.BUTTON, slug), tree, _ButtonsOnly())
    spoken = " ".join(phone_spoken(r, lang) for r in turn.replies)
    text = "\n\n".join(written(r) for r in turn.replies)
    buttons = [o.label for r in turn.replies for o in r.options]
    keyed = [f"{o.key} — {o.label}" for r in turn.replies for o in r.options]
    viber_warnings = ["viber_too_long"] if len(text) > VIBER_MAX_TEXT else []
    viber_warnings += ["viber_button_too_long"] if any(len(b) > VIBER_MAX_BUTTON for b in buttons) else []
    return Preview(
        phone=ChannelView(spoken, keyed),
        viber=ChannelView(text, buttons, viber_warnings),
        web=ChannelView(text, buttons),
        speaking_seconds=round(len(spoken) / SPOKEN_CHARS_PER_SECOND),
    )
