"""The admin start page (what is published, what is pending, how the last week went) and the audit log."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from hotline.admin import audit, drafts, stats
from hotline.admin.web import AdminUser, page, pages
from hotline.db import utcnow
from hotline.deps import PartsDep
from intents import versions
from intents.models import TreeVersion
from specialist_queue import shift

WEEK = 7


@pages.get("", response_class=HTMLResponse)
def dashboard(request: Request, parts: PartsDep, user: AdminUser) -> Response:
    settings = parts.settings
    today = stats.today(settings.timezone)
    period = stats.Period(today - timedelta(days=WEEK - 1), today, settings.timezone)
    with parts.sessions() as session:
        version_id = versions.current_version_id(session)
        version = session.get(TreeVersion, version_id) if version_id else None
        tree = versions.to_tree(version) if version else None
        pending = len(drafts.unpublished(session)) if versions.get_draft(session) else 0
        week = stats.report(
            session, period, threshold=parts.office.policy().service_level_seconds, unmatched_limit=5, intents_limit=5
        )
        recent = audit.recent(session, limit=10)
    hours = parts.office_hours()
    now = utcnow()
    context = {
        "version": version,
        "tree": tree,
        "pending": pending,
        "week": week,
        "total": week.total(),
        "recent": recent,
        "open_now": hours.is_open(now),
        "next_opening": None if hours.is_open(now) or not hours.week else hours.next_opening(now),
        "shift": shift.now(parts.specialists.queue if parts.specialists else None),
    }
    return page(request, user, "admin_home.html", context)


@pages.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request, parts: PartsDep, user: AdminUser, before: int | None = None, action: str = ""
) -> Response:
    with parts.sessions() as session:
        entries = audit.recent(session, limit=100, before=before, action=action[:64])
    older = entries[-1].id if len(entries) == 100 else None
    return page(request, user, "admin_audit.html", {"entries": entries, "older": older, "action": action[:64]})
