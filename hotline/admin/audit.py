"""The admin audit log: every change an admin makes, with who, when and exactly what."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.admin.models import AuditEntry
from privacy.masking import mask

# The office's own words and settings (answers name the office's phone and address), shown as written;
# a citizen's phrase added as an example is not the office's.
OFFICE_WORDS = ("tree.", "office.")
CITIZEN_WORDS = ("tree.add_example",)


class Actor(Protocol):
    """Who did it: the logged-in staff user."""

    @property
    def id(self) -> int | None: ...  # None: the system (a scheduled job)

    @property
    def username(self) -> str: ...


def record(
    session: Session, *, actor: Actor, action: str, target: str = "", detail: Mapping[str, Any] | None = None
) -> AuditEntry:
    """Write one entry in the caller's transaction, so the change and its record stand or fall together."""
    entry = AuditEntry(
        user_id=actor.id, username=actor.username, action=action, target=target[:200], detail=dict(detail or {})
    )
    session.add(entry)
    session.flush()
    return entry


def recent(session: Session, *, limit: int = 100, before: int | None = None, action: str = "") -> list[AuditEntry]:
    """The newest entries first; `before` pages back, `action` keeps those whose action starts with it."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    return list(session.scalars(query))


def shown(entry: AuditEntry, lang: str) -> tuple[str, str]:
    """The entry's target and detail (indented JSON) as the audit pages show them: personal data masked
    (labels in `lang`), except in the office's own texts."""
    detail = json.dumps(entry.detail, ensure_ascii=False, indent=1, default=str) if entry.detail else ""
    if entry.action.startswith(OFFICE_WORDS) and not entry.action.startswith(CITIZEN_WORDS):
        return entry.target, detail
    return mask(entry.target, lang), mask(detail, lang)


def forget(session: Session, *, end: datetime) -> int:
    """Delete the entries written before `end` (retention); returns how many."""
    return int(session.execute(delete(AuditEntry).where(AuditEntry.at < end)).rowcount or 0)  # type: ignore[attr-defined]
