"""Staff login and logout; `/api/me` tells who is logged in.

The login form carries a CSRF token like every staff form. Failed logins make further tries wait
(`hotline.login_throttle`); a successful one opens a session kept on the server
(`hotline.staff_sessions`) whose token goes into the signed session cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hotline import staff_sessions, users
from hotline.csrf import csrf_token, verify_csrf
from hotline.db import transaction
from hotline.deps import SESSION_TOKEN, CurrentUser, Parts, PartsDep, session_memory
from hotline.login_throttle import LoginThrottle
from hotline.pages import home_of, render
from hotline.users import Role

router = APIRouter(tags=["staff"])


def _safe_next(target: str | None) -> str | None:
    """Only local paths, so the login form cannot be used to send people elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


def _form(request: Request, next: str, error: str = "", username: str = "", status_code: int = 200) -> Response:
    context = {"next": _safe_next(next) or "", "error": error, "username": username, "csrf": csrf_token(request)}
    return render(request, "login.html", context, status_code=status_code)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return _form(request, next or "")


@dataclass(frozen=True)
class _Attempt:
    role: Role | None = None
    token: str = ""  # the new staff session's, when the password was right
    wait: int = 0


def _try_login(parts: Parts, username: str, password: str, address: str) -> _Attempt:
    """Check the throttle, then the password (blocking work: argon2, SQL and Redis)."""
    throttle = LoginThrottle(parts.redis.client, parts.settings.redis_prefix)
    if wait := throttle.wait_seconds(username, address):
        return _Attempt(wait=wait)
    with transaction(parts.sessions) as session:
        user = users.authenticate(session, username=username, password=password)
        if user is not None:
            age = parts.settings.session_max_age_seconds
            token = staff_sessions.open_session(session, user_id=user.id, max_age_seconds=age)
            found = _Attempt(Role(user.role), token)
    if user is None:
        throttle.failed(username, address)
        return _Attempt()
    throttle.succeeded(username, address)
    return found


@router.post("/login", response_model=None)
async def login(
    request: Request,
    parts: PartsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        await verify_csrf(request)
    except HTTPException:
        return _form(request, next, "form_expired", username, status_code=403)
    address = request.client.host if request.client else "unknown"
    attempt = await run_in_threadpool(_try_login, parts, username.strip(), password, address)
    if attempt.wait:
        response = _form(request, next, "too_many_attempts", username, status_code=429)
        response.headers["Retry-After"] = str(attempt.wait)
        return response
    if attempt.role is None:
        return _form(request, next, "wrong_credentials", username, status_code=401)
    request.session.clear()  # a fresh session (and CSRF token) for the logged-in user
    request.session[SESSION_TOKEN] = attempt.token
    return RedirectResponse(_safe_next(next) or home_of(attempt.role), status_code=303)


@router.post("/logout")
async def logout(request: Request, parts: PartsDep) -> RedirectResponse:
    """End the session, on the server too (a copy of the cookie opens nothing afterwards); only the
    session's own pages may (CSRF), so no other site can log staff out."""
    if isinstance(token := request.session.get(SESSION_TOKEN), str):
        await verify_csrf(request)
        await run_in_threadpool(_close, parts, token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _close(parts: Parts, token: str) -> None:
    session_memory(parts).forget(token)
    with transaction(parts.sessions) as session:
        staff_sessions.close(session, token=token)


@router.get("/api/me")
def me(user: CurrentUser) -> dict[str, str | int]:
    return {"id": user.id, "username": user.username, "role": user.role.value}
