"""Follows the specialist queue for Viber conversations: the specialist joining, their messages, closing.

The queue wakes whoever listens on a conversation's chat channel when something happens there
(`specialist_queue.keys.chat_channel`); every app worker listens for all of them and, for a Viber
conversation, reads what changed from the queue's own public readers (`live.citizen_status`,
`chat.since`) and the queue log. What is sent is keyed by the chat message id (and the operator, or
the closing), so workers that all heard the same wake-up still send each message once.
"""

from __future__ import annotations

import asyncio
import logging

import anyio
import redis.asyncio as aioredis
from sqlalchemy import select

from channels.viber import keys, render, texts
from channels.viber.outbox import Turns
from channels.viber.relay import ViberRelay
from channels.viber.wire import Outgoing, text_message
from hotline.queue_log import QueueEvent, QueueEventKind
from specialist_queue import chat
from specialist_queue import keys as queue_keys
from specialist_queue.live import citizen_status
from specialist_queue.service import SpecialistQueue

log = logging.getLogger(__name__)


class ViberBridge:
    def __init__(self, *, relay: ViberRelay, queue: SpecialistQueue, client: aioredis.Redis, prefix: str) -> None:
        self.relay = relay
        self.flows = relay.flows
        self.queue = queue
        self.client = client
        self.prefix = prefix
        self.task: asyncio.Task[None] | None = None
        self._turns = Turns()
        self._running: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.task = asyncio.create_task(self.run())

    async def aclose(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def run(self) -> None:
        """Listen until cancelled; one failed conversation does not stop the others."""
        pattern = queue_keys.chat_channel(self.queue.store.prefix, "*")
        head = pattern.removesuffix("*")
        async with self.client.pubsub() as pubsub:
            await pubsub.psubscribe(pattern)
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                if message is None:
                    continue
                # Its own task, so a slow Viber for one citizen does not hold up the others.
                task = asyncio.create_task(self._guarded(str(message["channel"]).removeprefix(head)))
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    async def _guarded(self, conversation_id: str) -> None:
        """One wake-up of a conversation at a time, in the order they came."""
        async with self._turns(conversation_id):
            try:
                await self.sync(conversation_id)
            except Exception:  # keep listening: the next wake-up retries what this one missed
                log.exception("relaying the specialist's side of %s to Viber failed", conversation_id)

    async def sync(self, conversation_id: str) -> None:
        """Send the Viber user whatever happened on the specialists' side since last time."""
        found = await anyio.to_thread.run_sync(self.flows.user_of, conversation_id)
        if found is None:
            return  # not a Viber conversation
        user_id, lang = found
        status = await anyio.to_thread.run_sync(citizen_status, self.queue, conversation_id)
        if status["state"] == "connected":
            await self._joined(conversation_id, user_id, lang, str(status.get("operator") or ""))
        after = int(await self.client.get(keys.relayed(self.prefix, conversation_id)) or 0)
        for message in await anyio.to_thread.run_sync(self._operator_messages, conversation_id, after):
            await self.relay.operator_message(conversation_id, message.text, message_id=message.id)
            await self.client.set(keys.relayed(self.prefix, conversation_id), message.id, ex=self.flows.ttl)
        if status["state"] == "none" and await anyio.to_thread.run_sync(self._was_closed, conversation_id):
            await self.relay.closed(conversation_id)

    async def _joined(self, conversation_id: str, user_id: str, lang: str | None, operator: str) -> None:
        name = f" {operator}" if operator else ""
        body = text_message(texts.say("joined", lang, name=name), render.keyboard((), lang), self.flows.look, user_id)
        await self.relay.outbox.deliver([Outgoing(f"joined:{conversation_id}:{operator}", user_id, body)])

    def _operator_messages(self, conversation_id: str, after: int) -> list[chat.ChatMessage]:
        with self.queue.sessions() as session:
            found = chat.since(session, conversation_id=conversation_id, after=after)
        return [m for m in found if m.sender == chat.Sender.OPERATOR]

    def _was_closed(self, conversation_id: str) -> bool:
        with self.queue.sessions() as session:
            found = session.scalar(
                select(QueueEvent.id)
                .where(QueueEvent.conversation_id == conversation_id, QueueEvent.event == QueueEventKind.CLOSED.value)
                .limit(1)
            )
        return found is not None
