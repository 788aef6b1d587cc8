"""What the registry part keeps about citizens, given up when the office's periods run out or a citizen's
data is erased: certificates, what requests asked (the identifier), the audit of registry calls, cases."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from registry_client.models import Case, Certificate, RegistryAudit, RegistryJob
from registry_client.states import ACTIVE


def forget_certificates(session: Session, *, end: datetime) -> int:
    """Delete certificates received before `end`, and what finished requests older than that asked for
    (the citizen's identifier); returns the certificates deleted."""
    deleted = session.execute(delete(Certificate).where(Certificate.received_at < end))
    finished = RegistryJob.state.not_in([state.value for state in ACTIVE])
    session.execute(update(RegistryJob).where(finished, RegistryJob.created_at < end).values(subject={}))
    return int(deleted.rowcount or 0)  # type: ignore[attr-defined]


def forget_audit(session: Session, *, end: datetime) -> int:
    """Delete the registry-call audit rows written before `end`; returns how many."""
    return int(session.execute(delete(RegistryAudit).where(RegistryAudit.at < end)).rowcount or 0)  # type: ignore[attr-defined]


def cases_of(
    session: Session, *, conversation_ids: Collection[str] = (), case_ids: Collection[int] = (), id_value: str = ""
) -> list[Case]:
    """Every case opened from one of the conversations, with one of the numbers, or about the identifier."""
    found: list[ColumnElement[bool]] = [Case.conversation_id.in_(conversation_ids), Case.id.in_(case_ids)]
    if id_value:
        found.append(Case.id_value == id_value)
    return list(session.scalars(select(Case).where(or_(*found)).order_by(Case.id)))


def erase_cases(session: Session, *, case_ids: Collection[int]) -> int:
    """Delete the cases with their consents, requests, certificates and registry audit; returns how many."""
    return int(session.execute(delete(Case).where(Case.id.in_(case_ids))).rowcount or 0)  # type: ignore[attr-defined]
