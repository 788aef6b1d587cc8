"""Announcements: written per language by an admin, sent now or at a set time, cancelled, counted.

The sending itself is `selfservice.sending`; here is what the admin pages do, each in the caller's
transaction with its audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline.admin import audit
from hotline.db import utcnow
from selfservice import commands
from selfservice.models import Announcement, Delivery, Topic

MAX_TEXT = 2000
SCHEDULED, SENDING, DONE, CANCELLED = "scheduled", "sending", "done", "cancelled"
# A delivery's states (see `models.Delivery`).
PENDING, CLAIMED, SENT, FAILED, GONE, UNKNOWN, SKIPPED = (
    "pending",
    "sending",
    "sent",
    "failed",
    "gone",
    "unknown",
    "cancelled",
)


class BadAnnouncement(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def compose(text: str, lang: str) -> str:
    """What a subscriber in `lang` gets: the admin's text, then how to stop."""
    return f"{text}\n\n{commands.say('how_to_stop', lang)}"


def message(announcement: Announcement, lang: str) -> str:
    return compose(announcement.text_ru if lang == "ru" else announcement.text_uk, lang)


def create(
    session: Session, *, topic_id: int, text_uk: str, text_ru: str, send_at: datetime | None, by: audit.Actor
) -> Announcement:
    """A new announcement to the topic's subscribers, at `send_at` (None: now); audited."""
    topic = session.get(Topic, topic_id)
    if topic is None:
        raise BadAnnouncement("announcement_no_topic", f"no topic {topic_id}")
    texts = {"uk": text_uk.strip(), "ru": text_ru.strip()}
    for lang, text in texts.items():
        if not text:
            raise BadAnnouncement("announcement_text_missing", f"the announcement needs its {lang} text")
        if len(text) > MAX_TEXT:
            raise BadAnnouncement("announcement_too_long", f"the {lang} text is longer than {MAX_TEXT} characters")
    now = utcnow()
    if send_at is not None and send_at < now:
        raise BadAnnouncement("announcement_in_past", "the time to send is already past")
    announcement = Announcement(
        topic_id=topic.id,
        text_uk=texts["uk"],
        text_ru=texts["ru"],
        state=SCHEDULED,
        send_at=send_at or now,
        created_by=by.id,
    )
    session.add(announcement)
    session.flush()
    detail = {"topic": topic.slug, "uk": texts["uk"], "ru": texts["ru"], "send_at": announcement.send_at.isoformat()}
    audit.record(session, actor=by, action="announcement.create", target=str(announcement.id), detail=detail)
    return announcement


def cancel(session: Session, *, announcement_id: int, by: audit.Actor) -> Announcement:
    """Stop an announcement: nobody not yet sent to gets it (a message already on its way still arrives)."""
    announcement = session.get(Announcement, announcement_id)
    if announcement is None:
        raise LookupError(f"no announcement {announcement_id}")
    if announcement.state not in (SCHEDULED, SENDING):
        raise BadAnnouncement("announcement_not_cancellable", "the announcement has been sent or cancelled already")
    announcement.state = CANCELLED
    announcement.finished_at = utcnow()
    left = session.execute(
        update(Delivery)
        .where(Delivery.announcement_id == announcement.id, Delivery.state == PENDING)
        .values(state=SKIPPED, updated_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    audit.record(session, actor=by, action="announcement.cancel", target=str(announcement.id), detail={"left": left})
    return announcement


def listed(session: Session, *, limit: int = 50) -> list[Announcement]:
    return list(session.scalars(select(Announcement).order_by(Announcement.id.desc()).limit(limit)))


def get(session: Session, *, announcement_id: int) -> Announcement | None:
    return session.get(Announcement, announcement_id)


@dataclass(frozen=True)
class Progress:
    """Where an announcement's sending stands: counts of its copies by what became of them."""

    total: int = 0
    sent: int = 0
    failed: int = 0  # refused, given up on, or lost with a sender that died mid-send
    gone: int = 0  # the citizen had left the bot: unsubscribed or blocked
    waiting: int = 0
    cancelled: int = 0

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.gone

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def progress(session: Session, *, announcement_id: int) -> Progress:
    rows = session.execute(
        select(Delivery.state, func.count(Delivery.id))
        .where(Delivery.announcement_id == announcement_id)
        .group_by(Delivery.state)
    )
    by = {state: int(n) for state, n in rows}
    return Progress(
        total=sum(by.values()),
        sent=by.get(SENT, 0),
        failed=by.get(FAILED, 0) + by.get(UNKNOWN, 0),
        gone=by.get(GONE, 0),
        waiting=by.get(PENDING, 0) + by.get(CLAIMED, 0),
        cancelled=by.get(SKIPPED, 0),
    )


def aware(at: datetime) -> datetime:
    """SQLite gives back naive datetimes (written in UTC); PostgreSQL aware ones."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
