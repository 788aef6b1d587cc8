"""Staff accounts as admins manage them: roles, skills and languages (what the specialist queue
routes by), phone, active or not, and password resets. Every change is audited; passwords never
appear in the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline import staff_sessions, users
from hotline.admin import audit
from hotline.admin.errors import AdminError, NotFound
from hotline.admin.texts import say
from hotline.users import Role, User
from intents.pack import SLUG
from intents.tree import LANGUAGES, NodeKind, Tree

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
PHONE = re.compile(r"^\+?[0-9]{5,15}$")
MAX_SKILLS = 30
MAX_CHATS = 10  # conversations at once an operator can follow; a call in progress takes no other call
# Queues the engine uses besides the top categories (intents/engine.py: emergency and fallback).
ENGINE_QUEUES = ("crisis", "general")


class StaffError(AdminError):
    pass


@dataclass(frozen=True)
class Profile:
    """What the user form sets besides the username and the password."""

    display_name: str
    role: Role
    skills: Sequence[str] = ()
    languages: Sequence[str] = ()
    phone: str = ""
    active: bool = True
    capacity_chats: int = 3
    capacity_calls: int = 1


def queues(tree: Tree | None, skills_in_use: Iterable[str]) -> list[str]:
    """The queues conversations can be routed to, as skills and handoff targets: the top categories,
    the engine's own, then the queues intents name and the skills operators already have."""
    categories = [n.slug for n in tree.nodes if n.kind is NodeKind.CATEGORY] if tree else []
    named = {n.queue for n, _ in tree.walk() if n.queue} if tree else set()
    known = {*categories, *ENGINE_QUEUES}
    return [*categories, *ENGINE_QUEUES, *sorted((named | set(skills_in_use)) - known)]


def queue_titles(tree: Tree | None, lang: str) -> dict[str, str]:
    """What the office calls each queue: the category's title, the engine queue's name, or (a queue an
    intent names, e.g. `complaints`) the title of the first intent that names it."""
    titles = {q: say(f"queue_{q}", lang) for q in ENGINE_QUEUES}
    if tree:
        for node, _ in reversed(list(tree.walk())):
            if node.queue:
                titles[node.queue] = node.text(lang).title
        titles.update({n.slug: n.text(lang).title for n in tree.nodes})
    return titles


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def _clean(profile: Profile) -> dict[str, Any]:
    skills = sorted({s.strip() for s in profile.skills if s.strip()})
    if len(skills) > MAX_SKILLS or not all(SLUG.match(s) for s in skills):
        raise StaffError("bad_skills", "skills are queue names: lower-case latin letters, digits and _")
    languages = [lang for lang in LANGUAGES if lang in set(profile.languages)]
    if len(languages) != len(set(profile.languages)):
        raise StaffError("bad_lang", f"the languages are {', '.join(LANGUAGES)}")
    phone = re.sub(r"[\s()\-]", "", profile.phone)
    if phone and not PHONE.match(phone):
        raise StaffError("bad_phone", "a phone number is digits with an optional + in front (5 to 15 digits)")
    if not (0 <= profile.capacity_chats <= MAX_CHATS and profile.capacity_calls in (0, 1)):
        raise StaffError("bad_capacity", "chats at once: 0 to 10; calls at once: 0 or 1", most=MAX_CHATS)
    name = " ".join(profile.display_name.split())[:120]
    return {
        "display_name": name,
        "role": profile.role.value,
        "skills": skills,
        "languages": languages,
        "phone": phone or None,
        "is_active": profile.active,
        "capacity_chats": profile.capacity_chats,
        "capacity_calls": profile.capacity_calls,
    }


def create(session: Session, *, actor: audit.Actor, username: str, password: str, profile: Profile) -> User:
    username = username.strip()
    if not USERNAME.match(username):
        raise StaffError("bad_username", "a username is 2 to 64 latin letters, digits, '.', '_' or '-'")
    values = _clean(profile)
    try:
        user = users.create(session, username=username, password=password, role=profile.role)
    except users.UserExists:
        raise StaffError("user_exists", f"user {username!r} exists", username=username) from None
    except ValueError:
        raise StaffError("short_password", "the password is too short", min=users.MIN_PASSWORD) from None
    for name, value in values.items():
        setattr(user, name, value)
    user.display_name = user.display_name or username
    session.flush()
    audit.record(session, actor=actor, action="user.create", target=username, detail={"set": values})
    return user


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("unknown_user", f"there is no user {user_id}")
    return user


def _other_active_admins(session: Session, user_id: int) -> int:
    query = select(func.count()).where(User.role == Role.ADMIN.value, User.is_active, User.id != user_id)
    return session.scalar(query) or 0


def update(session: Session, *, actor: audit.Actor, user_id: int, profile: Profile) -> User:
    """Change a user's profile; the last active admin cannot be demoted or deactivated."""
    user = _get(session, user_id)
    values = _clean(profile)
    stays_admin = values["role"] == Role.ADMIN.value and values["is_active"]
    if user.role == Role.ADMIN.value and not stays_admin and _other_active_admins(session, user.id) == 0:
        raise StaffError("last_admin", "the line needs at least one active admin")
    if user.id == actor.id and not values["is_active"]:
        raise StaffError("not_yourself", "you cannot deactivate your own account")
    changes = {k: [getattr(user, k), v] for k, v in values.items() if getattr(user, k) != v}
    for name, value in values.items():
        setattr(user, name, value)
    if changes:
        audit.record(session, actor=actor, action="user.update", target=user.username, detail={"changes": changes})
    return user


def reset_password(session: Session, *, actor: audit.Actor, user_id: int, password: str) -> User:
    user = _get(session, user_id)
    try:
        users.set_password(user, password)
    except ValueError:
        raise StaffError("short_password", "the password is too short", min=users.MIN_PASSWORD) from None
    staff_sessions.close_all(session, user_id=user.id)  # whoever held the old password is logged out
    audit.record(session, actor=actor, action="user.password_reset", target=user.username)
    return user
