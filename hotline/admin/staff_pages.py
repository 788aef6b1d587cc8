"""Staff accounts: add operators and admins, set their skills, languages and phone, reset passwords."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from hotline.admin import drafts, staff
from hotline.admin.errors import AdminError
from hotline.admin.staff import Profile
from hotline.admin.web import AdminUser, done, page, pages
from hotline.db import RowId, transaction
from hotline.deps import PartsDep, session_memory
from hotline.pages import staff_lang
from hotline.users import Role
from intents.tree import LANGUAGES

Name = Annotated[str, Form(max_length=120)]
Many = Annotated[list[str], Form(max_length=40)]
Phone = Annotated[str, Form(max_length=32)]
Chats = Annotated[int, Form()]  # checked by staff._clean, which says what is allowed
Calls = Annotated[int, Form()]


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise AdminError("bad_role", "the role is admin, operator or supervisor") from None


@pages.get("/users", response_class=HTMLResponse)
def users_page(request: Request, parts: PartsDep, user: AdminUser) -> Response:
    with parts.sessions() as session:
        people = staff.all_users(session)
        tree = drafts.published(session)
    skills = staff.queues(tree, (s for p in people for s in p.skills))
    titles = staff.queue_titles(tree, staff_lang(request))
    context = {"people": people, "skills": skills, "titles": titles, "languages": LANGUAGES, "roles": list(Role)}
    return page(request, user, "admin_users.html", context)


@pages.post("/users")
def add_user(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[str, Form(max_length=16)],
    display_name: Name = "",
    skills: Many = [],  # noqa: B006  (FastAPI copies form defaults)
    languages: Many = [],  # noqa: B006
    phone: Phone = "",
    capacity_chats: Chats = 3,
    capacity_calls: Calls = 1,
) -> Response:
    profile = Profile(display_name, _role(role), skills, languages, phone, True, capacity_chats, capacity_calls)
    with transaction(parts.sessions) as session:
        staff.create(session, actor=user, username=username, password=password, profile=profile)
    return done(request, "/admin/users", "user_added", username=username.strip())


@pages.post("/users/{user_id}")
def update_user(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    user_id: RowId,
    role: Annotated[str, Form(max_length=16)],
    display_name: Name = "",
    skills: Many = [],  # noqa: B006
    languages: Many = [],  # noqa: B006
    phone: Phone = "",
    active: Annotated[bool, Form()] = False,
    capacity_chats: Chats = 3,
    capacity_calls: Calls = 1,
) -> Response:
    profile = Profile(display_name, _role(role), skills, languages, phone, active, capacity_chats, capacity_calls)
    with transaction(parts.sessions) as session:
        changed = staff.update(session, actor=user, user_id=user_id, profile=profile)
    session_memory(parts).forget_user(user_id)  # a new role, or deactivated: not as remembered for an outage
    return done(request, "/admin/users", "user_saved", username=changed.username)


@pages.post("/users/{user_id}/password")
def reset_password(
    request: Request, parts: PartsDep, user: AdminUser, user_id: RowId, password: Annotated[str, Form(max_length=256)]
) -> Response:
    with transaction(parts.sessions) as session:
        changed = staff.reset_password(session, actor=user, user_id=user_id, password=password)
    session_memory(parts).forget_user(user_id)
    return done(request, "/admin/users", "password_reset", username=changed.username)
