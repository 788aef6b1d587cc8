"""FastAPI dependencies: the app's parts from the lifespan state, and the logged-in staff user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from channels.dialogue import Dialogue
from hotline.office_hours import OfficeHours
from hotline.redis_conn import RedisHandle
from hotline.settings import Settings
from hotline.users import Role, User


@dataclass
class Parts:
    """What the lifespan builds once and every request shares."""

    settings: Settings
    sessions: sessionmaker[Session]
    redis: RedisHandle
    dialogue: Dialogue
    office_hours: Callable[[], OfficeHours]


def get_parts(request: Request) -> Parts:
    parts: Parts = request.app.state.parts
    return parts


PartsDep = Annotated[Parts, Depends(get_parts)]


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    role: Role


def current_user(request: Request, parts: PartsDep) -> StaffUser:
    user_id = request.session.get("user_id")
    if user_id is None:
        raise HTTPException(status_code=401, detail="log in first")
    with parts.sessions() as session:
        user = session.get(User, user_id)
    if user is None or not user.is_active:
        request.session.clear()
        raise HTTPException(status_code=401, detail="log in first")
    return StaffUser(id=user.id, username=user.username, role=Role(user.role))


CurrentUser = Annotated[StaffUser, Depends(current_user)]


def require(*roles: Role) -> object:
    """A dependency that lets only users with one of `roles` through (403 for the others)."""

    def check(user: CurrentUser) -> StaffUser:
        if user.role not in roles:
            raise HTTPException(status_code=403, detail="your role may not open this")
        return user

    return Depends(check)
