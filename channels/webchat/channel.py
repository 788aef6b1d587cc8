"""The web chat as a registered channel: its page, its JSON API and its static files."""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from fastapi import APIRouter
from starlette.routing import Mount

from channels.registry import BaseChannel, Capabilities, Controls, Delivery
from channels.webchat import api, page


class WebChat(BaseChannel):
    name = api.CHANNEL
    label = MappingProxyType({"uk": "Веб-чат", "ru": "Веб-чат"})
    # The page follows a conversation with a person over its own live socket (`api.live_updates`).
    capabilities = Capabilities(controls=Controls.BUTTONS, delivery=Delivery.LIVE)

    def routes(self) -> Sequence[APIRouter | Mount]:
        return (api.router, page.page, page.static_files())
