"""Staff login with a signed session cookie; `/api/me` tells who is logged in.

The login form carries a CSRF token like every staff form. Failed logins are counted in Redis per
username and per client address: past a few free tries each further try must wait, twice as long
each time, and while it waits even the right password is refused, so guessing gets nowhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

import redis
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hotline import users
from hotline.csrf import csrf_token, verify_csrf
from hotline.db import transaction, utcnow
from hotline.deps import CurrentUser, Parts, PartsDep
from hotline.pages import render
from hotline.users import Role

router = APIRouter(tags=["staff"])

FREE_TRIES_PER_USER = 5
FREE_TRIES_PER_ADDRESS = 20  # an office behind one NAT address shares it
FAILURE_WINDOW_SECONDS = 15 * 60  # failures older than this (since the last one) are forgotten
MAX_WAIT_SECONDS = 15 * 60


class LoginThrottle:
    """Counts failed logins in Redis and says how long the next try must wait."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}:login"

    def _subjects(self, username: str, address: str) -> list[tuple[str, int]]:
        return [
            (f"{self.prefix}:user:{username.casefold()}", FREE_TRIES_PER_USER),
            (f"{self.prefix}:ip:{address}", FREE_TRIES_PER_ADDRESS),
        ]

    def wait_seconds(self, username: str, address: str) -> int:
        """0 when a try is allowed now; else how many seconds until it is."""
        pipe = self.client.pipeline(transaction=False)
        for key, _ in self._subjects(username, address):
            pipe.pttl(f"{key}:wait")
        waits = [int(ms) for ms in pipe.execute()]
        return math.ceil(max(0, *waits) / 1000)

    def failed(self, username: str, address: str) -> None:
        for key, free in self._subjects(username, address):
            pipe = self.client.pipeline()
            pipe.incr(f"{key}:failures")
            pipe.expire(f"{key}:failures", FAILURE_WINDOW_SECONDS)
            failures = int(pipe.execute()[0])
            if failures > free:
                self.client.set(f"{key}:wait", 1, ex=min(2 ** (failures - free), MAX_WAIT_SECONDS))

    def succeeded(self, username: str) -> None:
        key = f"{self.prefix}:user:{username.casefold()}"
        self.client.delete(f"{key}:failures", f"{key}:wait")


def _home(role: Role) -> str:
    return "/admin" if role is Role.ADMIN else "/operator"


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
    user: tuple[int, Role] | None = None
    wait: int = 0


def _try_login(parts: Parts, username: str, password: str, address: str) -> _Attempt:
    """Check the throttle, then the password (blocking work: argon2, SQL and Redis)."""
    throttle = LoginThrottle(parts.redis.client, parts.settings.redis_prefix)
    if wait := throttle.wait_seconds(username, address):
        return _Attempt(wait=wait)
    with transaction(parts.sessions) as session:
        user = users.authenticate(session, username=username, password=password)
        found = (user.id, Role(user.role)) if user else None
    if found is None:
        throttle.failed(username, address)
    else:
        throttle.succeeded(username)
    return _Attempt(user=found)


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
    if attempt.user is None:
        return _form(request, next, "wrong_credentials", username, status_code=401)
    request.session.clear()  # a fresh session (and CSRF token) for the logged-in user
    request.session["user_id"] = attempt.user[0]
    request.session["login_at"] = utcnow().timestamp()
    return RedirectResponse(_safe_next(next) or _home(attempt.user[1]), status_code=303)


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    """End the session; only the session's own pages may (CSRF), so no other site can log staff out."""
    if request.session.get("user_id") is not None:
        await verify_csrf(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/api/me")
def me(user: CurrentUser) -> dict[str, str | int]:
    return {"id": user.id, "username": user.username, "role": user.role.value}
