"""Live updates over WebSocket: the operator's console, the wallboard and the supervisor's silent view
(a citizen's page follows its conversation with `specialist_queue.follow`).

Redis pub/sub only wakes a stream up (several app workers share it); what is sent is read afresh
from Redis and SQL, and chat messages are read by id from SQL, so they arrive in order and none is
missed after a reconnect (the client says which id it saw last).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from typing import Any

import anyio
import redis.asyncio as aioredis
from anyio import to_thread
from starlette.websockets import WebSocket, WebSocketDisconnect

from specialist_queue import chat, follow, keys, presence
from specialist_queue.context import message_view
from specialist_queue.desk import Desk
from specialist_queue.service import SpecialistQueue
from specialist_queue.wallboard import WallboardCache

MAX_FRAME = 512  # what a page reports (typing, seen) is far shorter: anything longer is ignored


class FiguresCache:
    """Queue figures computed at most once a second per process, however many consoles watch."""

    def __init__(self, queue: SpecialistQueue, max_age: float = 1.0) -> None:
        self.queue = queue
        self.max_age = max_age
        self._at = -1.0
        self._value: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()

    async def get(self) -> list[dict[str, Any]]:
        async with self._lock:
            if time.monotonic() - self._at > self.max_age:
                found = await to_thread.run_sync(self.queue.figures)
                self._value = [asdict(f) for f in found]
                self._at = time.monotonic()
            return self._value


async def operator_updates(
    desk: Desk, figures: FiguresCache, client: aioredis.Redis, operator_id: int
) -> AsyncIterator[dict[str, Any]]:
    """The console's state (whenever it changes), the chat messages of every conversation I hold, and their
    citizens typing and having seen my messages (`presence`: a wake-up by those alone reads nothing else)."""
    prefix = desk.store.prefix
    async with _subscribed(client, keys.notify_channel(prefix)) as pubsub:
        sent: dict[str, Any] | None = None
        after: dict[str, int] = {}  # held conversation → the last message id sent
        woke: list[dict[str, Any]] = []
        looked = -follow.HEARTBEAT
        while True:
            heard = [(c, s) for m in woke if (c := _signalled(prefix, m)) and (s := presence.signal(m["data"]))]
            if concerned(prefix, operator_id, woke, looked):
                looked = time.monotonic()
                snapshot = await to_thread.run_sync(lambda: desk.snapshot(operator_id))
                snapshot["queues"] = await figures.get()
                held = [c["conversation_id"] for c in snapshot["conversations"]]
                gone, new = set(after) - set(held), [c for c in held if c not in after]
                if gone:
                    await pubsub.unsubscribe(*(name for c in gone for name in _channels(prefix, c)))
                if new:
                    await pubsub.subscribe(*(name for c in new for name in _channels(prefix, c)))
                after = {c: after.get(c, 0) for c in held}
                if _without_clock(snapshot) != _without_clock(sent):
                    sent = snapshot
                    yield {"type": "state", **snapshot}
                for conversation_id in held:
                    for message in await _messages(desk.queue, conversation_id, after[conversation_id]):
                        after[conversation_id] = message.id
                        yield {"type": "message", "conversation_id": conversation_id, **message_view(message)}
                for conversation_id in new:  # what the citizen had seen before this console (re)connected
                    if seen := await to_thread.run_sync(desk.queue.presence.last_seen, conversation_id, "citizen"):
                        heard.append((conversation_id, presence.Seen("citizen", seen)))
            for conversation_id, found in heard:
                if conversation_id in after and found.who == "citizen":  # my own typing is not news to me
                    yield {"conversation_id": conversation_id, **follow.view(found)}
            woke = await follow.wake(pubsub)


def concerned(prefix: str, operator_id: int, woke: list[dict[str, Any]], looked: float) -> bool:
    """Whether an operator's stream reads its state again: at the heartbeat (the queues' figures and waits move by
    themselves; at least once a second however busy the line is), or for a change of theirs: a message of a
    conversation they hold, or a queue change that names them or names nobody (`QueueStore.notify`). Typing
    and seen alone are sent as they are; a change of other operators' offers and conversations waits for the
    heartbeat, so one change does not make every console on the line read everything again."""
    if not woke or time.monotonic() - looked >= follow.HEARTBEAT:
        return True
    notify = keys.notify_channel(prefix)
    for message in woke:
        if _signalled(prefix, message):
            continue
        if str(message["channel"]) != notify:
            return True  # a chat message of a conversation I hold
        try:
            said = json.loads(message["data"])
        except ValueError:
            return True
        named = said.get("operators") if isinstance(said, dict) else None
        if not isinstance(named, list) or operator_id in named:
            return True
    return False


def _channels(prefix: str, conversation_id: str) -> tuple[str, str]:
    return keys.chat_channel(prefix, conversation_id), keys.signal_channel(prefix, conversation_id)


def _signalled(prefix: str, message: dict[str, Any]) -> str | None:
    """The conversation a pub/sub message is a typing or seen signal of, or None."""
    head = keys.signal_channel(prefix, "")
    channel = str(message["channel"])
    return channel.removeprefix(head) if channel.startswith(head) else None


async def alerts(
    desk: Desk, client: aioredis.Redis, operator_id: int, queue_title: Callable[[str], str]
) -> AsyncIterator[dict[str, Any]]:
    """What every staff page an operator has open needs to ring: my state and my offer (with its queue's
    title), whenever they change."""
    prefix = desk.store.prefix
    async with _subscribed(client, keys.notify_channel(prefix)) as pubsub:
        sent: dict[str, Any] | None = None
        woke: list[dict[str, Any]] = []
        looked = -follow.HEARTBEAT
        while True:
            if concerned(prefix, operator_id, woke, looked):
                looked = time.monotonic()
                snapshot = await to_thread.run_sync(lambda: desk.snapshot(operator_id))
                offer = snapshot["offer"] and {k: v for k, v in snapshot["offer"].items() if k != "waited"}  # it grows
                if offer:
                    offer["queue_title"] = queue_title(offer["queue"])
                mine = {"type": "alert", "operator": snapshot["operator"], "offer": offer}
                if mine != sent:
                    sent = mine
                    yield {**mine, "now": snapshot["now"]}
            woke = await follow.wake(pubsub)


async def wallboard_updates(
    board: WallboardCache, client: aioredis.Redis, prefix: str
) -> AsyncIterator[dict[str, Any]]:
    """The supervisor's wallboard whenever it changes (and each second: waits grow by themselves)."""
    async with _subscribed(client, keys.notify_channel(prefix)) as pubsub:
        sent: dict[str, Any] | None = None
        while True:
            found = await board.get()
            if _without_clock(found) != _without_clock(sent):
                sent = found
                yield {"type": "wallboard", **found}
            await follow.wake(pubsub)


async def watched(
    queue: SpecialistQueue, client: aioredis.Redis, conversation_id: str, shown: Callable[[str], str]
) -> AsyncIterator[dict[str, Any]]:
    """A supervisor's silent view of one conversation: who holds it, and every message as `shown` gives it
    (masked), whoever wrote it; nothing is ever sent the other way."""
    prefix = queue.store.prefix
    async with _subscribed(client, keys.notify_channel(prefix), keys.chat_channel(prefix, conversation_id)) as pubsub:
        sent: dict[str, Any] | None = None
        after = 0
        while True:
            status = await to_thread.run_sync(lambda: citizen_status(queue, conversation_id))
            if status != sent:
                sent = status
                yield status
            for message in await _messages(queue, conversation_id, after):
                after = message.id
                yield {"type": "message", **message_view(message), "text": shown(message.text)}
            await follow.wake(pubsub)


def citizen_status(queue: SpecialistQueue, conversation_id: str) -> dict[str, Any]:
    return follow.view(follow.state_of(queue, conversation_id))


async def stream(
    websocket: WebSocket,
    updates: Callable[[], AsyncIterator[dict[str, Any]]],
    heard: Callable[[str], None] | None = None,
) -> None:
    """Send `updates` until the client goes away; what it sends goes to `heard` (in a worker thread), or is
    ignored."""

    async def send_all() -> None:
        async with contextlib.aclosing(updates()) as found:  # type: ignore[type-var]
            async for update in found:
                await websocket.send_json(update)

    async with anyio.create_task_group() as group:
        group.start_soon(send_all)
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                frame = await websocket.receive_text()
                if heard is not None and len(frame) <= MAX_FRAME:
                    await to_thread.run_sync(heard, frame)
        group.cancel_scope.cancel()


@contextlib.asynccontextmanager
async def _subscribed(client: aioredis.Redis, *channels: str) -> AsyncIterator[Any]:
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(*channels)
        yield pubsub
    finally:
        with anyio.CancelScope(shield=True):  # a stream ends by being cancelled: still give the connection back
            await pubsub.aclose()


async def _messages(queue: SpecialistQueue, conversation_id: str, after: int) -> list[chat.ChatMessage]:
    return await to_thread.run_sync(lambda: queue.messages.since(conversation_id, after=after))


def _without_clock(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if snapshot is None else {k: v for k, v in snapshot.items() if k != "now"}


def same_origin(websocket: WebSocket, public_url: str) -> bool:
    """A browser always sends Origin; a page elsewhere must not borrow the operator's cookie.

    The page may be the public URL or the host the browser asked for (http://localhost:8000 while
    the public URL says 127.0.0.1): both are this server; any other site is refused.
    """
    origin = websocket.headers.get("origin", "").rstrip("/")
    host = websocket.headers.get("host", "")
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return bool(origin) and origin in {public_url.rstrip("/"), f"{scheme}://{host}"}
