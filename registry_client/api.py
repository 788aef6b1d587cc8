"""The cases API under `/api/registry`: cases, consent, certificate requests (202, run in the background),
their live state, certificates, and the audit. Staff only; operators reach only their own cases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from hotline.csrf import verify_csrf
from hotline.db import RowId, transaction, utcnow
from hotline.deps import PartsDep, StaffUser, require
from hotline.users import SPECIALISTS
from registry_client import service
from registry_client.identifiers import IdKind, InvalidIdentifier
from registry_client.models import RegistryJob
from registry_client.service import CaseKind, CaseStatus, ConsentBasis

Staff = Annotated[StaffUser, require(*SPECIALISTS)]
router = APIRouter(prefix="/api/registry", tags=["registry"], dependencies=[Depends(verify_csrf)])


class CaseIn(BaseModel):
    kind: CaseKind
    full_name: str = Field(min_length=3, max_length=200)
    birth_date: date
    id_kind: IdKind
    id_value: str = Field(min_length=1, max_length=32)
    notes: str = Field(default="", max_length=5000)
    conversation_id: str | None = Field(default=None, max_length=64)

    @field_validator("birth_date")
    @classmethod
    def plausible(cls, value: date) -> date:
        if not date(1900, 1, 1) <= value <= utcnow().date():
            raise ValueError("the date of birth must be between 1900 and today")
        return value


class CasePatch(BaseModel):
    status: CaseStatus | None = None
    notes: str | None = Field(default=None, max_length=5000)


class ConsentIn(BaseModel):
    basis: ConsentBasis
    reference: str = Field(default="", max_length=200)


class RequestIn(BaseModel):
    purpose: str = Field(min_length=10, max_length=500, description="Shown to the citizen in Diia: be exact.")


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    basis: str
    reference: str
    recorded_by: int
    recorded_at: datetime


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    number: str
    kind: str
    status: str
    full_name: str
    birth_date: date
    id_kind: str
    id_value: str
    notes: str
    owner_id: int
    conversation_id: str | None
    created_at: datetime
    consents: list[ConsentOut]


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    case_id: int
    state: str
    purpose: str
    attempts: int
    error_code: str | None
    created_at: datetime
    next_attempt_at: datetime
    finished_at: datetime | None
    certificate_id: int | None = None


class CertificateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    case_id: int
    job_id: int
    extract_id: str
    formed_at: datetime
    full_name: str
    birth_date: date
    address: str
    registered_on: date
    household: list[dict[str, str]]
    source: str
    request_hash: str | None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    user_id: int
    case_id: int
    job_id: int
    purpose: str
    service: str
    subject_kind: str
    subject_masked: str
    subject_hash: str
    message_ids: list[str]
    result: str
    request_hash: str | None


@contextmanager
def domain_errors() -> Iterator[None]:
    """Service errors as HTTP answers with a sentence to act on."""
    try:
        yield
    except service.CaseNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc).strip("'\"")) from None
    except InvalidIdentifier as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except (service.NoConsent, service.CaseClosed) as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None


def jobs_out(session: Session, case_id: int) -> list[JobOut]:
    # Jobs before certificates: a job's "ready" and its certificate commit together, so a job read as ready
    # has its certificate visible to the later read (SQLite runs each SELECT in its own snapshot).
    jobs = service.jobs_of(session, case_id=case_id)
    ready = {c.job_id: c.id for c in service.certificates_of(session, case_id=case_id)}
    return [_job_out(job, ready.get(job.id)) for job in jobs]


def _job_out(job: RegistryJob, certificate_id: int | None) -> JobOut:
    return JobOut.model_validate(job).model_copy(update={"certificate_id": certificate_id})


@router.get("/cases")
def list_cases(
    parts: PartsDep,
    user: Staff,
    q: Annotated[str, Query(max_length=100)] = "",
    status: CaseStatus | None = None,
    kind: CaseKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CaseOut]:
    """Newest first; `q` matches a part of the name, the identifier, the date of birth or the case number."""
    with parts.sessions() as session:
        found = service.search(session, viewer=user, text=q, status=status, kind=kind, limit=limit)
        return [CaseOut.model_validate(case) for case in found]


@router.post("/cases", status_code=201)
def create_case(body: CaseIn, parts: PartsDep, user: Staff) -> CaseOut:
    """Open a case by hand or from a conversation (`conversation_id`)."""
    with domain_errors(), transaction(parts.sessions) as session:
        case = service.create(session, owner=user, **body.model_dump())
        return CaseOut.model_validate(case)


@router.get("/cases/{case_id}")
def get_case(case_id: RowId, parts: PartsDep, user: Staff) -> CaseOut:
    with domain_errors(), parts.sessions() as session:
        return CaseOut.model_validate(service.get(session, case_id=case_id, viewer=user))


@router.patch("/cases/{case_id}")
def update_case(case_id: RowId, body: CasePatch, parts: PartsDep, user: Staff) -> CaseOut:
    with domain_errors(), transaction(parts.sessions) as session:
        case = service.get(session, case_id=case_id, viewer=user)
        return CaseOut.model_validate(service.update(session, case=case, status=body.status, notes=body.notes))


@router.post("/cases/{case_id}/consents", status_code=201)
def record_consent(case_id: RowId, body: ConsentIn, parts: PartsDep, user: Staff) -> CaseOut:
    """Record that the citizen agreed to the registry being asked (needed before any request)."""
    with domain_errors(), transaction(parts.sessions) as session:
        case = service.get(session, case_id=case_id, viewer=user)
        service.record_consent(session, case=case, basis=body.basis, reference=body.reference, by=user)
        return CaseOut.model_validate(case)


@router.post("/cases/{case_id}/requests", status_code=202)
def request_certificate(case_id: RowId, body: RequestIn, parts: PartsDep, user: Staff) -> JobOut:
    """Ask the registry for the citizen's residence certificate; the answer comes in the background.

    Asking again while the same request is on its way returns that request instead of a second one."""
    with domain_errors(), transaction(parts.sessions) as session:
        case = service.get(session, case_id=case_id, viewer=user)
        job = service.request_certificate(session, case=case, purpose=body.purpose, by=user)
        out = _job_out(job, None)
    if parts.registry is not None:
        parts.registry.wake()
    return out


@router.get("/cases/{case_id}/requests")
def list_requests(case_id: RowId, parts: PartsDep, user: Staff) -> list[JobOut]:
    """The case's certificate requests and their states (poll this to follow them live)."""
    with domain_errors(), parts.sessions() as session:
        service.get(session, case_id=case_id, viewer=user)
        return jobs_out(session, case_id)


@router.get("/certificates/{certificate_id}")
def get_certificate(certificate_id: RowId, parts: PartsDep, user: Staff) -> CertificateOut:
    with domain_errors(), parts.sessions() as session:
        _, certificate = service.get_certificate(session, certificate_id=certificate_id, viewer=user)
        return CertificateOut.model_validate(certificate)


@router.get("/audit")
def read_audit(
    parts: PartsDep,
    user: Staff,
    case_id: RowId | None = None,
    before: RowId | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditOut]:
    """Every call to the registry, newest first: admins read all, operators those of their own cases."""
    with parts.sessions() as session:
        rows = service.audit(session, viewer=user, case_id=case_id, before=before, limit=limit)
        return [AuditOut.model_validate(row) for row in rows]
