"""The specialist queue as the channels see it, plus the periodic work (offers, callbacks, rebuild).

Public surface for the channels (web chat, phone, Viber):

- `on_handoff(request)` — the `Dialogue` handoff listener: the conversation joins its queue.
- `on_callback(left)`, `on_message(conversation_id, text)` — the `Dialogue`'s other listeners: a number
  (and message) left instead of waiting; what a citizen wrote to the person they wait for.
- `unserved(skill, lang)` — nobody on shift may take a new conversation of that queue now (the office's
  rules, `channels.office`, then tell the citizen so).
- `enqueue(conversation_id, skill=, lang=, priority=)` — the same by hand (idempotent).
- `escalate(conversation_id, skill=, lang=, priority=)` — a waiting conversation whose citizen then wrote a
  crisis moves to the more urgent queue or priority (a handoff for a conversation already waiting does that).
- `wait_figures(conversation_id)` → `(position, estimated_wait_seconds)` or None when not waiting.
- `request_callback(conversation_id, phone)` → when the call back is due (the place is kept).
- `abandon(conversation_id)` — the citizen left before a person took the conversation.
- `held_by(conversation_id)` → the operator holding it (the robot must keep quiet), or None;
  `held(conversation_id)` → its entry then.
- `citizen_message(conversation_id, text)` — a held conversation's message, stored, then relayed;
  `citizen_seen(conversation_id, upto)` — the citizen saw the specialist's messages up to that id;
  `presence` — typing and seen in both directions (`specialist_queue.presence`).

What the citizen is told while a person has their conversation: `specialist_queue.follow`.

Redis changes first (atomically, in `store`), then the event goes to the SQL queue log.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channels.dialogue import CallbackLeft, HandoffRequest
from hotline import conversation_log
from hotline.db import UNREACHABLE
from hotline.office_hours import OfficeHours, QueuePolicy
from hotline.pending_log import PendingLog, write_or_keep
from hotline.queue_log import QueueEvent, QueueEventKind
from specialist_queue import chat, events, figures, rebuild
from specialist_queue.events import at
from specialist_queue.figures import Line
from specialist_queue.messages import Messages
from specialist_queue.model import (
    PRIORITY_CLASS,
    Entry,
    EntryState,
    Kind,
    Offer,
    Operator,
    OperatorState,
    queue_name,
)
from specialist_queue.presence import Presence
from specialist_queue.store import QueueStore

if TYPE_CHECKING:  # follow reads the queue; the queue only keeps the channels' connectors
    from specialist_queue.follow import Connector

log = logging.getLogger(__name__)

PHONE = re.compile(r"^\+?[0-9]{5,15}$")  # as the staff form checks phones
DEFAULT_SKILL = "general"
STAFFED = (OperatorState.AVAILABLE, OperatorState.BUSY, OperatorState.WRAP_UP)


class UnknownConversation(LookupError):
    pass


@dataclass(frozen=True)
class Timing:
    offer_timeout: float
    default_handling: float
    keep_closed_seconds: int = 24 * 3600  # how long a closed entry blocks a rebuild from reviving it


class SpecialistQueue:
    def __init__(
        self,
        *,
        store: QueueStore,
        sessions: sessionmaker[Session],
        office_hours: Callable[[], OfficeHours],
        policy: Callable[[], QueuePolicy],
        timing: Timing,
        connectors: Mapping[str, Connector] | None = None,
        clock: Callable[[], float] = time.time,
        pending: PendingLog | None = None,
    ) -> None:
        self.store = store
        self.presence = Presence(store.client, store.prefix)  # typing and seen: Redis only
        self.pending = pending  # where queue events wait while the database is unreachable
        self.messages = Messages(store.client, store.prefix, sessions, pending)  # chat messages and notes, likewise
        if pending is not None:
            pending.when_written(self._written_after_outage)
        # Channel name → how its conversations reach a specialist who accepts them, where not by chat (a phone
        # call is redirected to the specialist's phone): those are calls, the others chats.
        self.connectors = dict(connectors or {})
        self.sessions = sessions
        self._today_seen: tuple[dict[str, list[float]], dict[str, list[float]]] = ({}, {})
        self.office_hours = office_hours
        self.policy = policy
        self.timing = timing
        self.clock = clock

    def now(self, now: float | None = None) -> float:
        return self.clock() if now is None else now

    # ---- the channels' side -----------------------------------------------------------------

    def on_handoff(self, request: HandoffRequest) -> None:
        """The conversation joins its queue: the dialogue hands off only when a person may take it, or the citizen
        chose to wait (the office's rules, `channels.office`, decide that for every channel). One already waiting
        is escalated when the new handoff is more urgent (a crisis written while waiting)."""
        lang = request.lang or "uk"
        entered = self.enqueue(
            request.conversation_id,
            skill=request.queue,
            lang=lang,
            priority=request.priority,
            channel=request.channel,
            external_id=request.external_id,
        )
        if not entered:
            self.escalate(request.conversation_id, skill=request.queue, lang=lang, priority=request.priority)

    def on_callback(self, left: CallbackLeft) -> None:
        """A number left in a chat instead of waiting: a callback request (a waiting conversation keeps its place,
        otherwise due when the office opens), and the citizen's message for the specialist who calls."""
        self.request_callback(left.conversation_id, left.phone, skill=left.queue)
        if left.message:
            self.citizen_message(left.conversation_id, left.message)

    def on_message(self, conversation_id: str, text: str) -> None:
        """Written while waiting for a person: kept with the conversation, read when the specialist accepts it."""
        self.citizen_message(conversation_id, text)

    def unserved(self, skill: str, lang: str) -> bool:
        """Nobody on shift may take a new conversation of `skill` in `lang` now (none serves it, or all who do
        are paused or offline)."""
        name = queue_name(skill, lang)
        return figures.unserved_since(name, self.store.operators(), oldest=self.now(), emergency=False) is not None

    def enqueue(
        self,
        conversation_id: str,
        *,
        skill: str,
        lang: str,
        priority: str = "normal",
        channel: str | None = None,
        external_id: str | None = None,
        now: float | None = None,
    ) -> bool:
        """Put the conversation in the `skill:lang` queue; False when it is there already. `channel`: the
        conversation's, when the caller knows it (then the database is not asked: it may be away); `external_id`,
        the channel's id of it (a call's sid, which accepting it needs), likewise."""
        now = self.now(now)
        channel = channel or self.conversation(conversation_id).channel
        queue = queue_name(skill, lang)
        kind = Kind.CALL if self.is_call(channel) else Kind.CHAT
        entered, _ = self.store.enqueue(
            conversation_id,
            queue=queue,
            channel=channel,
            kind=kind,
            priority=priority,
            now=now,
            external_id=external_id or "",
        )
        if not entered:
            return False
        entry = self._entry(conversation_id)
        try:
            data = {"seq": entry.seq, "kind": entry.kind.value, "class": entry.klass}
            self.record(events.event(QueueEventKind.ENTERED, now=now, entry=entry, data=data))
        except Exception:
            # Without its SQL record a rebuild could not bring it back: take it out and let it fail.
            self.store.abandon(conversation_id, now=now, keep_seconds=1)
            raise
        self.dispatch(now=now)
        return True

    def escalate(self, conversation_id: str, *, skill: str, lang: str, priority: str, now: float | None = None) -> bool:
        """Move a waiting conversation to the `skill:lang` queue at `priority` when that is more urgent (a higher
        priority, or the crisis queue), keeping its place by arrival and its enqueue time (the wait figures count
        from when the citizen first came); an offer of it is withdrawn and made again by priority at once. False
        when nothing moved: not waiting (a specialist holds it: they read the citizen's words themselves), or not
        more urgent (a priority is never lowered)."""
        now = self.now(now)
        moved = self.store.escalate(conversation_id, queue=queue_name(skill, lang), priority=priority)
        if moved is None:
            return False
        data = {
            "from_queue": moved.from_queue,
            "from_priority": moved.from_priority,
            "state": moved.state.value,
            "withdrawn_from": moved.withdrawn_from,
            "seq": moved.entry.seq,
            "class": moved.entry.klass,
        }
        self.record(events.event(QueueEventKind.ESCALATED, now=now, entry=moved.entry, data=data))
        self.store.notify({"kind": "queue"})
        self.dispatch(now=now)
        return True

    def wait_figures(self, conversation_id: str, *, now: float | None = None) -> tuple[int, int] | None:
        """(position in its queue, estimated seconds to wait), or None when it is not waiting."""
        entry = self.store.entry(conversation_id)
        position = self.store.position(entry) if entry else None
        if entry is None or position is None:
            return None
        staffed = sum(1 for op in self.store.operators() if op.state in STAFFED and op.serves(entry.queue))
        recent = self.store.handling_times(entry.queue)
        return position, figures.estimated_wait(position, recent, staffed, self.timing.default_handling)

    def request_callback(
        self,
        conversation_id: str,
        phone: str,
        *,
        skill: str | None = None,
        not_before: datetime | None = None,
        listen_only: bool = False,
        lang: str | None = None,
        channel: str | None = None,
        now: float | None = None,
    ) -> datetime:
        """Call the citizen back instead of keeping them waiting; returns when it is due.

        A waiting conversation keeps its place. It is offered while the office is open, at
        `not_before` at the earliest. Asking again with the same number changes nothing.
        `listen_only`: a voice message from a hidden number, with no `phone`: a specialist listens to it.
        `skill`, `lang`, `channel`: the conversation's, when the caller knows them all (then the database is not
        asked: it may be away).
        """
        now = self.now(now)
        if not (PHONE.match(phone) or (listen_only and phone == "")):
            raise ValueError("a phone number is digits, optionally after a +")
        if skill is None or lang is None or channel is None:
            conversation = self.conversation(conversation_id)
            skill, lang = skill or conversation.handoff_queue, lang or conversation.lang
            channel = channel or conversation.channel
        entry = self.store.entry(conversation_id)
        if entry and entry.kind is Kind.CALLBACK and entry.phone == phone and entry.state is not EntryState.CLOSED:
            return at(entry.due or now)  # asked again (a retried webhook): nothing changes
        queue = entry.queue if entry else queue_name(skill or DEFAULT_SKILL, lang or "uk")
        due = self.next_open(max(at(now), not_before or at(now)))
        # Due now is `now` itself: a datetime keeps microseconds, and rounding one up would schedule it for later.
        due_at = now if due <= at(now) else due.timestamp()
        outcome, _ = self.store.request_callback(
            conversation_id,
            phone=phone,
            due=due_at,
            now=now,
            queue=queue,
            channel=channel,
            priority=entry.priority if entry else "normal",
        )
        entry = self._entry(conversation_id)
        data = {
            "phone": phone,
            "due": due_at,
            "seq": entry.seq,
            "class": entry.klass,
            "state": entry.state.value,
            "new": outcome == "new",
        }
        self.record(events.event(QueueEventKind.CALLBACK_REQUESTED, now=now, entry=entry, data=data))
        self.store.notify({"kind": "queue"})
        return due

    def abandon(self, conversation_id: str, *, now: float | None = None) -> bool:
        """The citizen left while waiting (hung up, gave up); False when nobody was waiting."""
        now = self.now(now)
        found = self.store.abandon(conversation_id, now=now, keep_seconds=self.timing.keep_closed_seconds)
        if found is None:
            return False
        before, entry = found
        self.record(events.event(QueueEventKind.ABANDONED, now=now, entry=entry, data={"state": before.value}))
        self.store.notify({"kind": "queue"})
        return True

    def held_by(self, conversation_id: str) -> int | None:
        return self.store.held_by(conversation_id)

    def held(self, conversation_id: str) -> Entry | None:
        """The entry of a conversation a specialist holds now, or None (then the robot answers)."""
        entry = self.store.entry(conversation_id)
        return entry if entry is not None and entry.state is EntryState.CONNECTED else None

    def citizen_message(self, conversation_id: str, text: str, *, client_id: str | None = None) -> chat.ChatMessage:
        """Store what the citizen wrote to the specialist, then tell the specialist's console."""
        message = self.messages.add(
            conversation_id=conversation_id, sender=chat.Sender.CITIZEN, text=text, client_id=client_id
        )
        self.store.notify_chat(conversation_id)
        return message

    def citizen_seen(self, conversation_id: str, upto: int) -> None:
        """The citizen saw the specialist's messages up to chat message `upto`: the console shows it (while a
        specialist holds the conversation; Redis only, `specialist_queue.presence`)."""
        if self.held_by(conversation_id) is not None:
            self.presence.seen(conversation_id, "citizen", upto)

    # ---- periodic work ----------------------------------------------------------------------

    def dispatch(self, *, now: float | None = None) -> list[Offer]:
        """Offer waiting conversations to free operators; each offer goes to the queue log."""
        now = self.now(now)
        offers = self.store.dispatch(deadline=now + self.timing.offer_timeout)
        if offers:
            made = [
                events.event(
                    QueueEventKind.OFFERED, now=now, entry=o.entry, operator_id=o.operator_id, data={"number": o.number}
                )
                for o in offers
            ]
            self.record(*made)
            self.store.notify({"kind": "queue"}, operators=sorted({o.operator_id for o in offers}))
        return offers

    def tick(self, *, now: float | None = None) -> None:
        """Rebuild if Redis lost its data; expire offers and wrap-ups; promote due callbacks; offer."""
        now = self.now(now)
        if not self.store.is_alive():
            self.rebuild()
        expired = self.store.expire_offers(now=now)
        if expired:
            missed: list[QueueEvent] = []
            for entry in expired:  # the operator who let it ring is paused for it
                missed.append(events.event(QueueEventKind.TIMED_OUT, now=now, entry=entry, operator_id=entry.operator))
                missed.append(
                    events.event(
                        QueueEventKind.PAUSED, now=now, operator_id=entry.operator, data={"reason": "missed_offer"}
                    )
                )
            self.record(*missed)
        changed = bool(expired) | bool(self.store.expire_wrap_ups(now=now))
        if self.office_hours().is_open(at(now)):
            changed |= bool(self.store.promote_callbacks(now=now))
        if changed:
            self.store.notify({"kind": "queue"})
        self.dispatch(now=now)

    def rebuild(self) -> int:
        """Put the open conversations of the SQL queue log back into Redis; how many were missing."""
        with self.sessions() as session:
            restored = rebuild.rebuild(self.store, session)
        self.messages.prime()
        if restored:
            log.warning("rebuilt %d live queue entries from the queue log", restored)
            self.store.notify({"kind": "queue"})
        return restored

    # ---- figures ----------------------------------------------------------------------------

    def figures(self, *, now: float | None = None) -> list[figures.QueueFigures]:
        """Every queue's live figures; answered, service level and abandoned count since midnight."""
        now = self.now(now)
        operators = self.store.operators()
        answered, abandoned = self._today(now)
        threshold = self.policy().service_level_seconds
        found = []
        for name in sorted({*self.store.queue_names(), *answered, *abandoned}):
            line = self._line(name, operators)
            serving = [op for op in operators if op.serves(name)]
            staffed = sum(1 for op in serving if op.state in STAFFED)
            recent = self.store.handling_times(name)
            found.append(
                figures.QueueFigures(
                    queue=name,
                    waiting=line.waiting,
                    offered=line.offered,
                    longest_wait=figures.longest_wait(line.came, now),
                    estimated_wait=figures.estimated_wait(
                        line.waiting + 1, recent, staffed, self.timing.default_handling
                    ),
                    staffed=staffed,
                    available=sum(1 for op in serving if op.state is OperatorState.AVAILABLE),
                    answered=len(answered.get(name, [])),
                    service_level=figures.service_level(answered.get(name, []), abandoned.get(name, []), threshold),
                    abandoned=len(abandoned.get(name, [])),
                    unserved_since=line.unserved_since,
                )
            )
        return found

    def unserved_since(self, conversation_id: str) -> float | None:
        """For a waiting conversation: since when nobody on shift may take its queue (no operator of its skill
        and language, or all of them paused or offline); None while someone may, or when it is not waiting.
        The channels decide what the citizen is offered then."""
        entry = self.store.entry(conversation_id)
        if entry is None or entry.state not in (EntryState.WAITING, EntryState.OFFERED):
            return None
        return self._line(entry.queue, self.store.operators()).unserved_since

    def _line(self, name: str, operators: list[Operator]) -> Line:
        waiting, firsts = self.store.heads(name)
        offered = self.store.offered(name)
        came = [*self.store.enqueued_at(list(firsts.values())), *(e.enqueued for e in offered)]
        emergency = PRIORITY_CLASS["emergency"] in firsts or any(e.priority == "emergency" for e in offered)
        unserved = figures.unserved_since(name, operators, oldest=min(came), emergency=emergency) if came else None
        return Line(waiting + len(offered), len(offered), came, unserved)

    def _today(self, now: float) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
        """Waits of today's answered and abandoned conversations, per queue."""
        zone = ZoneInfo(self.office_hours().timezone)
        local = at(now).astimezone(zone)
        midnight = datetime.combine(local.date(), datetime.min.time(), zone).astimezone(UTC)
        kinds = (QueueEventKind.CONNECTED.value, QueueEventKind.ABANDONED.value)
        try:
            with self.sessions() as session:
                rows = session.execute(
                    select(QueueEvent.event, QueueEvent.queue, QueueEvent.wait_seconds).where(
                        QueueEvent.at >= midnight, QueueEvent.event.in_(kinds), QueueEvent.queue.is_not(None)
                    )
                ).all()
        except UNREACHABLE:  # the live figures go on from Redis; today's counts as last read
            return self._today_seen
        answered: dict[str, list[float]] = {}
        abandoned: dict[str, list[float]] = {}
        for event, queue, wait in rows:
            into = answered if event == QueueEventKind.CONNECTED.value else abandoned
            into.setdefault(str(queue), []).append(float(wait or 0))
        self._today_seen = (answered, abandoned)
        return answered, abandoned

    # ---- helpers ----------------------------------------------------------------------------

    def next_open(self, when: datetime) -> datetime:
        hours = self.office_hours()
        try:
            return when if hours.is_open(when) else hours.next_opening(when)
        except ValueError:  # a calendar with no opening ahead: due at once, offered whenever the office opens
            return when

    def is_call(self, channel: str) -> bool:
        """Whether a specialist joins a conversation of this channel through its connector (a call)."""
        return channel in self.connectors

    def record(self, *made: QueueEvent) -> None:
        """Write events to the SQL queue log; while the database is unreachable they wait in Redis and are
        written when it is back (`hotline.pending_log`), so the live queue goes on from Redis alone. So they do
        while Redis still keeps something about their conversations (a row not written yet: in order, behind it)."""

        def keep(pending: PendingLog) -> None:
            log.warning("%d queue events kept in Redis until the database takes them", len(made))
            pending.keep_queue_events(made)

        write_or_keep(
            self.pending, [event.conversation_id for event in made], lambda: events.log(self.sessions, *made), keep
        )

    def _written_after_outage(self, conversations: set[str]) -> None:
        """Records kept through an outage are in SQL now: wake whoever follows these conversations, so what needed
        them and failed meanwhile (telling a messenger's citizen the specialist closed) is done now, once."""
        for conversation_id in conversations:
            self.store.notify_chat(conversation_id)

    def conversation(self, conversation_id: str) -> conversation_log.Conversation:
        with self.sessions() as session:
            found = conversation_log.get(session, conversation_id=conversation_id)
        if found is None:
            raise UnknownConversation(conversation_id)
        return found

    def _entry(self, conversation_id: str) -> Entry:
        entry = self.store.entry(conversation_id)
        if entry is None:
            raise UnknownConversation(f"{conversation_id} is not in the live queues")
        return entry
