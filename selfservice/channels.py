"""An announcement as each push channel of the registry shows it: the exact text per language, and its
length against the channel's limit (`Capabilities.text_limit`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from channels.registry import Channel, Channels, Delivery
from channels.telegram.wire import utf16_length
from selfservice import announcements

# How a channel counts a message's length where it is not in characters.
LENGTHS: Mapping[str, Callable[[str], int]] = {"telegram": utf16_length}


def push_channels(registry: Channels) -> list[Channel]:
    """The channels that are on and may write to a citizen whenever there is news (the messengers)."""
    return [c for c in registry.channels if c.capabilities.delivery is Delivery.PUSH]


@dataclass(frozen=True)
class Preview:
    channel: str
    label: str
    lang: str
    text: str
    length: int
    limit: int | None

    @property
    def too_long(self) -> bool:
        return self.limit is not None and self.length > self.limit


def preview(texts: Mapping[str, str], *, registry: Channels, lang: str) -> Sequence[Preview]:
    """Each push channel's message in each language, exactly as a subscriber gets it, with its length."""
    shown = []
    for channel in push_channels(registry):
        name, length = channel.name, LENGTHS.get(channel.name, len)
        for text_lang, text in texts.items():
            message = announcements.compose(text, text_lang)
            limit = channel.capabilities.text_limit
            shown.append(Preview(name, registry.label(name, lang), text_lang, message, length(message), limit))
    return shown
