"""Telegram as a registered channel: the webhook, the Bot API sender, and the specialists' side pushed to it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from fastapi import APIRouter
from starlette.routing import Mount

from channels.registry import KEPT, BaseChannel, Capabilities, Controls, Delivery, Runtime
from channels.telegram import flows, routes
from channels.telegram.line import TelegramLine, open_line
from channels.telegram.wire import TEXT_LIMIT
from specialist_queue.follow import Update


class Telegram(BaseChannel):
    name = flows.CHANNEL
    label = MappingProxyType({"uk": "Telegram", "ru": "Telegram"})
    # Telegram sets no length for a button's label (a long one is cut on the phone's screen): none here.
    capabilities = Capabilities(controls=Controls.BUTTONS, delivery=Delivery.PUSH, text_limit=TEXT_LIMIT)

    def __init__(self) -> None:
        self.line: TelegramLine | None = None

    def routes(self) -> Sequence[APIRouter | Mount]:
        return (routes.router(self.opened),)

    def signed_paths(self) -> Sequence[str]:
        # Not signed (a secret header instead), but an update refused with a 400 would come again and hold
        # up the ones behind it: the codec drops a NUL from the text instead (`wire`).
        return (routes.WEBHOOK,)

    async def start(self, runtime: Runtime) -> None:
        self.line = open_line(
            runtime.settings,
            redis=runtime.redis,
            sessions=runtime.sessions,
            dialogue=runtime.dialogue,
            queue=runtime.specialists.queue,
        )

    async def aclose(self) -> None:
        if self.line is not None:
            await self.line.aclose()
            self.line = None

    def opened(self) -> TelegramLine:
        """The line the webhook uses (the app's lifespan has started the channel before any request)."""
        if self.line is None:
            raise RuntimeError("the Telegram channel has not started")
        return self.line

    def parts(self) -> Iterable[object]:
        return () if self.line is None else (self.line,)

    def checks(self) -> Mapping[str, str]:
        waiting = self.line.kept.waiting() if self.line is not None else 0
        return {"telegram_kept": f"{KEPT} {waiting} updates until the database is back"} if waiting else {}

    async def push(self, conversation_id: str, update: Update) -> None:
        if self.line is not None:
            await self.line.push(conversation_id, update)
