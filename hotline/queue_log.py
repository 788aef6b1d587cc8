"""The queue log in SQL, like Asterisk's queue_log: one row per queue event, for statistics.

The specialist queue writes it; the admin statistics read it; live queues are rebuilt from it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.db import Base, utcnow


class QueueEventKind(StrEnum):
    ENTERED = "entered"
    OFFERED = "offered"
    CONNECTED = "connected"
    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    CALLBACK_REQUESTED = "callback_requested"
    CALLBACK_OUTCOME = "callback_outcome"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"
    UNPAUSED = "unpaused"
    CLOSED = "closed"
    TRANSFERRED = "transferred"  # to a colleague (offered to them) or another queue; the specialist wraps up
    ESCALATED = "escalated"  # a crisis while waiting: moved to a more urgent queue or priority (data: from where)


class QueueEvent(Base):
    __tablename__ = "queue_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(32), index=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), default=None, index=True
    )
    channel: Mapped[str | None] = mapped_column(String(16), default=None)
    queue: Mapped[str | None] = mapped_column(String(63), default=None, index=True)
    lang: Mapped[str | None] = mapped_column(String(8), default=None)
    priority: Mapped[str | None] = mapped_column(String(16), default=None)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None, index=True)
    wait_seconds: Mapped[float | None] = mapped_column(default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set on an event kept in Redis while the database was away (`hotline.pending_log`): written back once.
    pending_key: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)


def forget(
    session: Session, *, end: datetime, start: datetime | None = None, conversation_ids: Collection[str] | None = None
) -> int:
    """Blank the data (a callback's phone, a wrap-up note) of events before `end` (and from `start`); the
    events still count."""
    where = [QueueEvent.at < end]
    if start is not None:
        where.append(QueueEvent.at >= start)
    if conversation_ids is not None:
        where.append(QueueEvent.conversation_id.in_(conversation_ids))
    return int(session.execute(update(QueueEvent).where(*where).values(data={})).rowcount or 0)  # type: ignore[attr-defined]
