"""Staff accounts: operators and admins, with argon2 password hashes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.db import Base, utcnow

_hasher = PasswordHasher()
MIN_PASSWORD = 8


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"  # an operator who may also read closed conversations unmasked, with a reason


# Who works the operator console and their own registry cases.
SPECIALISTS = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN})


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What an operator can take: queues (skills = top-category slugs) and languages; empty means any.
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    phone: Mapped[str | None] = mapped_column(String(64), default=None)
    # How many conversations the operator takes at once (the console's capacity; 0 calls: chats only).
    capacity_chats: Mapped[int] = mapped_column(default=3, server_default="3")
    capacity_calls: Mapped[int] = mapped_column(default=1, server_default="1")


class UserExists(ValueError):
    pass


def get_by_username(session: Session, *, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def create(session: Session, *, username: str, password: str, role: Role, display_name: str = "") -> User:
    """Add a user; refuse a taken username or a password shorter than 8 characters."""
    _check_password(password)
    if get_by_username(session, username=username):
        raise UserExists(f"user {username!r} exists")
    user = User(
        username=username,
        role=role.value,
        password_hash=_hasher.hash(password),
        display_name=display_name or username,
    )
    session.add(user)
    session.flush()
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")


def set_password(user: User, password: str) -> None:
    """Give a user a new password (an admin's reset); the same rule as for a new user."""
    _check_password(password)
    user.password_hash = _hasher.hash(password)


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with these credentials, or None. Rehashes when argon2 parameters changed."""
    user = get_by_username(session, username=username)
    if user is None or not user.is_active:
        _hasher.hash(password)  # spend the same time, so timing does not tell which usernames exist
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user
