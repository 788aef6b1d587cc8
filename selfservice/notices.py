"""The emergency notice: an admin's few words, in both languages, from a start to an end.

Read from SQL at the start of each conversation (one indexed query on a table of a few rows), so a
notice shows on every node as soon as it is saved and is gone by itself at its end.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hotline.admin import audit
from hotline.db import utcnow
from selfservice.models import Notice

log = logging.getLogger(__name__)
MAX_TEXT = 500  # read out at the start of every call: a few sentences, not a page
LANGS = ("uk", "ru")


class BadNotice(ValueError):
    """A notice that cannot be saved; `code` names the problem for the admin's page."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Active:
    """A notice in force: its words per language and when it ends."""

    texts: dict[str, str]
    ends_at: datetime

    def text(self, lang: str) -> str:
        return self.texts.get(lang) or self.texts["uk"]


def active(session: Session, *, now: datetime | None = None) -> list[Active]:
    """The notices in force now, the one ending first first (several may overlap: all are given)."""
    now = now or utcnow()
    rows = session.scalars(
        select(Notice).where(Notice.starts_at <= now, Notice.ends_at > now).order_by(Notice.ends_at, Notice.id)
    )
    return [Active({"uk": n.text_uk, "ru": n.text_ru}, _aware(n.ends_at)) for n in rows]


def active_now(sessions: sessionmaker[Session]) -> list[Active]:
    """`active` in a session of its own: what a channel calls at the start of a conversation.

    With the database unreachable the line still answers (its turns wait in Redis): without the notice."""
    try:
        with sessions() as session:
            return active(session)
    except SQLAlchemyError as exc:
        log.warning("the emergency notice could not be read (%s): the conversation starts without it", exc)
        return []


def words(notices: list[Active], lang: str | None) -> str:
    """The notices as one paragraph in `lang`; in both languages (uk first) while the language is not known."""
    if lang in LANGS:
        return " ".join(n.text(lang) for n in notices)
    return "\n".join(" ".join(n.text(code) for n in notices) for code in LANGS if notices)


def listed(session: Session, *, limit: int = 50) -> list[Notice]:
    """Every notice, the newest start first."""
    return list(session.scalars(select(Notice).order_by(Notice.starts_at.desc(), Notice.id.desc()).limit(limit)))


def create(
    session: Session, *, text_uk: str, text_ru: str, starts_at: datetime, ends_at: datetime, by: audit.Actor
) -> Notice:
    """Save a notice (audited); it shows from `starts_at` to `ends_at` by itself."""
    texts = {"uk": " ".join(text_uk.split()), "ru": " ".join(text_ru.split())}
    for lang, text in texts.items():
        if not text:
            raise BadNotice("notice_text_missing", f"the notice needs its {lang} text")
        if len(text) > MAX_TEXT:
            raise BadNotice("notice_too_long", f"the {lang} text is longer than {MAX_TEXT} characters")
    if ends_at <= utcnow():
        raise BadNotice("notice_in_past", "the notice would end before now")
    if ends_at <= starts_at:
        raise BadNotice("notice_ends_before", "the notice must end after it starts")
    notice = Notice(text_uk=texts["uk"], text_ru=texts["ru"], starts_at=starts_at, ends_at=ends_at, created_by=by.id)
    session.add(notice)
    session.flush()
    detail = {"uk": notice.text_uk, "ru": notice.text_ru, "from": starts_at.isoformat(), "to": ends_at.isoformat()}
    audit.record(session, actor=by, action="notice.create", target=str(notice.id), detail=detail)
    return notice


def end(session: Session, *, notice_id: int, by: audit.Actor) -> Notice:
    """End a notice now (audited); one that has ended already stays as it was."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise LookupError(f"no notice {notice_id}")
    now = utcnow()
    if _aware(notice.ends_at) > now:
        notice.ends_at = max(now, _aware(notice.starts_at))
        audit.record(session, actor=by, action="notice.end", target=str(notice.id), detail={"at": now.isoformat()})
    return notice


def _aware(at: datetime) -> datetime:
    """SQLite gives back naive datetimes (written in UTC); PostgreSQL aware ones."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
