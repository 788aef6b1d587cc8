"""The Telegram channel's SQL record: updates that are not dialogue turns, and sends that did not happen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class TelegramEvent(Base):
    """A sticker answered politely, a block or unblock, a voice message not understood, a send refused…

    Unique per (update, kind), so an update Telegram delivers twice is written once.
    """

    __tablename__ = "telegram_events"
    __table_args__ = (UniqueConstraint("update_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    update_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
