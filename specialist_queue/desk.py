"""What a specialist does at the console: choose a state, accept an offer, chat, close, wrap up.

Each action changes Redis atomically (`store`), then writes its queue event to SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import anyio
from anyio import to_thread

from hotline.db import UNREACHABLE
from hotline.queue_log import QueueEvent, QueueEventKind
from hotline.users import User
from specialist_queue import chat, events, presence, transfer
from specialist_queue.events import at
from specialist_queue.follow import CannotConnect, Gone
from specialist_queue.model import Capacity, Conflict, Entry, EntryState, Kind, Operator, OperatorState
from specialist_queue.service import SpecialistQueue

log = logging.getLogger(__name__)
OTHER = "other"
CALLBACK_OUTCOMES = ("reached", "no_answer", "given_up")
MORE_TIME = 2  # times an operator may ask for more time on one offer


class NotConfigured(CannotConnect):
    """This server lacks the settings to connect the conversation's channel to a specialist at all."""


class UnknownOperator(LookupError):
    pass


class Desk:
    def __init__(
        self,
        queue: SpecialistQueue,
        *,
        dispositions: Callable[[], set[str]],
        release: Callable[[str], object],
    ) -> None:
        self.queue = queue
        self.store = queue.store
        self.sessions = queue.sessions
        self.dispositions = dispositions
        self.release = release  # `Dialogue.release`: the robot answers a closed conversation again

    def set_state(
        self, operator_id: int, state: OperatorState, *, reason: str = "", now: float | None = None
    ) -> Operator:
        """Available, paused (with a reason) or offline; a pending offer goes back to its place."""
        now = self.queue.now(now)
        profile = self._profile(operator_id)
        earlier = self.store.operator(operator_id)
        before, returned = self.store.set_state(
            operator_id,
            state,
            now=now,
            reason=reason if state is OperatorState.PAUSED else "",
            skills=profile.skills,
            langs=profile.langs,
            name=profile.name,
            capacity=profile.capacity,
            phone=profile.phone,
            identity=profile.identity,
        )
        changed: list[QueueEvent] = []
        if before is OperatorState.PAUSED and (state is not OperatorState.PAUSED or reason != earlier.reason):
            changed.append(
                events.event(QueueEventKind.UNPAUSED, now=now, operator_id=operator_id, data={"reason": earlier.reason})
            )
        if state is OperatorState.PAUSED and (before is not OperatorState.PAUSED or reason != earlier.reason):
            changed.append(
                events.event(QueueEventKind.PAUSED, now=now, operator_id=operator_id, data={"reason": reason})
            )
        if returned and (entry := self.store.entry(returned)):
            left = {"reason": "operator_left"}
            changed.append(
                events.event(QueueEventKind.TIMED_OUT, now=now, entry=entry, operator_id=operator_id, data=left)
            )
        self.queue.record(*changed)
        self.store.notify({"kind": "operator"}, operators=[operator_id])
        if state is OperatorState.AVAILABLE:
            self.queue.dispatch(now=now)
        return self.store.operator(operator_id)

    async def accept(self, operator_id: int, conversation_id: str, *, now: float | None = None) -> Entry:
        """Take the offered conversation; a waiting call is connected to the operator by its channel."""
        now = self.queue.now(now)
        entry = await to_thread.run_sync(lambda: self.store.accept(operator_id, conversation_id, now=now))
        if entry.kind is Kind.CALL:
            await self._connect(entry, operator_id, now)
        await to_thread.run_sync(lambda: self._connected(entry, operator_id, now))
        return entry

    def more_time(self, operator_id: int, conversation_id: str, *, now: float | None = None) -> float:
        """The offer waits one more offer timeout for me (twice at most: the citizen is waiting); its new deadline."""
        now = self.queue.now(now)
        extra = self.queue.timing.offer_timeout
        deadline = self.store.extend_offer(operator_id, conversation_id, now=now, extra=extra, most=MORE_TIME)
        self.store.notify({"kind": "operator"}, operators=[operator_id])  # the console's countdown follows
        return deadline

    async def _connect(self, entry: Entry, operator_id: int, now: float) -> None:
        connector = self.queue.connectors.get(entry.channel)
        try:
            # The call's sid came with its entry (else, queued before it did, from SQL); the operator's phone from SQL,
            # or while the database is away, as their last change of state kept it.
            external_id = entry.external_id or await to_thread.run_sync(self._external_id, entry.conversation_id)
            profile = await to_thread.run_sync(self._profile, operator_id)
            if connector is None:
                raise CannotConnect(f"no channel that is on connects {entry.channel} conversations")
            if missing := connector.missing():
                log.warning(
                    "operator %s accepted %s conversation %s, which cannot be connected on this server: set %s",
                    *(operator_id, entry.channel, entry.conversation_id, " and ".join(missing)),
                )
                raise NotConfigured(
                    f"this server cannot connect {entry.channel} conversations: set {', '.join(missing)}"
                )
            await connector.connect(
                external_id=external_id, operator_phone=profile.phone or None, operator_identity=profile.identity
            )
        except Gone:
            # The citizen has left (the caller hung up): nobody waits any more.
            await to_thread.run_sync(lambda: self._caller_gone(entry, operator_id, now))
            raise Conflict("the caller has hung up") from None
        except BaseException:
            with anyio.CancelScope(shield=True):  # even a cancelled request must give the call its place back
                await to_thread.run_sync(lambda: self.store.undo_accept(operator_id, entry.conversation_id, now=now))
            raise

    def _caller_gone(self, entry: Entry, operator_id: int, now: float) -> None:
        self.store.undo_accept(operator_id, entry.conversation_id, now=now)
        self.queue.abandon(entry.conversation_id, now=now)

    def _connected(self, entry: Entry, operator_id: int, now: float) -> None:
        self.queue.record(events.event(QueueEventKind.CONNECTED, now=now, entry=entry, operator_id=operator_id))
        self.store.notify({"kind": "queue"}, operators=[operator_id])
        self.store.notify_chat(entry.conversation_id)

    def send(
        self, operator_id: int, conversation_id: str, text: str, *, client_id: str | None = None
    ) -> chat.ChatMessage:
        """Store the operator's message, then relay it to the citizen."""
        if self.store.held_by(conversation_id) != operator_id:
            raise Conflict("you are not holding this conversation")
        return self._write(operator_id, conversation_id, chat.Sender.OPERATOR, text, client_id)

    def heard(self, operator_id: int, frame: str) -> None:
        """What my console reported over its socket: I type in, or have seen the citizen's messages of, a
        conversation I hold (`presence`); anything else is ignored (a socket has no 4xx)."""
        found = presence.report(frame)
        if found is None or found.conversation_id is None or self.store.held_by(found.conversation_id) != operator_id:
            return
        if found.kind == "typing":
            self.queue.presence.typing(found.conversation_id, "operator")
        else:
            self.queue.presence.seen(found.conversation_id, "operator", found.upto)

    def note(
        self, operator_id: int, conversation_id: str, text: str, *, client_id: str | None = None
    ) -> chat.ChatMessage:
        """A private note beside the conversation's messages (only `OPERATOR` messages reach the citizen)."""
        me = self.store.operator(operator_id)
        if conversation_id not in (*me.conversations, *me.wrap_ups):
            raise Conflict("you are not holding this conversation")
        return self._write(operator_id, conversation_id, chat.Sender.NOTE, text, client_id)

    def _write(
        self, operator_id: int, conversation_id: str, sender: chat.Sender, text: str, client_id: str | None
    ) -> chat.ChatMessage:
        """Store it (kept in Redis while the database is away: `specialist_queue.messages`), then wake whoever
        follows the conversation (the citizen's channel relays an `OPERATOR` message)."""
        message = self.queue.messages.add(
            conversation_id=conversation_id, sender=sender, text=text, operator_id=operator_id, client_id=client_id
        )
        self.store.notify_chat(conversation_id)
        return message

    def close(self, operator_id: int, conversation_id: str, *, now: float | None = None) -> Entry:
        """End the conversation (the citizen is back with the robot); the operator wraps up."""
        now = self.queue.now(now)
        entry, handled = self.store.close(
            operator_id,
            conversation_id,
            now=now,
            wrap_until=now + self.queue.policy().wrap_up_seconds,
            keep_seconds=self.queue.timing.keep_closed_seconds,
        )
        closed = events.event(
            QueueEventKind.CLOSED, now=now, entry=entry, operator_id=operator_id, data={"handled": handled}
        )
        self.queue.record(closed)
        self.release(conversation_id)
        self._changed(conversation_id, operator_id)
        return entry

    def transfer(
        self, operator_id: int, conversation_id: str, to: transfer.Transfer, *, now: float | None = None
    ) -> Entry:
        """Hand a conversation I hold to a colleague or another queue with a note (`specialist_queue.transfer`);
        I wrap up."""
        wrap_up = self.queue.policy().wrap_up_seconds
        return transfer.transfer(
            self.queue, operator_id, conversation_id, to, wrap_up_seconds=wrap_up, now=self.queue.now(now)
        )

    def colleagues(self, operator_id: int, conversation_id: str) -> list[dict[str, Any]]:
        """Who is on the line besides me, and whether each may take this conversation now (its language and skill,
        a free slot of its kind, no offer pending): the transfer checks it again, atomically."""
        entry = self.store.entry(conversation_id)
        if entry is None or entry.state is not EntryState.CONNECTED or entry.operator != operator_id:
            raise Conflict("you are not holding this conversation")
        found = []
        for op in self.store.operators():
            if op.id == operator_id or op.state not in (OperatorState.AVAILABLE, OperatorState.BUSY):
                continue
            skill, lang = entry.queue.rsplit(":", 1)
            serves = (not op.langs or lang in op.langs) and (entry.klass == 0 or not op.skills or skill in op.skills)
            found.append(
                {
                    "id": op.id,
                    "name": op.name,
                    "state": op.state.value,
                    "serves": serves,
                    "free": not op.offer and op.has_room(entry.kind),
                }
            )
        return sorted(found, key=lambda c: (not (c["serves"] and c["free"]), c["name"]))

    def wrap_up(
        self, operator_id: int, conversation_id: str, *, disposition: str, note: str, now: float | None = None
    ) -> None:
        """Record what the conversation was about; the operator is available again."""
        now = self.queue.now(now)
        if disposition != OTHER and disposition not in self.dispositions():
            raise ValueError(f"unknown disposition {disposition!r}: choose an intent or {OTHER!r}")
        if not self.store.end_wrap_up(operator_id, conversation_id, now=now):
            raise Conflict("this conversation is not waiting for your wrap-up")
        done = events.event(
            QueueEventKind.WRAP_UP,
            now=now,
            operator_id=operator_id,
            conversation_id=conversation_id,
            entry=self.store.entry(conversation_id),
            data={"disposition": disposition, "note": note},
        )
        self.queue.record(done)
        self.store.notify({"kind": "operator"}, operators=[operator_id])
        self.queue.dispatch(now=now)

    def callback_outcome(
        self, operator_id: int, conversation_id: str, outcome: str, *, now: float | None = None
    ) -> Entry:
        """Reached: the call goes on (the operator ends it, then wraps up); given up: closed, the operator wraps up;
        no answer: tried again later, up to the allowed attempts (the operator wraps up this attempt)."""
        now = self.queue.now(now)
        if outcome not in CALLBACK_OUTCOMES:
            raise ValueError(f"the outcome is one of {', '.join(CALLBACK_OUTCOMES)}")
        entry = self.store.entry(conversation_id)
        if entry is None or entry.kind is not Kind.CALLBACK or self.store.held_by(conversation_id) != operator_id:
            raise Conflict("you are not holding this callback")
        policy = self.queue.policy()
        if outcome == "no_answer" and entry.attempts + 1 >= policy.callback_max_attempts:
            outcome = "given_up"
        if outcome == "reached":
            if entry.reached is None:  # said once: a second click changes nothing
                self.store.mark_reached(conversation_id, now=now)
                self._callback_outcome(entry, operator_id, now, {"outcome": outcome, "attempts": entry.attempts + 1})
                self._changed(conversation_id, operator_id)
            return self.store.entry(conversation_id) or entry
        if outcome != "no_answer":
            self._callback_outcome(entry, operator_id, now, {"outcome": outcome, "attempts": entry.attempts + 1})
            return self.close(operator_id, conversation_id, now=now)
        retry = self.queue.next_open(at(now + policy.callback_retry_minutes * 60))
        entry, _ = self.store.callback_retry(
            operator_id, conversation_id, now=now, wrap_until=now + policy.wrap_up_seconds, due=retry.timestamp()
        )
        self._callback_outcome(
            entry, operator_id, now, {"outcome": outcome, "attempts": entry.attempts, "due": retry.timestamp()}
        )
        self._changed(conversation_id, operator_id)
        return entry

    def _callback_outcome(self, entry: Entry, operator_id: int, now: float, data: dict[str, Any]) -> None:
        outcome = events.event(
            QueueEventKind.CALLBACK_OUTCOME, now=now, entry=entry, operator_id=operator_id, data=data
        )
        self.queue.record(outcome)

    def snapshot(self, operator_id: int, *, now: float | None = None) -> dict[str, Any]:
        """What the console shows live: my state, my offer, the conversations I hold (the first taken first,
        without their history) and those waiting for my wrap-up."""
        now = self.queue.now(now)
        me = self.store.operator(operator_id)
        offer = self.store.entry(me.offer) if me.offer else None
        held = [e for e in map(self.store.entry, me.conversations) if e is not None]
        return {
            "now": now,
            "cannot_connect": self.cannot_connect(),
            "operator": {
                "state": me.state.value,
                "reason": me.reason,
                "since": me.since,
                "wrap_ups": list(me.wrap_ups),
                "capacity": {"chats": me.capacity.chats, "calls": me.capacity.calls},
            },
            "offer": _entry_view(offer, now) if offer and offer.operator == operator_id else None,
            "conversations": [_entry_view(e, now) for e in sorted(held, key=lambda e: e.connected or 0)],
        }

    def cannot_connect(self) -> dict[str, list[str]]:
        """Channels whose conversations cannot reach a specialist on this server → the settings it lacks."""
        return {name: list(missing) for name, c in self.queue.connectors.items() if (missing := c.missing())}

    def _changed(self, conversation_id: str, operator_id: int) -> None:
        self.store.notify({"kind": "operator"}, operators=[operator_id])
        self.store.notify_chat(conversation_id)

    def _profile(self, operator_id: int) -> Profile:
        """The specialist as SQL has them; while the database is unreachable, as their last change of state kept
        them in Redis (one never kept there waits for the database)."""
        try:
            with self.sessions() as session:
                user = session.get(User, operator_id)
        except UNREACHABLE:
            kept = self.store.operator(operator_id)
            if not kept.identity:
                raise
            return Profile(kept.skills, kept.langs, kept.name, kept.capacity, kept.phone, kept.identity)
        if user is None:
            raise UnknownOperator(f"no user {operator_id}")
        return Profile(
            skills=tuple(user.skills or ()),
            langs=tuple(user.languages or ()),
            name=user.display_name or user.username,
            capacity=Capacity(chats=user.capacity_chats, calls=min(1, user.capacity_calls)),
            phone=user.phone or "",
            identity=user.username,
        )

    def _external_id(self, conversation_id: str) -> str:
        return str(self.queue.conversation(conversation_id).external_id)


@dataclass(frozen=True)
class Profile:
    """What the live queue keeps of a specialist's account with their state (`QueueStore.set_state`)."""

    skills: tuple[str, ...]
    langs: tuple[str, ...]
    name: str
    capacity: Capacity
    phone: str
    identity: str  # their user name: an accepted call without a phone rings their softphone by it


def _entry_view(entry: Entry, now: float) -> dict[str, Any]:
    view = asdict(entry)
    view["kind"] = entry.kind.value
    view["state"] = entry.state.value
    view["waited"] = round(now - entry.enqueued, 1)
    return view
