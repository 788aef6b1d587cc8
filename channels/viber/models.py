"""The Viber channel's own SQL records: callbacks and send outcomes (abuse, blocks, ratings: `channels.chat`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text, UniqueConstraint
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
