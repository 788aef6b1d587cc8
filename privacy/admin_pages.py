"""`/admin/privacy`: how long each kind of personal data is kept (and what the last run gave up), and the
citizen's rights: find one citizen's conversations, cases and voice messages, export them, erase them.

The search is a form post, not a query string, so a phone number never lands in a URL (browser
history, proxies, the access log)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from hotline.admin.errors import AdminError
from hotline.admin.web import AdminUser, done, page, pages
from hotline.db import transaction, utcnow
from hotline.deps import Parts, PartsDep
from hotline.pages import staff_lang
from privacy import export, retention, subject
from specialist_queue.follow import Recordings

Text = Annotated[str, Form(max_length=64)]
Days = Annotated[int, Form(ge=retention.MIN_DAYS, le=retention.MAX_DAYS)]
MIN_REASON = 10
_FIELD = ("phone", "user", "case")


def _context(session: Session) -> dict[str, object]:
    last_at, last = retention.last_run(session)
    return {"periods": retention.periods(session), "last_at": last_at, "last": last, "found": None, "key": None}


@pages.get("/privacy", response_class=HTMLResponse)
def privacy_page(request: Request, parts: PartsDep, user: AdminUser) -> Response:
    with transaction(parts.sessions) as session:
        context = _context(session)
    return page(request, user, "admin_privacy.html", context)


@pages.post("/privacy/retention")
def save_periods(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    conversations: Days,
    transcripts: Days,
    recordings: Days,
    certificates: Days,
    audit: Days,
) -> Response:
    chosen = retention.Periods(conversations, transcripts, recordings, certificates, audit)
    with transaction(parts.sessions) as session:
        retention.save(session, chosen=chosen, by=user)
    return done(request, "/admin/privacy", "retention_saved")


def _key(phone: str = "", user: str = "", case: str = "") -> subject.Key:
    try:
        return subject.key(phone=phone, user=user, case=case)
    except subject.BadKey as exc:
        raise AdminError("citizen_key", str(exc)) from None


@pages.post("/privacy/citizen", response_class=HTMLResponse)
def find_citizen(
    request: Request, parts: PartsDep, user: AdminUser, phone: Text = "", messenger: Text = "", case: Text = ""
) -> Response:
    search = _key(phone, messenger, case)
    with transaction(parts.sessions) as session:
        context = _context(session)
        found = subject.find(session, search)
    return page(request, user, "admin_privacy.html", {**context, "found": found, "key": search})


@pages.post("/privacy/citizen/export")
def export_citizen(request: Request, parts: PartsDep, user: AdminUser, kind: Text, value: Text) -> Response:
    search = _key(**{kind: value}) if kind in _FIELD else _key()
    now = utcnow()
    with parts.sessions() as session:
        found = subject.find(session, search)
        text = export.readable(session, found, lang=staff_lang(request), timezone=parts.settings.timezone, now=now)
    subject.record_export(parts.sessions, found, by=user)
    name = f"hotline-citizen-{now:%Y%m%d-%H%M}.txt"
    return Response(
        text, media_type="text/plain; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@pages.post("/privacy/citizen/erase")
async def erase_citizen(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    kind: Text,
    value: Text,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    if len(reason.strip()) < MIN_REASON:
        raise AdminError("erase_reason", "say why the data is erased (at least 10 characters)", min=MIN_REASON)
    search = _key(**{kind: value}) if kind in _FIELD else _key()
    try:
        outcome = await subject.erase(
            parts.sessions, search, by=user, reason=reason.strip(), delete_recording=_twilio_delete(parts)
        )
    except RuntimeError:
        raise AdminError("erase_twilio", "voice messages need Twilio's REST API to be erased") from None
    return done(request, "/admin/privacy", "citizen_erased", **outcome)


def _twilio_delete(parts: Parts) -> subject.DeleteRecording | None:
    kept = parts.channels.find_part(Recordings)  # where the channels keep voice messages (Twilio: the phone's)
    return kept.delete_recording if kept else None
