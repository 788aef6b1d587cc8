"""The specialists' side of a Viber conversation: operator replies out to Viber, closing, the rating.

The queue (or its console) calls these; `*_soon` variants are for synchronous code running in a
worker thread: they hand the sending to the app's event loop and return at once.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from functools import partial

import anyio

from channels.viber import render
from channels.viber.flows import ViberFlows
from channels.viber.outbox import Delivery, Outbox, Turns
from channels.viber.wire import Outgoing, text_message


class ViberRelay:
    def __init__(self, flows: ViberFlows, outbox: Outbox, loop: asyncio.AbstractEventLoop) -> None:
        self.flows = flows
        self.outbox = outbox
        self.loop = loop
        self._turn = Turns()

    async def operator_message(self, conversation_id: str, text: str, *, message_id: int | str) -> list[Delivery]:
        """Send what a specialist wrote; `message_id` (e.g. the chat message's id) makes a resend a no-op."""
        found = await anyio.to_thread.run_sync(self.flows.user_of, conversation_id)
        if found is None:
            return []
        user_id, lang = found
        board = render.keyboard((), lang)
        messages = [
            Outgoing(
                f"op:{conversation_id}:{message_id}:{n}", user_id, text_message(piece, board, self.flows.look, user_id)
            )
            for n, piece in enumerate(render.split(text))
        ]
        return await self.outbox.deliver(messages)

    async def closed(self, conversation_id: str) -> list[Delivery]:
        """The specialist closed it: the citizen is back with the robot and is asked for a rating."""
        async with self._turn(conversation_id):
            messages = await anyio.to_thread.run_sync(partial(self.flows.closed, conversation_id))
            return await self.outbox.deliver(messages)

    def operator_message_soon(
        self, conversation_id: str, text: str, *, message_id: int | str
    ) -> Future[list[Delivery]]:
        """`operator_message` from a worker thread; messages posted in order are sent in order."""
        return asyncio.run_coroutine_threadsafe(
            self.operator_message(conversation_id, text, message_id=message_id), self.loop
        )

    def closed_soon(self, conversation_id: str) -> Future[list[Delivery]]:
        return asyncio.run_coroutine_threadsafe(self.closed(conversation_id), self.loop)
