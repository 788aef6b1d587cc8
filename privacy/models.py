"""The office's retention periods, and how far the daily retention run has got."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class RetentionSettings(Base):
    """The one row: days each kind of personal data is kept, and the run's progress."""

    __tablename__ = "retention_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_days: Mapped[int] = mapped_column(default=90)
    transcript_days: Mapped[int] = mapped_column(default=30)
    recording_days: Mapped[int] = mapped_column(default=30)
    certificate_days: Mapped[int] = mapped_column(default=180)
    audit_days: Mapped[int] = mapped_column(default=1095)
    # Per kind, the cutoff already applied: a run only touches what has aged past it since.
    done_before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    last_run: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the last run did
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
