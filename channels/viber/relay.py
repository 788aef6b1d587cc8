"""The specialists' side of a Viber conversation: the specialist joining, their replies out to Viber,
closing, the rating.

The channel's `push` calls these with what `specialist_queue.follow` says; `*_soon` variants are for
synchronous code running in a worker thread: they hand the sending to the app's event loop and return
at once.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from functools import partial

import anyio

from channels.chat import texts
from channels.chat.outbox import Delivery
from channels.viber import keys, render
from channels.viber.flows import ViberFlows
from channels.viber.outbox import Outbox
from channels.viber.wire import Outgoing, text_message
from hotline.keyed_locks import KeyedLocks


class ViberRelay:
    def __init__(self, flows: ViberFlows, outbox: Outbox, loop: asyncio.AbstractEventLoop) -> None:
        self.flows = flows
        self.outbox = outbox
        self.loop = loop
        self._turn = KeyedLocks()

    async def operator_message(self, conversation_id: str, text: str, *, message_id: int | str) -> list[Delivery]:
        """Send what a specialist wrote; `message_id` (e.g. the chat message's id) makes a resend a no-op."""
        found = await anyio.to_thread.run_sync(self.flows.address, conversation_id)
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
        delivered = await self.outbox.deliver(messages)
        for sent in delivered:  # Viber's "seen" names its token: which of the specialist's messages it was
            if sent.message_token is not None:
                key = keys.sent(self.flows.keys.prefix, sent.message_token)
                await self.outbox.redis.set(key, f"{conversation_id}:{message_id}", ex=keys.SENT_SECONDS)
        return delivered

    async def joined(self, conversation_id: str, operator: str, operator_id: int) -> list[Delivery]:
        """A specialist took the conversation: the citizen learns who."""
        found = await anyio.to_thread.run_sync(self.flows.address, conversation_id)
        if found is None:
            return []
        user_id, lang = found
        name = f" {operator}" if operator else ""
        body = text_message(texts.say("joined", lang, name=name), render.keyboard((), lang), self.flows.look, user_id)
        return await self.outbox.deliver([Outgoing(f"joined:{conversation_id}:{operator_id}", user_id, body)])

    async def place(self, conversation_id: str, position: int, seconds: int) -> list[Delivery]:
        """The citizen's place in the queue and the estimated wait, told again."""
        found = await anyio.to_thread.run_sync(self.flows.address, conversation_id)
        if found is None:
            return []
        user_id, lang = found
        body = text_message(texts.place(position, seconds, lang), render.keyboard((), lang), self.flows.look, user_id)
        return await self.outbox.deliver([Outgoing(f"place:{conversation_id}:{position}:{seconds}", user_id, body)])

    async def closed(self, conversation_id: str, seq: int = 1) -> list[Delivery]:
        """The specialist closed it (the `seq`-th time): the citizen is back with the robot, asked for a rating."""
        async with self._turn(conversation_id):
            messages = await anyio.to_thread.run_sync(partial(self.flows.closed, conversation_id, seq))
            return await self.outbox.deliver(messages)

    def operator_message_soon(
        self, conversation_id: str, text: str, *, message_id: int | str
    ) -> Future[list[Delivery]]:
        """`operator_message` from a worker thread; messages posted in order are sent in order."""
        return asyncio.run_coroutine_threadsafe(
            self.operator_message(conversation_id, text, message_id=message_id), self.loop
        )
