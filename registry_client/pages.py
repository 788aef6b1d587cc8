"""The case pages under `/operator/cases` (server-rendered forms; only the request states update live).

The console links here with `/operator/cases/new?conversation=<id>` to open a case from a conversation.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from hotline.conversation_log import Conversation
from hotline.csrf import csrf_token, verify_csrf
from hotline.db import RowId, transaction, utcnow
from hotline.deps import Parts, PartsDep, StaffUser
from hotline.pages import render, staff_lang, staff_user
from hotline.users import SPECIALISTS
from registry_client import service
from registry_client.api import jobs_out
from registry_client.identifiers import IdKind, InvalidIdentifier
from registry_client.models import Case, Certificate
from registry_client.pdf import certificate_pdf, local_time
from registry_client.service import CaseKind, CaseStatus, ConsentBasis
from registry_client.states import ACTIVE, JobState
from registry_client.texts import DEFAULT_PURPOSE, translator

STATIC = Path(__file__).parent / "static"  # the case page's script (staff pages run no inline script: CSP)
router = APIRouter(prefix="/operator/cases", include_in_schema=False, dependencies=[Depends(verify_csrf)])
Text = Annotated[str, Form(max_length=5000)]


def _page(
    request: Request, parts: Parts, user: StaffUser, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    zone = ZoneInfo(parts.settings.timezone)
    lang = staff_lang(request)
    extra = {
        "user": user,
        "r": translator(lang),
        "csrf": csrf_token(request),
        "when": lambda moment: local_time(moment, zone),
        "kinds": list(CaseKind),
        "statuses": list(CaseStatus),
    }
    return render(request, name, {**context, **extra}, status_code=status_code)


def _choice(enum: Any, value: str) -> Any:
    try:
        return enum(value) if value else None
    except ValueError:
        return None


@router.get("", response_class=HTMLResponse)
def case_list(request: Request, parts: PartsDep, q: str = "", status: str = "", kind: str = "") -> Response:
    user = staff_user(request, parts, SPECIALISTS)
    if isinstance(user, Response):
        return user
    with parts.sessions() as session:
        cases = service.search(
            session, viewer=user, text=q[:100], status=_choice(CaseStatus, status), kind=_choice(CaseKind, kind)
        )
    context = {"cases": cases, "q": q[:100], "status": status, "kind": kind}
    return _page(request, parts, user, "cases_list.html", context)


@router.get("/new", response_class=HTMLResponse)
def new_case(request: Request, parts: PartsDep, conversation: str = "") -> Response:
    user = staff_user(request, parts, SPECIALISTS)
    if isinstance(user, Response):
        return user
    found = _conversation(parts, conversation)
    if conversation and found is None:
        raise HTTPException(status_code=404, detail=f"there is no conversation {conversation[:64]!r}")
    return _page(request, parts, user, "cases_new.html", {"conversation": found, "form": {}, "error": ""})


def _conversation(parts: Parts, conversation_id: str) -> Conversation | None:
    if not conversation_id:
        return None
    with parts.sessions() as session:
        return session.get(Conversation, conversation_id[:64])


@router.post("", response_class=HTMLResponse)
def create_case(
    request: Request,
    parts: PartsDep,
    kind: Annotated[str, Form(max_length=32)],
    full_name: Annotated[str, Form(max_length=200)],
    birth_date: Annotated[str, Form(max_length=10)],
    id_kind: Annotated[str, Form(max_length=16)],
    id_value: Annotated[str, Form(max_length=32)],
    notes: Text = "",
    conversation_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    user = staff_user(request, parts, SPECIALISTS)
    if isinstance(user, Response):
        return user
    form = {"kind": kind, "full_name": full_name, "birth_date": birth_date, "id_kind": id_kind, "id_value": id_value}
    error, born = _check_citizen(full_name, birth_date)
    if not error:
        try:
            with transaction(parts.sessions) as session:
                case = service.create(
                    session,
                    owner=user,
                    kind=_choice(CaseKind, kind) or CaseKind.OTHER,
                    full_name=full_name,
                    birth_date=born or date.min,
                    id_kind=_choice(IdKind, id_kind) or IdKind.RNOKPP,
                    id_value=id_value,
                    notes=notes,
                    conversation_id=conversation_id or None,
                )
            return RedirectResponse(f"/operator/cases/{case.id}", status_code=303)
        except InvalidIdentifier as exc:
            error = f"err.{exc.key}"
        except service.CaseNotFound:
            error = "err.conversation"
    context = {"conversation": _conversation(parts, conversation_id), "form": form | {"notes": notes}, "error": error}
    return _page(request, parts, user, "cases_new.html", context, status_code=422)


def _check_citizen(full_name: str, birth_date: str) -> tuple[str, date | None]:
    """The error text key for the form, if any, and the parsed date of birth."""
    if len(full_name.split()) < 2:
        return "err.full_name", None
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return "err.birth_date", None
    if not date(1900, 1, 1) <= born <= utcnow().date():
        return "err.birth_date", None
    return "", born


@router.get("/{case_id}", response_class=HTMLResponse)
def case_detail(request: Request, parts: PartsDep, case_id: RowId, error: str = "") -> Response:
    user = staff_user(request, parts, SPECIALISTS)
    if isinstance(user, Response):
        return user
    with parts.sessions() as session:
        case = _case(session, case_id, user)
        jobs = jobs_out(session, case_id)
        certificates = service.certificates_of(session, case_id=case_id)
    lang = staff_lang(request)
    labels = {state.value: translator(lang)(f"state.{state.value}") for state in JobState}
    context = {
        "case": case,
        "jobs": jobs,
        "active": [s.value for s in ACTIVE],
        "certificates": certificates,
        "labels": json.dumps(labels, ensure_ascii=False),
        "purpose": DEFAULT_PURPOSE.get(case.kind, ""),
        "registry_on": parts.registry is not None and parts.registry.client is not None,
        "error": error if error in _KNOWN_ERRORS else "",
    }
    return _page(request, parts, user, "cases_detail.html", context)


_KNOWN_ERRORS = {"err.purpose", "err.no_consent", "err.closed"}


def _case(session: Session, case_id: int, user: StaffUser) -> Case:
    try:
        return service.get(session, case_id=case_id, viewer=user)
    except service.CaseNotFound:
        raise HTTPException(status_code=404, detail=f"there is no case {case_id}") from None


@router.post("/{case_id}", response_class=HTMLResponse)
def update_case(
    request: Request, parts: PartsDep, case_id: RowId, status: Annotated[str, Form(max_length=16)], notes: Text = ""
) -> Response:
    user = staff_user(request, parts, SPECIALISTS)
    if isinstance(user, Response):
        return user
    with transaction(parts.sessions) as session:
        service.update(session, case=_case(session, case_id, user), status=_choice(CaseStatus, status), notes=notes)
    return RedirectResponse(f"/operator/cases/{case_id}", status_code=303)


@router.post("/{case_id}/consent", response_class=HTMLResponse)
def record_consent(
    request: Request,
    parts: PartsDep,
    case_id: RowId,
    basis: Annotated[str, Form(max_length=32)],
    reference: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    user = staff_user(request, parts, SPECIALISTS)
    if isinstance(user, Response):
        return user
    chosen = _choice(ConsentBasis, basis)
    if chosen is None:
        raise HTTPException(status_code=422, detail="choose how the consent was given")
    with transaction(parts.sessions) as session:
        service.record_consent(session, case=_case(session, case_id, user), basis=chosen, reference=reference, by=user)
    return RedirectResponse(f"/operator/cases/{case_id}", status_code=303)


@router.post("/{case_id}/requests", response_class=HTMLResponse)
def request_certificate(
    request: Request, parts: PartsDep, case_id: RowId, purpose: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    user = staff_user(request, parts, SPECIALISTS)
    if isinstance(user, Response):
        return user
    error = "err.purpose" if len(purpose.strip()) < 10 else ""
    if not error:
        try:
            with transaction(parts.sessions) as session:
                service.request_certificate(session, case=_case(session, case_id, user), purpose=purpose, by=user)
            if parts.registry is not None:
                parts.registry.wake()
        except service.NoConsent:
            error = "err.no_consent"
        except service.CaseClosed:
            error = "err.closed"
    suffix = f"?error={error}" if error else ""
    return RedirectResponse(f"/operator/cases/{case_id}{suffix}", status_code=303)


# Before the page route: its `{certificate_id}` would take "7.pdf" too.
@router.get("/{case_id}/certificates/{certificate_id}.pdf")
def certificate_file(request: Request, parts: PartsDep, case_id: RowId, certificate_id: RowId) -> Response:
    user = staff_user(request, parts, SPECIALISTS)
    if isinstance(user, Response):
        return user
    case, certificate = _certificate(parts, user, case_id, certificate_id)
    zone = ZoneInfo(parts.settings.timezone)
    content = certificate_pdf(case, certificate, lang=staff_lang(request), printed_at=utcnow(), zone=zone)
    name = f"{case.number}-certificate-{certificate.id}.pdf"
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


@router.get("/{case_id}/certificates/{certificate_id}", response_class=HTMLResponse)
def certificate_page(request: Request, parts: PartsDep, case_id: RowId, certificate_id: RowId) -> Response:
    user = staff_user(request, parts, SPECIALISTS)
    if isinstance(user, Response):
        return user
    case, certificate = _certificate(parts, user, case_id, certificate_id)
    return _page(request, parts, user, "cases_certificate.html", {"case": case, "certificate": certificate})


def _certificate(parts: Parts, user: StaffUser, case_id: int, certificate_id: int) -> tuple[Case, Certificate]:
    with parts.sessions() as session:
        try:
            case, certificate = service.get_certificate(session, certificate_id=certificate_id, viewer=user)
        except service.CaseNotFound:
            case = None
        if case is None or case.id != case_id:
            raise HTTPException(status_code=404, detail=f"there is no certificate {certificate_id} in case {case_id}")
        return case, certificate
