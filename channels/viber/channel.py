"""Viber as a registered channel: the signed webhook, the block list API, the sender and the relay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from fastapi import APIRouter
from starlette.routing import Mount

from channels.registry import KEPT, BaseChannel, Capabilities, Controls, Delivery, Runtime
from channels.viber import flows, routes
from channels.viber.line import ViberLine, open_line
from channels.viber.wire import BUTTON_TEXT_LIMIT, TEXT_LIMIT
from specialist_queue.follow import Closed, Joined, OperatorMessage, Update, Waiting


class Viber(BaseChannel):
    name = flows.CHANNEL
    label = MappingProxyType({"uk": "Viber", "ru": "Viber"})
    capabilities = Capabilities(
        controls=Controls.BUTTONS, delivery=Delivery.PUSH, text_limit=TEXT_LIMIT, button_limit=BUTTON_TEXT_LIMIT
    )

    def __init__(self) -> None:
        self.line: ViberLine | None = None

    def routes(self) -> Sequence[APIRouter | Mount]:
        return (routes.router,)

    def signed_paths(self) -> Sequence[str]:
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

    def parts(self) -> Iterable[object]:
        return () if self.line is None else (self.line,)

    def checks(self) -> Mapping[str, str]:
        waiting = self.line.deferred.waiting() if self.line is not None else 0
        return {"viber_kept": f"{KEPT} {waiting} callbacks until the database is back"} if waiting else {}

    async def push(self, conversation_id: str, update: Update) -> None:
        """The specialist joining, their messages, closing; the place in the queue when it is told again (the
        hand-off's answer says it first; `specialist_queue.places` says when again)."""
        if self.line is None:
            return
        relay = self.line.relay
        match update:
            case Joined():
                await relay.joined(conversation_id, update.operator, update.operator_id)
            case OperatorMessage():
                await relay.operator_message(conversation_id, update.text, message_id=update.message_id)
            case Closed():
                await relay.closed(conversation_id, update.seq)
            case Waiting(position=int(position), wait_seconds=int(seconds)):
                await relay.place(conversation_id, position, seconds)
