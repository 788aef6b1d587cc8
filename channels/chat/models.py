"""What every chat channel keeps in SQL alike: abusive messages (masked), the block list, satisfaction ratings.

Rows name their channel (`conversations.channel`'s value) and the citizen as the channel knows them
(a Viber user id, a Telegram chat id, a web chat session). Privacy's retention and erasure cover them
(`channels.chat.service.forget` / `erase`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class ChatAbuse(Base):
    """An abusive message, masked (the raw text is never stored), and what was done about it.

    Unique per (channel, message id), so a message the channel delivers again counts once."""

    __tablename__ = "chat_abuse"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), default=None)
    message_id: Mapped[str] = mapped_column(String(128))
    masked: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))


class ChatBlock(Base):
    """A citizen on the block list of one channel; active until an admin lifts it."""

    __tablename__ = "chat_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(64))
    sample: Mapped[str] = mapped_column(Text, default="")
    blocked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lifted_at: Mapped[datetime | None] = mapped_column(default=None)
    lifted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class ChatRating(Base):
    """The citizen's 1–5 answer to "how did we help" after a specialist closed the conversation."""

    __tablename__ = "chat_ratings"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    score: Mapped[int] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
