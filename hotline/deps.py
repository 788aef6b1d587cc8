"""FastAPI dependencies: the app's parts from the lifespan state, and the logged-in staff user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from channels.dialogue import Dialogue
from channels.registry import Channels
from hotline import staff_sessions
from hotline.db import UNREACHABLE
from hotline.office_hours import OfficeHours, OfficeSource
from hotline.rate_limits import RateLimits
from hotline.redis_conn import RedisHandle
from hotline.session_memory import SessionMemory
from hotline.settings import Settings
from hotline.users import Role
from registry_client.runtime import Registry
from specialist_queue.runtime import Specialists


@dataclass
class Parts:
    """What the lifespan builds once and every request shares."""

    settings: Settings
    sessions: sessionmaker[Session]
    redis: RedisHandle
    dialogue: Dialogue
    office_hours: Callable[[], OfficeHours]
    office: OfficeSource  # the calendar and queue policy the admins set; office_hours reads it
    channels: Channels  # the channels that are on, started (`channels.registry`)
    specialists: Specialists | None = None  # the specialist queue; None until the lifespan builds it
    registry: Registry | None = None  # the registry client and its request worker; None until the lifespan
    limits: RateLimits | None = None  # request rates per address and conversation (Redis); None: not counted


def get_parts(request: Request) -> Parts:
    parts: Parts = request.app.state.parts
    return parts


PartsDep = Annotated[Parts, Depends(get_parts)]


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    role: Role


SESSION_TOKEN = "staff_session"  # the key of the session cookie that holds the staff session's token


def staff_of(connection: HTTPConnection, parts: Parts) -> StaffUser | None:
    """The user whose session (still open on the server: `hotline.staff_sessions`) the cookie carries."""
    token = connection.session.get(SESSION_TOKEN) if "session" in connection.scope else None
    if not isinstance(token, str):
        return None
    memory = session_memory(parts)
    try:
        with parts.sessions() as session:
            user = staff_sessions.user_of(session, token=token)
            found = None if user is None else StaffUser(id=user.id, username=user.username, role=Role(user.role))
    except UNREACHABLE:  # the specialists on shift go on from the live queue (`hotline.session_memory`)
        recalled = memory.recall(token)
        return None if recalled is None else StaffUser(*recalled)
    if found is not None:
        memory.remember(token, user_id=found.id, username=found.username, role=found.role)
    return found


def session_memory(parts: Parts) -> SessionMemory:
    return SessionMemory(parts.redis.client, parts.settings.redis_prefix)


def current_user(request: Request, parts: PartsDep) -> StaffUser:
    user = staff_of(request, parts)
    if user is None:
        request.session.clear()  # logged out, ended by a password reset, or past its time
        raise HTTPException(status_code=401, detail="log in first")
    return user


CurrentUser = Annotated[StaffUser, Depends(current_user)]


def require(*roles: Role) -> object:
    """A dependency that lets only users with one of `roles` through (403 for the others)."""

    def check(user: CurrentUser) -> StaffUser:
        if user.role not in roles:
            raise HTTPException(status_code=403, detail="your role may not open this")
        return user

    return Depends(check)
