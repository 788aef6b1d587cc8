"""Admin web plumbing: who gets in, how pages render and refusals read, where the static files are.

Every admin route sits on one of the two routers made here, so none can forget the role check or
the CSRF check: pages under `/admin`, JSON under `/api/admin`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from hotline.admin import audit_view
from hotline.admin.drafts import MatcherCache
from hotline.admin.errors import AdminError
from hotline.admin.recent import Recent
from hotline.admin.stats import Counts, aware
from hotline.admin.texts import TEXTS, problem_text, say, version_note
from hotline.csrf import csrf_token, verify_csrf
from hotline.deps import PartsDep, StaffUser, current_user
from hotline.pages import refused, render, staff_lang
from hotline.static_files import VersionedStatic
from hotline.users import Role

STATIC = Path(__file__).parent / "static"
FLASH = "admin_flash"
COUNTS_SECONDS = 60.0  # how old the statistics page's figures may be
# Admin pages load only their own script and styles, and may not be framed (clickjacking).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class PageRefused(Exception):
    """A page request without a login (401: go and log in) or by a non-admin (403)."""

    def __init__(self, status_code: int, path: str) -> None:
        super().__init__(path)
        self.status_code = status_code
        self.path = path


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def admin_user(request: Request, parts: PartsDep) -> StaffUser:
    """The logged-in admin; pages send strangers to the login form, the API answers 401 or 403."""
    try:
        user = current_user(request, parts)
    except HTTPException:
        if _is_page(request):
            # After logging in again, a form's sender comes back to the page it was on.
            raise PageRefused(401, request.url.path if request.method == "GET" else _back(request)) from None
        raise
    if user.role is not Role.ADMIN:
        if _is_page(request):
            raise PageRefused(403, request.url.path)
        raise HTTPException(status_code=403, detail="only admins may use this")
    return user


AdminUser = Annotated[StaffUser, Depends(admin_user)]
_GUARDS = [Depends(admin_user), Depends(verify_csrf)]  # the role first: an operator gets 403 either way

pages = APIRouter(prefix="/admin", include_in_schema=False, dependencies=_GUARDS)
api = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=_GUARDS)


def matchers(request: Request) -> MatcherCache:
    cache: MatcherCache = request.app.state.admin_matchers
    return cache


Matchers = Annotated[MatcherCache, Depends(matchers)]


def recent_counts(request: Request) -> Recent[Counts]:
    recent: Recent[Counts] = request.app.state.admin_counts
    return recent


RecentCounts = Annotated[Recent[Counts], Depends(recent_counts)]


def page(request: Request, user: StaffUser, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """An admin page: the layout's menu, the CSRF token, the message left by the last change."""
    zone = ZoneInfo(request.app.state.parts.settings.timezone)
    base = {
        **_helpers(request),
        "user": user,
        "csrf": csrf_token(request),
        "flash": request.session.pop(FLASH, None),
        "path": request.url.path,
        "when": lambda at: aware(at).astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else "",
    }
    return _render(request, name, {**base, **context}, status_code)


def _helpers(request: Request) -> dict[str, Any]:
    """Template functions that speak the page's language."""
    lang = staff_lang(request)
    return {
        "say": lambda code, **params: say(code, lang, **params),
        "channel": lambda name: request.app.state.parts.channels.label(name, lang),  # as the registry names it
        "problem": lambda problem: problem_text(problem, lang),
        "audit_line": lambda entry: audit_view.describe(entry, lang),
        "version_note": lambda note: version_note(note or "", lang),
    }


def _render(request: Request, name: str, context: dict[str, Any], status_code: int) -> Response:
    response = render(request, name, context, status_code=status_code, texts=TEXTS)
    response.headers.update(SECURITY_HEADERS)
    return response


async def complete_form(request: Request, *names: str) -> FormData:
    """The posted form, refused when a field its page always sends is missing: a post with none of them
    (only the CSRF token) must not close the office or blank a text. An empty field is a choice; an
    absent one is not."""
    form = await request.form()
    if missing := [name for name in names if name not in form]:
        raise AdminError("incomplete_form", f"the form is missing {', '.join(missing)}", field=missing[0])
    return form


def done(request: Request, to: str, code: str, **params: str | int) -> RedirectResponse:
    """After a change: back to a page (only our own), which then says `code` once."""
    request.session[FLASH] = {"code": code, "params": params}
    return RedirectResponse(to if to.startswith("/admin") else "/admin", status_code=303)


def install(app: FastAPI) -> None:
    """Add the admin routes, static files and error pages to the app."""
    # Importing the page modules puts their routes on the two routers.
    from hotline.admin import (  # noqa: F401
        home,
        office_pages,
        pronunciation_pages,
        quality_pages,
        screening_pages,
        staff_pages,
        stats_pages,
        tree_pages,
        viber_pages,
    )
    from privacy import admin_pages  # noqa: F401
    from selfservice import admin_pages as selfservice_pages  # noqa: F401
    from specialist_queue import canned_pages  # noqa: F401

    app.state.admin_matchers = MatcherCache()
    app.state.admin_counts = Recent[Counts](seconds=COUNTS_SECONDS)
    app.include_router(pages)
    app.include_router(api)
    app.mount("/admin/static", VersionedStatic(STATIC), name="admin_static")
    app.add_exception_handler(PageRefused, _refused)  # type: ignore[arg-type]
    app.add_exception_handler(AdminError, _admin_error)  # type: ignore[arg-type]


async def _refused(request: Request, exc: PageRefused) -> Response:
    if exc.status_code == 401:
        return RedirectResponse(f"/login?next={quote(exc.path)}", status_code=303)
    # As every staff page refuses a role (`hotline.pages.staff_user`); only admins get in, so home is the console.
    links = [("/operator", "refused_home"), (f"/login?next={quote(exc.path)}", "refused_other_user")]
    return refused(request, 403, "refused_role", links=links)


async def _admin_error(request: Request, exc: AdminError) -> Response:
    """A refused change: JSON for the API, a page saying why (and a way back) for forms."""
    lang = staff_lang(request)
    text = say(exc.code, lang, **exc.params)
    if not _is_page(request):
        body = {"message": str(exc), "code": exc.code, "text": text, "detail": exc.params}
        return JSONResponse(status_code=exc.status_code, content=body)
    context = {
        **_helpers(request),
        "user": None,
        "error": text,
        "problems": getattr(exc, "problems", []),
        "back": _back(request),
        "lang_path": urlsplit(_back(request)).path,
    }
    return _render(request, "admin_error.html", context, exc.status_code)


def _back(request: Request) -> str:
    """Where the form came from, if it was one of our pages."""
    referer = request.headers.get("referer", "")
    origin = str(request.base_url).rstrip("/")
    path = referer.removeprefix(origin) if referer.startswith(origin) else ""
    return path if path.startswith("/admin") else "/admin"
