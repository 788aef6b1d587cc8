"""The built-in channels, in the order staff pages list them: the composition root's one list."""

from __future__ import annotations

from channels.chat import routes as chat_routes
from channels.registry import Channel, Channels
from channels.telegram.channel import Telegram
from channels.viber.channel import Viber
from channels.webchat.channel import WebChat
from ivr.channel import Phone


def channels() -> list[Channel]:
    """A fresh instance of each (a channel keeps what it started; every app has its own)."""
    return [Phone(), Viber(), Telegram(), WebChat()]


def chosen(wanted: str) -> Channels:
    """The built-in channels that `wanted` (HOTLINE_CHANNELS) names, all when empty, with the routes every chat
    channel shares (the block list)."""
    return Channels.chosen(channels(), wanted, shared=(chat_routes.admin_router,))
