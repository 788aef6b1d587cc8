"""Staff login with a session cookie; operator and admin pages need the right role."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hotline import users
from hotline.db import transaction
from tests.helpers import staff_login, staff_logout


def _add(client: TestClient, username: str, role: users.Role) -> None:
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        users.create(session, username=username, password="s3cret-pass", role=role)


def _login(client: TestClient, username: str, password: str = "s3cret-pass") -> int:
    return int(staff_login(client, username, password).status_code)


def test_pages_send_strangers_to_the_login_form(client: TestClient) -> None:
    response = client.get("/admin", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/admin"
    assert client.get("/api/me").status_code == 401
    form = client.get("/login")
    assert form.status_code == 200 and 'name="password"' in form.text


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client: TestClient) -> None:
    _add(client, "olena", users.Role.OPERATOR)
    assert _login(client, "olena", "not-her-password") == 401
    assert _login(client, "nobody") == 401
    assert client.get("/api/me").status_code == 401


def test_an_operator_reaches_the_console_but_not_admin(client: TestClient) -> None:
    _add(client, "olena", users.Role.OPERATOR)
    assert _login(client, "olena") == 303
    assert client.get("/api/me").json()["role"] == "operator"
    assert client.get("/operator").status_code == 200
    assert client.get("/admin", follow_redirects=False).status_code == 403


def test_an_admin_sees_the_published_tree_and_can_log_out(client: TestClient) -> None:
    _add(client, "admin", users.Role.ADMIN)
    response = staff_login(client, "admin", "s3cret-pass")
    assert response.headers["location"] == "/admin"
    page = client.get("/admin")
    assert page.status_code == 200 and "Житлова субсидія" in page.text and "subsidies" in page.text
    assert client.post("/logout").status_code == 403  # another site cannot log staff out
    assert client.get("/api/me").status_code == 200
    assert staff_logout(client).status_code == 303
    assert client.get("/api/me").status_code == 401


def test_login_redirects_only_to_local_pages(client: TestClient) -> None:
    _add(client, "admin", users.Role.ADMIN)
    response = staff_login(client, "admin", "s3cret-pass", next="//evil.example/")
    assert response.headers["location"] == "/admin"
