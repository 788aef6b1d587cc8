"""The conversation log in SQL: one row per conversation and one event per turn.

Statistics and the operator's context are read from here, so they survive a Redis restart.
Events are keyed by (conversation, step, seq), so writing a retried turn again changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

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


def has_step(session: Session, *, conversation_id: str, step: int) -> bool:
    found = session.scalar(
        select(ConversationEvent.id)
        .where(ConversationEvent.conversation_id == conversation_id, ConversationEvent.step == step)
        .limit(1)
    )
    return found is not None


def events(session: Session, *, conversation_id: str) -> list[ConversationEvent]:
    return list(
        session.scalars(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == conversation_id)
            .order_by(ConversationEvent.step, ConversationEvent.seq)
        )
    )
