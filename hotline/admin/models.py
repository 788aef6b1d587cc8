"""SQL records the admin pages own: the audit log, the office calendar and the queue settings."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from hotline.conversation_log import Conversation, ConversationEvent
from hotline.db import Base, utcnow
from hotline.office_hours import QueuePolicy
from hotline.queue_log import QueueEvent

_DEFAULT = QueuePolicy()


class AuditEntry(Base):
    """One change an admin made: who, when, what (the detail says exactly what changed)."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None, index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OfficeSettings(Base):
    """The one row of office-wide settings; `revision` grows with every change so workers reload."""

    __tablename__ = "office_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(default=0)
    # False until an admin saves the week: until then HOTLINE_OFFICE_HOURS is the schedule.
    custom_week: Mapped[bool] = mapped_column(default=False)
    wrap_up_seconds: Mapped[int] = mapped_column(default=_DEFAULT.wrap_up_seconds)
    service_level_seconds: Mapped[int] = mapped_column(default=_DEFAULT.service_level_seconds)
    callback_enabled: Mapped[bool] = mapped_column(default=_DEFAULT.callback_enabled)
    callback_offer_after_seconds: Mapped[int] = mapped_column(default=_DEFAULT.callback_offer_after_seconds)
    callback_when_closed: Mapped[bool] = mapped_column(default=_DEFAULT.callback_when_closed)
    callback_max_attempts: Mapped[int] = mapped_column(default=_DEFAULT.callback_max_attempts)
    callback_retry_minutes: Mapped[int] = mapped_column(default=_DEFAULT.callback_retry_minutes)
    alert_waiting: Mapped[int] = mapped_column(default=_DEFAULT.alert_waiting)
    alert_wait_seconds: Mapped[int] = mapped_column(default=_DEFAULT.alert_wait_seconds)
    alert_service_level_percent: Mapped[int] = mapped_column(default=_DEFAULT.alert_service_level_percent)
    holiday_years: Mapped[list[int]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WeekHours(Base):
    """Opening hours of one weekday (0 = Monday); a weekday without a row is closed."""

    __tablename__ = "office_week"

    weekday: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)


class CalendarDay(Base):
    """A public holiday (preloaded, closed or worked) or an office closure."""

    __tablename__ = "office_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday | closure
    name: Mapped[str] = mapped_column(String(200), default="")
    closed: Mapped[bool] = mapped_column(default=True)


# Covering indexes for the statistics page (hotline/admin/stats.py; migration 0003_admin_stats): the
# tables belong to the conversation and queue logs, the way the admin pages read them to us.
STATS_INDEXES = (
    Index("ix_stats_conversations", Conversation.started_at, Conversation.channel, Conversation.handoff_queue,
          Conversation.id),
    Index("ix_stats_conversation_events", ConversationEvent.kind, ConversationEvent.at, ConversationEvent.intent,
          ConversationEvent.conversation_id),
    Index("ix_stats_queue_events", QueueEvent.at, QueueEvent.event, QueueEvent.channel, QueueEvent.wait_seconds,
          QueueEvent.conversation_id),
)  # fmt: skip
