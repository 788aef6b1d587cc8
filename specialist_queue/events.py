"""Queue events into the SQL queue log (`hotline.queue_log`), like Asterisk's queue_log.

Statistics read them, and the live queues are rebuilt from them when Redis loses its data, so an
event carries what a rebuild needs (seq, class, kind, phone, due).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from hotline.queue_log import QueueEvent, QueueEventKind
from specialist_queue.model import Entry


def at(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)


def seconds(when: datetime) -> float:
    """Seconds since the epoch; SQLite gives back naive datetimes, which are UTC here."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


# The events that say how long the citizen had waited by then (from the entry's arrival).
WAITED = frozenset(
    {QueueEventKind.OFFERED, QueueEventKind.CONNECTED, QueueEventKind.TIMED_OUT, QueueEventKind.ABANDONED}
)


def event(
    kind: QueueEventKind,
    *,
    now: float,
    entry: Entry | None = None,
    conversation_id: str | None = None,
    operator_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> QueueEvent:
    """One row of the queue log, not stored yet (`log` stores it)."""
    return QueueEvent(
        at=at(now),
        event=kind.value,
        conversation_id=entry.conversation_id if entry else conversation_id,
        channel=entry.channel if entry else None,
        queue=entry.queue if entry else None,
        lang=entry.lang if entry else None,
        priority=entry.priority if entry else None,
        operator_id=operator_id,
        wait_seconds=round(now - entry.enqueued, 1) if entry and kind in WAITED else None,
        data=data or {},
    )


def log(sessions: sessionmaker[Session], *events: QueueEvent) -> None:
    """Store events in one transaction (committed when this returns)."""
    with transaction(sessions) as session:
        session.add_all(events)
