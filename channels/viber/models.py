"""The Viber channel's SQL records: callbacks and send outcomes, abuse, the block list, ratings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class ViberEvent(Base):
    """A callback or a send outcome worth keeping (delivered, seen, failed, unsubscribed, unsupported…).

    Unique per (event, message_token), so a callback Viber repeats is written once.
    """

    __tablename__ = "viber_events"
    __table_args__ = (UniqueConstraint("event", "message_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(32), index=True)
    message_token: Mapped[int | None] = mapped_column(BigInteger, default=None)
    user_id: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class ViberAbuse(Base):
    """An abusive message, masked (the raw text is never stored), and what was done about it."""

    __tablename__ = "viber_abuse"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), default=None)
    message_token: Mapped[int] = mapped_column(BigInteger, unique=True)
    masked: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))


class ViberBlock(Base):
    """A Viber user on the block list; active until an admin lifts it."""

    __tablename__ = "viber_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(64))
    sample: Mapped[str] = mapped_column(Text, default="")
    blocked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lifted_at: Mapped[datetime | None] = mapped_column(default=None)
    lifted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class ViberRating(Base):
    """The citizen's 1–5 answer to "how did we help" after a specialist closed the conversation."""

    __tablename__ = "viber_ratings"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    score: Mapped[int] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
