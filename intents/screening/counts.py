"""How often questionnaires are started and completed and which measures they suggest: counts per hour
and channel, never per conversation or person (no answer and no conversation id is kept here).

The hour is UTC, so the statistics add hours up into the office's days like every other figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, String, UniqueConstraint, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.db import Base
from intents.screening.flow import Counted, What


class ScreeningCount(Base):
    __tablename__ = "screening_counts"
    __table_args__ = (UniqueConstraint("hour", "channel", "what", "intent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[datetime] = mapped_column()
    channel: Mapped[str] = mapped_column(String(16))
    what: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str] = mapped_column(String(63))
    count: Mapped[int] = mapped_column(default=0)


def add(connection: Connection, *, at: datetime, channel: str, counted: Sequence[Counted]) -> None:
    """Add one to each count, in the caller's transaction (INSERT … ON CONFLICT DO UPDATE)."""
    if not counted:
        return
    hour = at.replace(minute=0, second=0, microsecond=0)
    rows = [{"hour": hour, "channel": channel, "what": c.what.value, "intent": c.intent, "count": 1} for c in counted]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ScreeningCount)
    upsert = statement.on_conflict_do_update(
        index_elements=["hour", "channel", "what", "intent"],
        set_={"count": ScreeningCount.count + statement.excluded.count},
    )
    for row in rows:  # one row per statement: a multi-row upsert may not name the same key twice
        connection.execute(upsert, row)


@dataclass(frozen=True)
class Total:
    what: What
    intent: str
    channel: str
    count: int


def totals(session: Session, *, start: datetime, end: datetime) -> list[Total]:
    """Counts from `start` (inclusive) to `end` (exclusive), per kind, intent and channel."""
    query = (
        select(ScreeningCount.what, ScreeningCount.intent, ScreeningCount.channel, func.sum(ScreeningCount.count))
        .where(ScreeningCount.hour >= start, ScreeningCount.hour < end)
        .group_by(ScreeningCount.what, ScreeningCount.intent, ScreeningCount.channel)
    )
    return [Total(What(what), intent, channel, int(count)) for what, intent, channel, count in session.execute(query)]
