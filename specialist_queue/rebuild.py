"""Rebuild the live queues from the SQL queue log after Redis lost its data.

`replay` is pure: it folds a conversation's queue events into the entry Redis should hold. Offers
are not restored (the conversation waits at its place again); a conversation a specialist was
holding is held by them again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.queue_log import QueueEvent, QueueEventKind
from hotline.users import User
from specialist_queue.events import seconds
from specialist_queue.model import Capacity, Entry, EntryState, Kind, Operator, OperatorState
from specialist_queue.store import QueueStore

_ENDED = (QueueEventKind.CLOSED, QueueEventKind.ABANDONED, QueueEventKind.WRAP_UP)
HANDLING_SAMPLES = 50


def replay(events: Iterable[QueueEvent]) -> dict[str, Entry]:
    """The entries still open after these events (ordered by id), keyed by conversation."""
    entries: dict[str, Entry] = {}
    for event in events:
        conversation = event.conversation_id
        if conversation is None:
            continue
        found = _apply(entries.get(conversation), event)
        if found is None:
            entries.pop(conversation, None)
        else:
            entries[conversation] = found
    return entries


def _apply(entry: Entry | None, event: QueueEvent) -> Entry | None:
    kind, data, when = QueueEventKind(event.event), event.data or {}, seconds(event.at)
    if kind is QueueEventKind.ENTERED or (kind is QueueEventKind.CALLBACK_REQUESTED and data.get("new")):
        entry = Entry(
            conversation_id=str(event.conversation_id),
            queue=str(event.queue),
            lang=event.lang or "",
            channel=event.channel or "",
            kind=Kind(data.get("kind", Kind.CHAT)),
            priority=event.priority or "normal",
            klass=int(data["class"]),
            seq=int(data["seq"]),
            state=EntryState.WAITING,
            enqueued=when,
        )
    if entry is None or kind in _ENDED:
        return None
    if kind is QueueEventKind.CALLBACK_REQUESTED:
        return replace(
            entry,
            kind=Kind.CALLBACK,
            phone=str(data["phone"]),
            klass=int(data["class"]),
            due=float(data["due"]),
            state=EntryState(data["state"]),
        )
    if kind is QueueEventKind.CONNECTED:
        return replace(entry, state=EntryState.CONNECTED, operator=event.operator_id, connected=when)
    if kind is QueueEventKind.TRANSFERRED:  # it waits in its new queue (an offer to a colleague is not restored)
        queue = str(event.queue or entry.queue)
        lang = queue.rsplit(":", 1)[1]
        return replace(entry, state=EntryState.WAITING, operator=None, connected=None, queue=queue, lang=lang)
    if kind is QueueEventKind.ESCALATED:  # it waits in the more urgent queue, at its place (offers are not restored)
        queue = str(event.queue or entry.queue)
        priority, klass = event.priority or entry.priority, int(data.get("class", entry.klass))
        lang = queue.rsplit(":", 1)[1]
        return replace(
            entry, state=EntryState.WAITING, operator=None, queue=queue, lang=lang, priority=priority, klass=klass
        )
    if kind is QueueEventKind.CALLBACK_OUTCOME:
        if data.get("outcome") == "reached":  # the call went on: still held
            return replace(entry, reached=when)
        if data.get("outcome") != "no_answer":
            return None
        return replace(
            entry,
            state=EntryState.SCHEDULED,
            operator=None,
            connected=None,
            due=float(data["due"]),
            attempts=int(data["attempts"]),
        )
    return entry  # offered or timed out: offers are not restored, it waits at its place


def open_events(session: Session) -> list[QueueEvent]:
    """The events of every conversation whose latest queue event does not end it."""
    latest = (
        select(QueueEvent.conversation_id, func.max(QueueEvent.id).label("last"))
        .where(QueueEvent.conversation_id.is_not(None))
        .group_by(QueueEvent.conversation_id)
        .subquery()
    )
    still_open = (
        select(latest.c.conversation_id)
        .join(QueueEvent, QueueEvent.id == latest.c.last)
        .where(QueueEvent.event.not_in([k.value for k in _ENDED]))
    )
    return list(
        session.scalars(select(QueueEvent).where(QueueEvent.conversation_id.in_(still_open)).order_by(QueueEvent.id))
    )


def recent_handling(session: Session) -> dict[str, list[float]]:
    """The latest handling times per queue, newest first (from the closed events)."""
    rows = session.execute(
        select(QueueEvent.queue, QueueEvent.data)
        .where(QueueEvent.event == QueueEventKind.CLOSED.value, QueueEvent.queue.is_not(None))
        .order_by(QueueEvent.id.desc())
        .limit(HANDLING_SAMPLES * 20)
    )
    found: dict[str, list[float]] = {}
    for queue, data in rows:
        times = found.setdefault(str(queue), [])
        if len(times) < HANDLING_SAMPLES and "handled" in (data or {}):
            times.append(float(data["handled"]))
    return found


def rebuild(store: QueueStore, session: Session) -> int:
    """Put every open conversation back into Redis (those Redis still knows stay as they are)."""
    server = store.server()
    entries = replay(open_events(session))
    holders = {e.operator for e in entries.values() if e.operator is not None}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(holders)))} if holders else {}
    restored = 0
    for entry in entries.values():
        user = users.get(entry.operator) if entry.operator is not None else None
        restored += store.restore(entry, _holder(user) if user else None)
    for queue, times in recent_handling(session).items():
        store.remember_handling_times(queue, times)
    store.mark_alive(server)
    return restored


def _holder(user: User) -> Operator:
    return Operator(
        id=user.id,
        state=OperatorState.BUSY,
        since=None,
        reason="",
        offer="",
        conversations=(),
        wrap_ups=(),
        skills=tuple(user.skills or ()),
        langs=tuple(user.languages or ()),
        name=user.display_name or user.username,
        capacity=Capacity(chats=user.capacity_chats, calls=min(1, user.capacity_calls)),
    )
