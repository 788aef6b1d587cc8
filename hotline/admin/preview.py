"""How a node reads on each registered channel: the real engine answers a tap on it, and each channel's
view of that reply is shown as its capabilities say (a keypad channel says the short text and reads the
options with their keys; a button channel shows the long text and buttons, warned where its limits are
passed). No dialogue logic is repeated here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from channels.chat.wording import written
from channels.registry import Channel, Controls
from intents import engine
from intents.engine import Expect, Input, InputKind, Reply, State
from intents.matcher import Match
from intents.tree import Node, Tree
from ivr.turns import spoken as phone_spoken

SPOKEN_CHARS_PER_SECOND = 14  # a text-to-speech voice reading Ukrainian or Russian at normal pace


@dataclass(frozen=True)
class ChannelView:
    name: str
    label: str  # in the admin's language
    controls: str  # "keys" or "buttons"
    text: str
    buttons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # text keys: the page says them in the admin's language


@dataclass(frozen=True)
class Preview:
    channels: list[ChannelView]
    speaking_seconds: int

    def of(self, name: str) -> ChannelView:
        return next(v for v in self.channels if v.name == name)


class _ButtonsOnly:
    """The engine's `Understanding` for a tap: a preview never sends free text, so nothing matches."""

    def match(self, text: str, lang: str) -> Match:
        return Match(None, 0.0, (), False)

    def match_option(self, text: str, lang: str, options: Sequence[Node]) -> Node | None:
        return None


def preview(tree: Tree, slug: str, lang: str, channels: Iterable[Channel], staff_lang: str = "uk") -> Preview:
    """What a citizen gets on choosing `slug` from its menu, per channel."""
    state = State(lang=lang, expect=Expect.MENU, menu=tree.parents.get(slug), tree_version=tree.version)
    turn = engine.handle(state, Input(InputKind.BUTTON, slug), tree, _ButtonsOnly())
    spoken = " ".join(phone_spoken(r, lang) for r in turn.replies)
    views = [_view(c, turn.replies, spoken, c.label.get(staff_lang, c.name)) for c in channels]
    return Preview(views, speaking_seconds=round(len(spoken) / SPOKEN_CHARS_PER_SECOND))


def _view(channel: Channel, replies: Sequence[Reply], spoken: str, label: str) -> ChannelView:
    can = channel.capabilities
    if can.controls is Controls.KEYS:
        keyed = [f"{o.key} — {o.label}" for r in replies for o in r.options]
        return ChannelView(channel.name, label, can.controls.value, spoken, keyed)
    text = "\n\n".join(written(r) for r in replies)
    buttons = [o.label for r in replies for o in r.options]
    warnings = ["text_too_long"] if can.text_limit is not None and len(text) > can.text_limit else []
    if can.button_limit is not None and any(len(b) > can.button_limit for b in buttons):
        warnings.append("button_too_long")
    if can.buttons is not None and len(buttons) > can.buttons:
        warnings.append("too_many_buttons")
    return ChannelView(channel.name, label, can.controls.value, text, buttons, warnings)
