"""The admin audit log: every change an admin makes, with who, when and exactly what."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.admin.models import AuditEntry

# The office's own words and settings (answers name the office's phone and address), shown as written;
# a citizen's phrase added as an example is not the office's.
OFFICE_WORDS = ("tree.", "office.", "voice.")
CITIZEN_WORDS = ("tree.add_example", "tree.add_test_phrase")
COMMAND_LINE = "cli:"  # the username of changes made with the `hotline` command, before the system user


class Actor(Protocol):
    """Who did it: the logged-in staff user."""

    @property
    def id(self) -> int | None: ...  # None: not a staff user (a scheduled job, the command line)

    @property
    def username(self) -> str: ...


@dataclass(frozen=True)
class CommandLine:
    """Who acts through the `hotline` command: nobody logged in; the system user is named."""

    id: int | None = None
    username: str = field(default_factory=lambda: COMMAND_LINE + getpass.getuser())


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


def masked(action: str) -> bool:
    """Whether an entry's target and details are shown with personal data masked: all but the office's own texts."""
    return not action.startswith(OFFICE_WORDS) or action.startswith(CITIZEN_WORDS)


def forget(session: Session, *, end: datetime) -> int:
    """Delete the entries written before `end` (retention); returns how many."""
    return int(session.execute(delete(AuditEntry).where(AuditEntry.at < end)).rowcount or 0)  # type: ignore[attr-defined]
