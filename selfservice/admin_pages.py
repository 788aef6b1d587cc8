"""Admin pages of self-service: `/admin/notices` (the emergency notice) and `/admin/announcements` (topics,
subscribers, announcements with their preview, progress and cancelling). Admins only, CSRF-checked and
audited, like every page on `hotline.admin.web`'s routers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from hotline.admin.errors import AdminError, NotFound
from hotline.admin.web import AdminUser, api, done, page, pages
from hotline.db import RowId, transaction, utcnow
from hotline.deps import Parts, PartsDep
from hotline.pages import staff_lang
from selfservice import announcements, notices, topics
from selfservice.channels import preview

NoticeText = Annotated[str, Form(max_length=notices.MAX_TEXT * 2)]
AnnouncementText = Annotated[str, Form(max_length=announcements.MAX_TEXT * 2)]
When = Annotated[str, Form(max_length=32)]
Title = Annotated[str, Form(max_length=topics.MAX_TITLE * 2)]


def _zone(parts: Parts) -> ZoneInfo:
    return ZoneInfo(parts.settings.timezone)


def _moment(parts: Parts, value: str) -> datetime | None:
    """A `datetime-local` field in the office's time zone, as UTC; None when left empty."""
    if not value.strip():
        return None
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError:
        raise AdminError("bad_datetime", f"{value!r} is not a date and time") from None
    return (local if local.tzinfo else local.replace(tzinfo=_zone(parts))).astimezone(UTC)


def _local(parts: Parts, at: datetime | None) -> str:
    """A moment as a `datetime-local` field shows it."""
    if at is None:
        return ""
    return announcements.aware(at).astimezone(_zone(parts)).strftime("%Y-%m-%dT%H:%M")


# ---- the emergency notice ------------------------------------------------------------------------


@pages.get("/notices", response_class=HTMLResponse)
def notices_page(request: Request, parts: PartsDep, user: AdminUser) -> Response:
    now = utcnow()
    with parts.sessions() as session:
        rows = notices.listed(session)
    listed = [
        {
            "notice": n,
            "state": "notice_active"
            if announcements.aware(n.starts_at) <= now < announcements.aware(n.ends_at)
            else ("notice_waiting" if announcements.aware(n.starts_at) > now else "notice_over"),
        }
        for n in rows
    ]
    context = {"notices": listed, "zone": parts.settings.timezone, "limit": notices.MAX_TEXT}
    return page(request, user, "admin_notices.html", context)


@pages.post("/notices")
def create_notice(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    text_uk: NoticeText = "",
    text_ru: NoticeText = "",
    ends: When = "",
    starts: When = "",
) -> Response:
    ends_at = _moment(parts, ends)
    if ends_at is None:
        raise AdminError("bad_datetime", "the notice needs an end")
    try:
        with transaction(parts.sessions) as session:
            starts_at = _moment(parts, starts) or utcnow()
            notices.create(session, text_uk=text_uk, text_ru=text_ru, starts_at=starts_at, ends_at=ends_at, by=user)
    except notices.BadNotice as exc:
        raise AdminError(exc.code, str(exc), limit=notices.MAX_TEXT) from None
    return done(request, "/admin/notices", "notice_saved")


@pages.post("/notices/{notice_id}/end")
def end_notice(request: Request, parts: PartsDep, user: AdminUser, notice_id: RowId) -> Response:
    try:
        with transaction(parts.sessions) as session:
            notices.end(session, notice_id=notice_id, by=user)
    except LookupError:
        raise NotFound("unknown_notice", f"there is no notice {notice_id}") from None
    return done(request, "/admin/notices", "notice_ended")


# ---- topics, subscribers, announcements ----------------------------------------------------------


def _announcements_context(parts: Parts) -> dict[str, Any]:
    with parts.sessions() as session:
        listed = announcements.listed(session)
        return {
            "topics": topics.listed(session),
            "subscriber_counts": topics.counts(session),
            "announcements": [(a, announcements.progress(session, announcement_id=a.id)) for a in listed],
            "zone": parts.settings.timezone,
            "limit": announcements.MAX_TEXT,
            "form": {},
            "preview": None,
        }


@pages.get("/announcements", response_class=HTMLResponse)
def announcements_page(request: Request, parts: PartsDep, user: AdminUser) -> Response:
    return page(request, user, "admin_announcements.html", _announcements_context(parts))


@pages.post("/topics")
def create_topic(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    slug: Annotated[str, Form(max_length=40)] = "",
    title_uk: Title = "",
    title_ru: Title = "",
) -> Response:
    try:
        with transaction(parts.sessions) as session:
            topics.create(session, slug=slug.strip(), title_uk=title_uk, title_ru=title_ru, by=user)
    except topics.BadTopic as exc:
        raise AdminError(exc.code, str(exc)) from None
    return done(request, "/admin/announcements", "topic_saved")


@pages.post("/topics/{topic_id}")
def update_topic(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    topic_id: RowId,
    title_uk: Title = "",
    title_ru: Title = "",
    active: Annotated[bool, Form()] = False,
) -> Response:
    try:
        with transaction(parts.sessions) as session:
            topics.update(session, topic_id=topic_id, title_uk=title_uk, title_ru=title_ru, active=active, by=user)
    except topics.BadTopic as exc:
        raise AdminError(exc.code, str(exc)) from None
    except LookupError:
        raise NotFound("unknown_topic", f"there is no topic {topic_id}") from None
    return done(request, "/admin/announcements", "topic_saved")


@pages.post("/announcements", response_class=HTMLResponse)
def create_announcement(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    topic_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    action: Annotated[str, Form(pattern="^(preview|send)$")],
    text_uk: AnnouncementText = "",
    text_ru: AnnouncementText = "",
    when: Annotated[str, Form(pattern="^(now|at)$")] = "now",
    send_at: When = "",
) -> Response:
    """Preview (nothing is saved: the page again, with each channel's message) or send now or at a time."""
    at = _moment(parts, send_at) if when == "at" else None
    if when == "at" and at is None:
        raise AdminError("bad_datetime", "a time to send is needed")
    if action == "preview":
        context = _announcements_context(parts)
        with parts.sessions() as session:
            topic = topics.get(session, topic_id=topic_id)
            reach = {c.channel: 0 for c in topics.counts(session)}
            for count in topics.counts(session):
                if topic is not None and count.topic == topic.slug:
                    reach[count.channel] += count.subscribers
        texts = {"uk": text_uk.strip(), "ru": text_ru.strip()}
        shown = preview(texts, registry=parts.channels, lang=staff_lang(request))
        form = {"topic_id": topic_id, "text_uk": text_uk, "text_ru": text_ru, "when": when, "send_at": send_at}
        context.update(form=form, preview=shown, reach=sum(reach.values()))
        return page(request, user, "admin_announcements.html", context)
    try:
        with transaction(parts.sessions) as session:
            created = announcements.create(
                session, topic_id=topic_id, text_uk=text_uk, text_ru=text_ru, send_at=at, by=user
            )
            announcement_id = created.id
    except announcements.BadAnnouncement as exc:
        raise AdminError(exc.code, str(exc), limit=announcements.MAX_TEXT) from None
    return done(request, f"/admin/announcements/{announcement_id}", "announcement_saved")


@pages.get("/announcements/{announcement_id}", response_class=HTMLResponse)
def announcement_page(request: Request, parts: PartsDep, user: AdminUser, announcement_id: RowId) -> Response:
    with parts.sessions() as session:
        found = announcements.get(session, announcement_id=announcement_id)
        if found is None:
            raise NotFound("unknown_announcement", f"there is no announcement {announcement_id}")
        topic = topics.get(session, topic_id=found.topic_id)
        progress = announcements.progress(session, announcement_id=announcement_id)
    context = {"a": found, "topic": topic, "progress": progress}
    return page(request, user, "admin_announcement.html", context)


@pages.post("/announcements/{announcement_id}/cancel")
def cancel_announcement(request: Request, parts: PartsDep, user: AdminUser, announcement_id: RowId) -> Response:
    try:
        with transaction(parts.sessions) as session:
            announcements.cancel(session, announcement_id=announcement_id, by=user)
    except LookupError:
        raise NotFound("unknown_announcement", f"there is no announcement {announcement_id}") from None
    except announcements.BadAnnouncement as exc:
        raise AdminError(exc.code, str(exc)) from None
    return done(request, f"/admin/announcements/{announcement_id}", "announcement_cancelled_done")


@api.get("/announcements/{announcement_id}")
def announcement_progress(parts: PartsDep, announcement_id: RowId) -> dict[str, Any]:
    """Where an announcement's sending stands (the page's progress bar follows it)."""
    with parts.sessions() as session:
        found = announcements.get(session, announcement_id=announcement_id)
        if found is None:
            raise NotFound("unknown_announcement", f"there is no announcement {announcement_id}")
        progress = announcements.progress(session, announcement_id=announcement_id)
    return {
        "id": found.id,
        "state": found.state,
        "total": progress.total,
        "sent": progress.sent,
        "failed": progress.failed,
        "gone": progress.gone,
        "waiting": progress.waiting,
        "cancelled": progress.cancelled,
        "percent": progress.percent,
    }
