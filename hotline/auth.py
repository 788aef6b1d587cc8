"""Staff login with a signed session cookie; `/api/me` tells who is logged in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hotline import users
from hotline.deps import CurrentUser, PartsDep
from hotline.pages import render
from hotline.users import Role

router = APIRouter(tags=["staff"])


def _home(role: Role) -> str:
    return "/admin" if role is Role.ADMIN else "/operator"


def _safe_next(target: str | None) -> str | None:
    """Only local paths, so the login form cannot be used to send people elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next) or "", "error": ""})


@router.post("/login", response_model=None)
def login(
    request: Request,
    parts: PartsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    with parts.sessions() as session, session.begin():
        user = users.authenticate(session, username=username.strip(), password=password)
        found = (user.id, Role(user.role)) if user else None
    if found is None:
        context = {"next": _safe_next(next) or "", "error": "wrong_credentials", "username": username}
        return render(request, "login.html", context, status_code=401)
    request.session.clear()
    request.session["user_id"] = found[0]
    return RedirectResponse(_safe_next(next) or _home(found[1]), status_code=303)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/api/me")
def me(user: CurrentUser) -> dict[str, str | int]:
    return {"id": user.id, "username": user.username, "role": user.role.value}
