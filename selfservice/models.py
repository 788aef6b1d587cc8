"""The SQL records of self-service: notices, topics, subscriptions, announcements and their deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline import users  # noqa: F401  (its table is the one `created_by` refers to)
from hotline.db import Base, utcnow


class Notice(Base):
    """An emergency notice: shown on every channel from `starts_at` until `ends_at`, in the citizen's language."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    text_uk: Mapped[str] = mapped_column(Text)
    text_ru: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class Topic(Base):
    """What citizens may subscribe to (payments and deadlines, fraud warnings, new measures…)."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    title_uk: Mapped[str] = mapped_column(String(80))
    title_ru: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(Base):
    """One citizen on one push channel subscribed to one topic, in their language. Only the channel's own id
    of the citizen is kept (a Viber user id, a Telegram chat id): no name, no phone number."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("channel", "recipient", "topic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(128))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Announcement(Base):
    """An admin's message to a topic's subscribers, per language; sent now or at `send_at`.

    state: scheduled → sending → done, or cancelled at any point before done."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    text_uk: Mapped[str] = mapped_column(Text)
    text_ru: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)
    send_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Delivery(Base):
    """One subscriber's copy of one announcement: the durable state that makes every copy go out once.

    state: pending → sending (claimed with the sender's lease token) → sent | failed | gone (unsubscribed or
    blocked the bot) | unknown (the sender died between asking the platform and hearing back: never resent);
    pending → cancelled."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("announcement_id", "channel", "recipient"),
        Index("ix_deliveries_announcement_state", "announcement_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(128))
    lang: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(16))
    token: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the lease's fencing token of the claim
    attempts: Mapped[int] = mapped_column(default=0)
    detail: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
