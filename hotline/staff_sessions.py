"""Staff sessions kept on the server, so that logging out or a password reset ends them at once.

The signed session cookie carries a random token; the table keeps its SHA-256 (a copy of the table
opens no session), the user and when the session ends. A request is that user's while the row is
there, unexpired, and the user active. Logging out deletes the row; a password reset deletes every
row of the user, so a cookie copied before either opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.db import Base, utcnow
from hotline.users import User


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's token, hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


def token_key(token: str) -> str:
    """What a session is kept under: the SHA-256 of its token."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, *, user_id: int, max_age_seconds: int) -> str:
    """A new session for the user; its token (for the cookie). Sessions past their end are cleared here."""
    now = utcnow()
    session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(id=token_key(token), user_id=user_id, expires_at=now + timedelta(seconds=max_age_seconds)))
    return token


def user_of(session: Session, *, token: str) -> User | None:
    """The active user whose unexpired session this token opens, or None."""
    query = (
        select(User)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(StaffSession.id == token_key(token), StaffSession.expires_at > utcnow(), User.is_active)
    )
    return session.scalar(query)


def close(session: Session, *, token: str) -> None:
    """End one session (logging out)."""
    session.execute(delete(StaffSession).where(StaffSession.id == token_key(token)))


def close_all(session: Session, *, user_id: int) -> None:
    """End every session of the user (their password was reset)."""
    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
