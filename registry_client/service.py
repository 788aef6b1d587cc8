"""Cases, consents and certificate requests in SQL (keyword-only functions in the caller's session).

Operators see and change only the cases they own; admins see every case. A case someone may not see
is reported as missing, so its existence is not disclosed either.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.conversation_log import Conversation
from hotline.db import utcnow
from hotline.users import Role
from registry_client.identifiers import IdKind, normalise
from registry_client.models import Case, Certificate, Consent, RegistryAudit, RegistryJob
from registry_client.states import ACTIVE, JobState


class CaseKind(StrEnum):
    HOUSING_SUBSIDY = "housing_subsidy"
    BENEFIT = "benefit"
    STATE_AID = "state_aid"
    OTHER = "other"


class CaseStatus(StrEnum):
    OPEN = "open"
    WAITING = "waiting"
    CLOSED = "closed"


class ConsentBasis(StrEnum):
    APPLICATION = "application"  # the consent clause of the citizen's written application
    STATEMENT = "statement"  # a separate signed consent
    VERBAL = "verbal"  # said to the specialist in person or on a recorded call


class Viewer(Protocol):
    """The logged-in staff user."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> Role: ...


class CaseNotFound(LookupError):
    pass


class NoConsent(ValueError):
    """A certificate may be requested only with the citizen's recorded consent."""


class CaseClosed(ValueError):
    pass


def _search_text(full_name: str, id_value: str, birth_date: date) -> str:
    return " ".join((full_name.casefold(), id_value.casefold(), birth_date.isoformat()))[:300]


def create(
    session: Session,
    *,
    owner: Viewer,
    kind: CaseKind,
    full_name: str,
    birth_date: date,
    id_kind: IdKind,
    id_value: str,
    notes: str = "",
    conversation_id: str | None = None,
) -> Case:
    """A new open case; the identifier is checked and normalised (`InvalidIdentifier` if it cannot be right)."""
    value = normalise(id_kind, id_value, birth_date=birth_date)
    if conversation_id is not None and session.get(Conversation, conversation_id) is None:
        raise CaseNotFound(f"there is no conversation {conversation_id!r}")
    name = " ".join(full_name.split())
    case = Case(
        kind=kind.value,
        status=CaseStatus.OPEN.value,
        full_name=name,
        birth_date=birth_date,
        id_kind=id_kind.value,
        id_value=value,
        notes=notes,
        search_text=_search_text(name, value, birth_date),
        owner_id=owner.id,
        conversation_id=conversation_id,
    )
    session.add(case)
    session.flush()
    return case


def get(session: Session, *, case_id: int, viewer: Viewer) -> Case:
    case = session.get(Case, case_id)
    if case is None or (viewer.role is not Role.ADMIN and case.owner_id != viewer.id):
        raise CaseNotFound(f"there is no case {case_id}")
    return case


def search(
    session: Session,
    *,
    viewer: Viewer,
    text: str = "",
    status: CaseStatus | None = None,
    kind: CaseKind | None = None,
    limit: int = 50,
) -> list[Case]:
    """Newest first; `text` finds a part of the name, the identifier, the date of birth or the case number."""
    query = select(Case).order_by(Case.id.desc()).limit(limit)
    if viewer.role is not Role.ADMIN:
        query = query.where(Case.owner_id == viewer.id)
    if status is not None:
        query = query.where(Case.status == status.value)
    if kind is not None:
        query = query.where(Case.kind == kind.value)
    needle = " ".join(text.split()).casefold()
    if needle:
        number = needle.removeprefix("c-").lstrip("0")
        by_text = Case.search_text.contains(needle, autoescape=True)
        is_number = number.isdigit() and len(number) <= 9  # a longer one is no case number (and no SQL integer)
        query = query.where(by_text | (Case.id == int(number)) if is_number else by_text)
    return list(session.scalars(query))


def update(session: Session, *, case: Case, status: CaseStatus | None = None, notes: str | None = None) -> Case:
    if status is not None:
        case.status = status.value
    if notes is not None:
        case.notes = notes
    session.flush()
    return case


def record_consent(session: Session, *, case: Case, basis: ConsentBasis, reference: str, by: Viewer) -> Consent:
    consent = Consent(case_id=case.id, basis=basis.value, reference=reference.strip(), recorded_by=by.id)
    session.add(consent)
    session.flush()
    session.refresh(case, ["consents"])
    return consent


def request_certificate(session: Session, *, case: Case, purpose: str, by: Viewer) -> RegistryJob:
    """A pending certificate request, or the same request already on its way (never two of one kind)."""
    if not case.consents:
        raise NoConsent("record the citizen's consent first")
    if case.status == CaseStatus.CLOSED:
        raise CaseClosed("the case is closed")
    subject = {
        "id_kind": case.id_kind,
        "id_value": case.id_value,
        "full_name": case.full_name,
        "birth_date": case.birth_date.isoformat(),
    }
    purpose = " ".join(purpose.split())
    for job in jobs_of(session, case_id=case.id):
        if job.state in ACTIVE and job.subject == subject and job.purpose == purpose:
            return job
    generation = session.scalar(select(func.count()).where(RegistryJob.case_id == case.id)) or 0
    key = _idempotency_key(case.id, subject, purpose, utcnow().date(), generation)
    job = RegistryJob(
        case_id=case.id,
        idempotency_key=key,
        state=JobState.PENDING.value,
        purpose=purpose,
        requested_by=by.id,
        subject=subject,
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # the same request, made at the same moment by a second click
        found = session.scalar(select(RegistryJob).where(RegistryJob.idempotency_key == key))
        assert found is not None
        return found
    return job


def _idempotency_key(case_id: int, subject: dict[str, str], purpose: str, day: date, generation: int) -> str:
    """The business key the registry sees on every attempt of one request (retries never form a second)."""
    parts = (str(case_id), subject["id_kind"], subject["id_value"], purpose, day.isoformat(), str(generation))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def jobs_of(session: Session, *, case_id: int) -> list[RegistryJob]:
    return list(session.scalars(select(RegistryJob).where(RegistryJob.case_id == case_id).order_by(RegistryJob.id)))


def certificates_of(session: Session, *, case_id: int) -> list[Certificate]:
    query = select(Certificate).where(Certificate.case_id == case_id).order_by(Certificate.id.desc())
    return list(session.scalars(query))


def get_certificate(session: Session, *, certificate_id: int, viewer: Viewer) -> tuple[Case, Certificate]:
    certificate = session.get(Certificate, certificate_id)
    if certificate is None:
        raise CaseNotFound(f"there is no certificate {certificate_id}")
    return get(session, case_id=certificate.case_id, viewer=viewer), certificate


def audit(
    session: Session, *, viewer: Viewer, case_id: int | None = None, before: int | None = None, limit: int = 100
) -> Sequence[RegistryAudit]:
    """Newest first; an operator reads only the entries of their own cases."""
    query = select(RegistryAudit).order_by(RegistryAudit.id.desc()).limit(limit)
    if viewer.role is not Role.ADMIN:
        query = query.join(Case, Case.id == RegistryAudit.case_id).where(Case.owner_id == viewer.id)
    if case_id is not None:
        query = query.where(RegistryAudit.case_id == case_id)
    if before is not None:
        query = query.where(RegistryAudit.id < before)
    return session.scalars(query).all()


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; every one we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
