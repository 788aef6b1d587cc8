"""FastAPI dependencies: the app's parts from the lifespan state, and the logged-in staff user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from channels.dialogue import Dialogue
from channels.viber.line import ViberLine
from hotline.db import utcnow
from hotline.office_hours import OfficeHours, OfficeSource
from hotline.redis_conn import RedisHandle
from hotline.settings import Settings
from hotline.users import Role, User
from ivr.line import PhoneLine
from ivr.speech.line import SpeechLine
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
    phone: PhoneLine
    speech: SpeechLine  # local speech recognition (Vosk) or the fallback to Twilio's
    office: OfficeSource  # the calendar and queue policy the admins set; office_hours reads it
    specialists: Specialists | None = None  # the specialist queue; None until the lifespan builds it
    viber: ViberLine | None = None  # the Viber channel (webhook, sender, relay); None until the lifespan builds it
    registry: Registry | None = None  # the registry client and its request worker; None until the lifespan


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
    login_at = request.session.get("login_at", 0)
    if user_id is None or utcnow().timestamp() - login_at > parts.settings.session_max_age_seconds:
        request.session.clear()  # a session ends this long after its login, however busy
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
