"""Staff sessions end on the server: a cookie copied before logging out, or before an admin reset the
password, opens nothing afterwards (issue 18, item 4); a session past its time ends too."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from starlette.websockets import WebSocketDisconnect

from hotline.db import transaction, utcnow
from hotline.staff_sessions import StaffSession
from hotline.users import Role, User
from tests.abuse.conftest import PASSWORD, staff
from tests.helpers import staff_login, staff_logout
from tests.ivr.phone import PUBLIC_URL


def _copy(client: TestClient) -> TestClient:
    """Another browser holding a copy of `client`'s cookies (as a thief of the cookie would)."""
    thief = TestClient(client.app, base_url=PUBLIC_URL)
    thief.cookies.update(client.cookies)
    return thief


LIVE = PUBLIC_URL.replace("https://", "wss://") + "/api/operator/live"  # the console's stream, cookies and all


def _username(client: TestClient) -> str:
    return str(client.get("/api/me").json()["username"])


def test_logging_out_ends_the_session_for_every_copy_of_the_cookie(client: TestClient) -> None:
    staff(client, Role.OPERATOR)
    thief = _copy(client)
    assert thief.get("/api/me").status_code == 200
    assert staff_logout(client).status_code == 303
    assert thief.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 401


def test_a_password_reset_ends_every_session_of_that_user(client: TestClient) -> None:
    staff(client, Role.OPERATOR)
    name = _username(client)
    operator, thief = _copy(client), _copy(client)
    with thief.websocket_connect(LIVE, headers={"origin": PUBLIC_URL}) as live:
        assert live.receive_json()  # the console's live stream opens while the session is good
    token = staff(client, Role.ADMIN)
    with client.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        user_id = session.query(User.id).filter_by(username=name).scalar()
    reset = client.post(f"/admin/users/{user_id}/password", data={"csrf_token": token, "password": "a new password 2"})
    assert reset.status_code == 200 and not re.search(r"error", reset.url.path)
    assert operator.get("/api/me").status_code == 401
    assert thief.get("/api/me").status_code == 401
    with (
        pytest.raises(WebSocketDisconnect),
        thief.websocket_connect(LIVE, headers={"origin": PUBLIC_URL}) as live,
    ):
        live.receive_json()
    fresh = TestClient(client.app, base_url=PUBLIC_URL)
    assert staff_login(fresh, name, PASSWORD).status_code == 401
    assert staff_login(fresh, name, "a new password 2").status_code == 303


def test_a_session_past_its_time_ends(client: TestClient) -> None:
    staff(client, Role.ADMIN)
    assert client.get("/api/me").status_code == 200
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        session.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/api/me").status_code == 401
    page = client.get("/admin", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/admin"
