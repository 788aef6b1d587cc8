"""Staff users: argon2 hashes, authentication, refusals."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline import users
from hotline.db import transaction


def test_a_user_logs_in_with_the_right_password_only(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        created = users.create(session, username="olena", password="correct horse", role=users.Role.OPERATOR)
        assert created.password_hash.startswith("$argon2")
        assert "correct horse" not in created.password_hash
    with transaction(sessions) as session:
        assert users.authenticate(session, username="olena", password="correct horse") is not None
        assert users.authenticate(session, username="olena", password="wrong horse") is None
        assert users.authenticate(session, username="nobody", password="correct horse") is None


def test_duplicate_usernames_and_short_passwords_are_refused(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        users.create(session, username="admin", password="long enough", role=users.Role.ADMIN)
    with pytest.raises(users.UserExists), transaction(sessions) as session:
        users.create(session, username="admin", password="another one", role=users.Role.ADMIN)
    with pytest.raises(ValueError, match="8 characters"), transaction(sessions) as session:
        users.create(session, username="short", password="1234", role=users.Role.ADMIN)


def test_a_deactivated_user_cannot_log_in(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        users.create(session, username="ivan", password="password1", role=users.Role.OPERATOR).is_active = False
    with transaction(sessions) as session:
        assert users.authenticate(session, username="ivan", password="password1") is None
