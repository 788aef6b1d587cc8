"""Following a conversation on the specialists' side, as every channel does: what the citizen is told.

The public way for channels (none reads the queue's keys or tables):

- `Follow.state(conversation_id)` — where the conversation stands now: `Waiting` (place, estimated
  wait), `CallbackBooked`, `Joined` (a specialist holds it) or `Idle` (nobody holds or waits for it:
  the robot answers);
- `Follow.messages(conversation_id, after=)` — the specialist's messages to the citizen after an id;
- `Follow.updates(conversation_id, after=)` — both, live: the state whenever it changes, then each
  new message, and the specialist typing (`Typing`) and having seen the citizen's messages (`Seen`,
  `specialist_queue.presence`) (a page that holds a socket open: the web chat);
- `Follow.start(listeners)` — for channels that push (messengers): every worker hears every
  conversation's changes and hands each update to the `Listener` of the conversation's channel (read
  from the conversation, not from its id): `Joined`, each `OperatorMessage`, `Closed` when a
  specialist closed it, and `Typing` while the specialist types (at most once in `presence.THROTTLE` seconds,
  by one worker; never through the outbox: it is not worth keeping). One node (lease `queue-places`) also
  tells a waiting citizen their place again now and then (`Waiting`, by the rules of `places`).

Every update carries an `id` that is the same in every worker and on every retry, so a channel that
delivers once by id (`channels.chat.outbox`) sends each one time however many workers heard of it.

A channel whose conversations a specialist joins in another way than chat (a phone call redirected to
the operator's phone) gives the queue a `Connector`; one that keeps voice messages, `Recordings`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import anyio
import redis.asyncio as aioredis
from anyio import to_thread
from sqlalchemy import func, select

from hotline import conversation_log
from hotline.keyed_locks import KeyedLocks
from hotline.leases import Lease, Periodic
from hotline.queue_log import QueueEvent, QueueEventKind
from specialist_queue import chat, keys, presence
from specialist_queue.events import at, seconds
from specialist_queue.model import Entry, EntryState
from specialist_queue.places import EVERY, PlacesTold, Told
from specialist_queue.presence import Seen, Typing
from specialist_queue.service import SpecialistQueue

log = logging.getLogger(__name__)
HEARTBEAT = 1.0  # seconds between looks when nothing wakes a stream (waits grow by themselves)


@dataclass(frozen=True)
class Waiting:
    """In the queue: the place (1 = next) and the estimated seconds, when known."""

    position: int | None
    wait_seconds: int | None
    urgent: bool = False  # an emergency: nobody is invited to leave and be called back
    unserved: bool = False  # nobody on shift may take it now (the office closed, all paused): said honestly

    @property
    def id(self) -> str:
        return f"waiting:{self.position}:{self.wait_seconds}:{int(self.unserved)}"


@dataclass(frozen=True)
class CallbackBooked:
    due: float | None  # when the call back is due (epoch seconds)

    @property
    def id(self) -> str:
        return f"callback:{int(self.due or 0)}"


@dataclass(frozen=True)
class Joined:
    operator: str  # the name the specialist shows to citizens ("" when they have none)
    operator_id: int

    @property
    def id(self) -> str:
        return f"joined:{self.operator_id}"


@dataclass(frozen=True)
class Idle:
    """Nobody holds or waits for the conversation: the robot answers it."""

    @property
    def id(self) -> str:
        return "idle"


@dataclass(frozen=True)
class OperatorMessage:
    message_id: int
    text: str
    at: str  # ISO 8601, UTC

    @property
    def id(self) -> str:
        return f"message:{self.message_id}"


@dataclass(frozen=True)
class Closed:
    """A specialist closed the conversation: the citizen is back with the robot."""

    seq: int  # which closing of this conversation (it may go to a person more than once)

    @property
    def id(self) -> str:
        return f"closed:{self.seq}"


State = Waiting | CallbackBooked | Joined | Idle
Update = State | OperatorMessage | Closed | Typing  # a messenger hears the specialist typing where it can show it
Live = State | OperatorMessage | Typing | Seen  # what a page that follows its conversation is sent


class Listener(Protocol):
    """A pushing channel's side: deliver `update` to the citizen of `conversation_id`. The same update may come
    more than once (every worker hears of it; `Joined` comes with each wake-up while a specialist holds the
    conversation): deliver once per `update.id`, as `channels.chat.outbox` does."""

    async def push(self, conversation_id: str, update: Update) -> None: ...


class Gone(Exception):
    """The citizen left before the specialist could be connected (the caller hung up)."""


class CannotConnect(RuntimeError):
    """The channel could not connect the specialist now (its service is down or not configured)."""


class Connector(Protocol):
    """A channel's way of connecting an accepted conversation to the specialist who accepted it."""

    async def connect(self, *, external_id: str, operator_phone: str | None, operator_identity: str) -> None:
        """Connect the citizen known to the channel as `external_id` to the operator's phone (or, without
        one, their softphone `operator_identity`). Raise `Gone` when the citizen has left, `CannotConnect`
        when it cannot be done now; the queue gives the conversation its place back on any failure."""
        ...

    def missing(self) -> tuple[str, ...]:
        """The settings this server lacks to connect anyone (the console says so before a specialist accepts);
        empty when it can."""
        ...


class Recordings:
    """Where a channel keeps citizens' voice messages (Twilio keeps the phone's; we keep only their ids).

    A base class, not a protocol, so `channels.registry.Channels.find_part(Recordings)` can look it up."""

    async def recording(self, recording_sid: str) -> tuple[bytes, str]:
        """The audio and its media type; `LookupError` when it is kept no more, `CannotConnect` when it
        cannot be fetched now."""
        raise NotImplementedError

    async def delete_recording(self, recording_sid: str) -> bool:
        """Delete it where it is kept; False when there was none."""
        raise NotImplementedError


def state_of(queue: SpecialistQueue, conversation_id: str) -> State:
    """Where the conversation stands with the specialists now."""
    entry = queue.store.entry(conversation_id)
    if entry is None or entry.state is EntryState.CLOSED:
        return Idle()
    if entry.state is EntryState.CONNECTED:
        operator = queue.store.operator(entry.operator) if entry.operator is not None else None
        return Joined(operator.name if operator else "", entry.operator or 0)
    if entry.state is EntryState.SCHEDULED:
        return CallbackBooked(entry.due)
    figures = queue.wait_figures(conversation_id)
    position, wait = figures if figures else (None, None)
    unserved = queue.unserved_since(conversation_id) is not None
    return Waiting(position, wait, urgent=entry.priority == "emergency", unserved=unserved)


def view(update: Live) -> dict[str, Any]:
    """An update as JSON, as the web chat's live socket and the supervisor's silent view send it."""
    match update:
        case Typing():
            return {"type": "typing", "who": update.who}
        case Seen():
            return {"type": "seen", "who": update.who, "upto": update.upto}
        case OperatorMessage():
            text = update.text
            return {"type": "message", "id": update.message_id, "at": update.at, "sender": "operator", "text": text}
        case Joined():
            return {"type": "status", "state": "connected", "operator": update.operator}
        case CallbackBooked():
            return {"type": "status", "state": "callback", "due": update.due}
        case Waiting():
            wait = update.wait_seconds
            place = {"position": update.position, "wait_seconds": wait, "unserved": update.unserved}
            return {"type": "status", "state": "waiting", **place}
    return {"type": "status", "state": "none"}


class Follow:
    def __init__(
        self,
        queue: SpecialistQueue,
        client: aioredis.Redis,
        *,
        place_lease: Lease | None = None,
        place_every: float = EVERY,
    ) -> None:
        """`place_lease`: the lease under which one node tells waiting citizens their place (None: nobody does)."""
        self.queue = queue
        self.client = client
        self.prefix = queue.store.prefix
        self.places = PlacesTold(client, self.prefix, every=place_every)
        self.place_lease = place_lease
        self._placing: Periodic | None = None
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._turns = KeyedLocks()

    # ---- reading ------------------------------------------------------------------------------

    def state(self, conversation_id: str) -> State:
        return state_of(self.queue, conversation_id)

    def messages(self, conversation_id: str, *, after: int = 0) -> list[OperatorMessage]:
        found = self.queue.messages.since(conversation_id, after=after)
        return [
            OperatorMessage(m.id, m.text, at(seconds(m.at)).isoformat())
            for m in found
            if m.sender == chat.Sender.OPERATOR
        ]

    def closings(self, conversation_id: str) -> int:
        """How many times a specialist has closed this conversation."""
        with self.queue.sessions() as session:
            found = session.scalar(
                select(func.count(QueueEvent.id)).where(
                    QueueEvent.conversation_id == conversation_id, QueueEvent.event == QueueEventKind.CLOSED.value
                )
            )
        return int(found or 0)

    async def updates(self, conversation_id: str, *, after: int = 0) -> AsyncIterator[Live]:
        """The state whenever it changes, each message of the specialist after `after`, and the specialist typing
        and having seen the citizen's messages, until cancelled. A wake-up by typing or seen alone reads nothing."""
        signals = keys.signal_channel(self.prefix, conversation_id)
        channels = (keys.notify_channel(self.prefix), keys.chat_channel(self.prefix, conversation_id), signals)
        pubsub = self.client.pubsub()
        try:
            await pubsub.subscribe(*channels)
            sent: State | None = None
            woke: list[dict[str, Any]] = []
            first = True
            while True:
                heard = [s for m in woke if str(m["channel"]) == signals and (s := presence.signal(m["data"]))]
                if not woke or len(heard) < len(woke):  # the heartbeat, or more than typing and seen
                    state = await to_thread.run_sync(self.state, conversation_id)
                    if state != sent:
                        sent = state
                        yield state
                    for message in await to_thread.run_sync(partial(self.messages, conversation_id, after=after)):
                        after = message.message_id
                        yield message
                if first and (seen := await to_thread.run_sync(self.queue.presence.last_seen, conversation_id,
                                                               "operator")):  # fmt: skip
                    heard.append(Seen("operator", seen))
                first = False
                for found in heard:
                    if found.who == "operator":  # the citizen's own typing is not news to them
                        yield found
                woke = await wake(pubsub)
        finally:
            with anyio.CancelScope(shield=True):  # a stream ends by being cancelled: still give the connection back
                await pubsub.aclose()

    # ---- pushing ------------------------------------------------------------------------------

    def start(self, listeners: Mapping[str, Listener]) -> None:
        """Push updates to `listeners` (channel name → its side) until `aclose()`; call from the event loop."""
        if listeners:
            self._task = asyncio.create_task(self._listen(dict(listeners)))
        if listeners and self.place_lease is not None:
            chosen = dict(listeners)
            every = self.places.every / 10  # a citizen hears of a change at most a tenth of `every` late
            self._placing = Periodic(self.place_lease, lambda _: self.tell_places(chosen), every=every)
            self._placing.start()

    async def aclose(self) -> None:
        if self._placing is not None:
            await self._placing.aclose()
            self._placing = None
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, *self._running, return_exceptions=True)
            self._task = None

    async def _listen(self, listeners: dict[str, Listener]) -> None:
        pattern, typing = keys.chat_channel(self.prefix, "*"), keys.signal_channel(self.prefix, "*")
        head, signal_head = pattern.removesuffix("*"), typing.removesuffix("*")
        async with self.client.pubsub() as pubsub:
            await pubsub.psubscribe(pattern, typing)
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                if message is None:
                    continue
                channel = str(message["channel"])
                if channel.startswith(signal_head):
                    found = presence.signal(message["data"])
                    if not (isinstance(found, Typing) and found.who == "operator"):
                        continue
                    work = self._typing(channel.removeprefix(signal_head), found, listeners)
                else:
                    work = self._guarded(channel.removeprefix(head), listeners)
                # Its own task, so a slow messenger for one citizen does not hold up the others.
                task = asyncio.create_task(work)
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    async def _typing(self, conversation_id: str, typing: Typing, listeners: Mapping[str, Listener]) -> None:
        """The specialist types: the messenger shows it, by one worker of those that heard it."""
        claim = keys.pushed_typing(self.prefix, conversation_id)
        if not await self.client.set(claim, "1", nx=True, ex=presence.THROTTLE):
            return
        listener = listeners.get(await to_thread.run_sync(self._channel_of, conversation_id))
        if listener is not None:
            try:
                await listener.push(conversation_id, typing)
            except Exception:  # typing is worth one try, no more
                log.exception("telling %s that the specialist types failed", conversation_id)

    async def _guarded(self, conversation_id: str, listeners: dict[str, Listener]) -> None:
        """One wake-up of a conversation at a time, in the order they came."""
        async with self._turns(conversation_id):
            try:
                await self.push(conversation_id, listeners)
            except Exception:  # keep listening: the next wake-up retries what this one missed
                log.exception("pushing the specialists' side of %s failed", conversation_id)

    async def push(self, conversation_id: str, listeners: Mapping[str, Listener]) -> None:
        """Hand the conversation's channel whatever happened on the specialists' side since last time."""
        listener = listeners.get(await to_thread.run_sync(self._channel_of, conversation_id))
        if listener is None:
            return
        state = await to_thread.run_sync(self.state, conversation_id)
        if isinstance(state, Joined):
            await listener.push(conversation_id, state)
        cursor = keys.pushed(self.prefix, conversation_id)
        after = int(await self.client.get(cursor) or 0)
        for message in await to_thread.run_sync(partial(self.messages, conversation_id, after=after)):
            await listener.push(conversation_id, message)
            await self.client.set(cursor, message.message_id, ex=keys.PUSHED_SECONDS)
        if isinstance(state, Idle) and (closings := await to_thread.run_sync(self.closings, conversation_id)):
            # Once: closing also hands the citizen back to the robot and asks for a rating.
            claim = keys.pushed_closing(self.prefix, conversation_id, closings)
            if await self.client.set(claim, "1", nx=True, ex=keys.PUSHED_SECONDS):
                await listener.push(conversation_id, Closed(closings))

    async def tell_places(self, listeners: Mapping[str, Listener]) -> None:
        """Tell each citizen of these channels who waits for a person their place, where `places` says it is due."""
        for entry in await to_thread.run_sync(self._waiting, frozenset(listeners)):
            state = await to_thread.run_sync(self.state, entry.conversation_id)
            if not isinstance(state, Waiting) or state.unserved or state.position is None or state.wait_seconds is None:
                continue
            if await self.places.due(entry.conversation_id, Told(state.position, state.wait_seconds, time.time())):
                try:
                    await listeners[entry.channel].push(entry.conversation_id, state)
                except Exception:  # the others are still told; this one hears at the next change
                    log.exception("telling %s its place failed", entry.conversation_id)

    def _waiting(self, channels: frozenset[str]) -> list[Entry]:
        store = self.queue.store
        found = (store.entry(c) for name in store.queue_names() for c in store.waiting(name))
        return [e for e in found if e is not None and e.channel in channels]

    def _channel_of(self, conversation_id: str) -> str:
        if entry := self.queue.store.entry(conversation_id):  # while the database is away too
            return entry.channel
        with self.queue.sessions() as session:
            found = conversation_log.get(session, conversation_id=conversation_id)
        return "" if found is None else found.channel


async def wake(pubsub: Any) -> list[dict[str, Any]]:
    """Until something is published, or the heartbeat; then drain what else arrived meanwhile. What was
    published (none: the heartbeat)."""
    found: list[dict[str, Any]] = []
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=HEARTBEAT)
    while message is not None:
        found.append(message)
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.0)
    return found
