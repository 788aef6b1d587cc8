"""The conversation log in SQL: one row per conversation and one event per turn.

Statistics and the operator's context are read from here, so they survive a Redis restart.
Events are keyed by (conversation, step, seq), so writing a retried turn again changes nothing:
`write_turns` inserts with ON CONFLICT DO NOTHING, one statement for any number of turns.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.dml import Insert

from hotline.db import Base, utcnow


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    lang: Mapped[str | None] = mapped_column(String(8), default=None)
    external_id: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    tree_version: Mapped[int | None] = mapped_column(default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    handoff_queue: Mapped[str | None] = mapped_column(String(63), default=None)
    ended: Mapped[bool] = mapped_column(default=False)


class ConversationEvent(Base):
    __tablename__ = "conversation_events"
    __table_args__ = (UniqueConstraint("conversation_id", "step", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column()
    seq: Mapped[int] = mapped_column(default=0)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    intent: Mapped[str | None] = mapped_column(String(63), default=None, index=True)
    score: Mapped[float | None] = mapped_column(default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def get(session: Session, *, conversation_id: str) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def create(
    session: Session, *, conversation_id: str, channel: str, lang: str | None, external_id: str | None = None
) -> Conversation:
    conversation = Conversation(id=conversation_id, channel=channel, lang=lang, external_id=external_id)
    session.add(conversation)
    session.flush()
    return conversation


@dataclass(frozen=True)
class Started:
    """A conversation's row as it began, when it could not be written then (`hotline.pending_log`)."""

    conversation_id: str
    channel: str
    lang: str | None
    external_id: str | None
    tree_version: int
    at: datetime


def write_started(connection: Connection, started: Sequence[Started]) -> int:
    """Insert the conversations' rows once (one already there is left as it is); returns those written now."""
    rows = [
        {
            "id": s.conversation_id,
            "channel": s.channel,
            "lang": s.lang,
            "external_id": s.external_id,
            "tree_version": s.tree_version,
            "started_at": s.at,
            "updated_at": s.at,
        }
        for s in started
    ]
    if not rows:
        return 0
    statement = _insert_ignoring_duplicates(connection, Conversation).returning(Conversation.id)
    return len(connection.execute(statement, rows).all())


@dataclass(frozen=True)
class Turn:
    """One turn as the log keeps it: its events, and what it changed on the conversation."""

    conversation_id: str
    step: int
    at: datetime
    events: list[dict[str, Any]]  # kind, text, intent, score, data; seq is the position
    lang: str | None = None  # set when the turn chose or changed the language
    handoff_queue: str | None = None  # set when the turn handed the conversation to a queue
    seq: int = 0  # the first event's seq (a call's own events have one of their own each: `ivr.calls`)

    def changes(self) -> dict[str, Any]:
        """The conversation's columns this turn sets."""
        changes = {"lang": self.lang, "handoff_queue": self.handoff_queue}
        return {name: value for name, value in changes.items() if value is not None}


def write_turns(connection: Connection, turns: Sequence[Turn]) -> int:
    """Insert the turns' events once (a turn written before is skipped); returns the turns newly written.

    The conversation row is updated only for a turn written now that changed it, so a retried turn
    costs one INSERT that inserts nothing.
    """
    rows = [
        {"conversation_id": t.conversation_id, "step": t.step, "seq": seq, "at": t.at, **_event_columns(event)}
        for t in turns
        for seq, event in enumerate(t.events, start=t.seq)
    ]
    if not rows:
        return 0
    if connection.dialect.name == "postgresql":
        # The log is not worth a disk flush per turn: a crash of PostgreSQL itself may lose the last
        # fraction of a second of turns (docs/ARCHITECTURE.md), never corrupt or half-write one.
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
    # One statement with the rows as parameters (not inlined values), so it is compiled once per process and
    # SQLAlchemy sends the rows as one multi-row INSERT; RETURNING names only the rows inserted now.
    statement = _insert_ignoring_duplicates(connection, ConversationEvent).returning(
        ConversationEvent.conversation_id, ConversationEvent.step
    )
    inserted = {(r.conversation_id, r.step) for r in connection.execute(statement, rows)}
    for turn in turns:
        if (changes := turn.changes()) and (turn.conversation_id, turn.step) in inserted:
            changed = update(Conversation).where(Conversation.id == turn.conversation_id)
            connection.execute(changed.values(**changes, updated_at=turn.at))
    return len(inserted)


def _event_columns(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": event["kind"],
        "text": event.get("text") or "",
        "intent": event.get("intent"),
        "score": event.get("score"),
        "data": event.get("data") or {},
    }


def _insert_ignoring_duplicates(connection: Connection, table: type[Conversation | ConversationEvent]) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING in the connection's dialect (PostgreSQL or SQLite)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"the conversation log supports PostgreSQL and SQLite, not {connection.dialect.name}")


def last_turn(session: Session, *, conversation_id: str) -> int:
    """The step of the conversation's last logged turn (0 for none); every turn logs the citizen's input
    first, while channel events (a call's end, a recording) sit on steps of their own."""
    found = session.scalar(
        select(func.max(ConversationEvent.step)).where(
            ConversationEvent.conversation_id == conversation_id, ConversationEvent.kind.startswith("citizen_")
        )
    )
    return int(found or 0)


def events(session: Session, *, conversation_id: str) -> list[ConversationEvent]:
    return list(
        session.scalars(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == conversation_id)
            .order_by(ConversationEvent.step, ConversationEvent.seq)
        )
    )


def forget(
    session: Session,
    *,
    end: datetime,
    start: datetime | None = None,
    kinds: Collection[str] | None = None,
    keep: Collection[str] = (),
    conversation_ids: Collection[str] | None = None,
) -> int:
    """Blank the text and data of events logged before `end` (and from `start`), of `kinds` (all but `keep`),
    of `conversation_ids` (all when None): their kind, intent, score and time stay, so statistics still count
    them. Returns the events changed."""
    where = [ConversationEvent.at < end]
    if start is not None:
        where.append(ConversationEvent.at >= start)
    if kinds is not None:
        where.append(ConversationEvent.kind.in_(kinds))
    if keep:
        where.append(ConversationEvent.kind.not_in(keep))
    if conversation_ids is not None:
        where.append(ConversationEvent.conversation_id.in_(conversation_ids))
    return _count(session.execute(update(ConversationEvent).where(*where).values(text="", data={})))


def forget_citizen(session: Session, *, end: datetime, conversation_ids: Collection[str] | None = None) -> int:
    """Drop who the citizen was (phone call id, Viber or Telegram user) from conversations started before `end`."""
    where = [Conversation.started_at < end, Conversation.external_id.is_not(None)]
    if conversation_ids is not None:
        where.append(Conversation.id.in_(conversation_ids))
    return _count(session.execute(update(Conversation).where(*where).values(external_id=None)))


def _count(result: Any) -> int:
    return int(result.rowcount or 0)


def of_citizen(session: Session, *, external_id: str = "", mentioning: str = "") -> list[Conversation]:
    """One citizen's conversations, oldest first: by the channel's id of them (a Viber or Telegram user, a
    call), or by a value their events' data carry (the caller's number in a call's events)."""
    found = []
    if external_id:
        found.append(Conversation.external_id == external_id)
    if mentioning:
        carrying = cast(ConversationEvent.data, Text).contains(mentioning, autoescape=True)
        found.append(Conversation.id.in_(select(ConversationEvent.conversation_id).where(carrying)))
    if not found:
        return []
    return list(session.scalars(select(Conversation).where(or_(*found)).order_by(Conversation.started_at)))


def latest_open(session: Session, *, channel: str, external_id: str) -> str | None:
    """The id of a channel user's newest conversation that has not ended (a messenger's "current" one)."""
    found: str | None = session.scalar(
        select(Conversation.id)
        .where(Conversation.channel == channel, Conversation.external_id == external_id, Conversation.ended.is_(False))
        .order_by(Conversation.started_at.desc())
        .limit(1)
    )
    return found
