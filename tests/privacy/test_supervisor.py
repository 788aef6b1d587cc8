"""The supervisor role: reads any conversation masked, unmasks a closed one with a reason (audited);
admins read others' conversations masked; `hotline user add --role supervisor`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline import users
from hotline.admin.models import AuditEntry
from hotline.app import create_app
from hotline.db import transaction
from hotline.settings import Settings
from tests.helpers import chat, staff_login

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PASSWORD = "s3cret-pass"
SAID = "мій РНОКПП 2876543211, телефон 050 123 45 67"


@pytest.fixture
def app(settings: Settings) -> Iterator[TestClient]:
    """The whole app with the office open round the clock, so a handoff waits in the queue."""
    with TestClient(create_app(settings.model_copy(update={"office_hours": "mon-sun 00:00-24:00"}))) as client:
        yield client


def _login(app: TestClient, username: str, role: users.Role) -> tuple[TestClient, str]:
    with transaction(app.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        users.create(session, username=username, password=PASSWORD, role=role)
    client = TestClient(app.app)
    assert staff_login(client, username, PASSWORD).status_code == 303
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found
    return client, found.group(1)


def _conversation(app: TestClient, *, hand_over: bool) -> str:
    session_id = str(app.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"])
    chat(app, session_id, text=SAID)
    if hand_over:
        assert chat(app, session_id, text="оператор")["replies"][-1]["handoff"]
    return session_id


@SQLITE_ONLY
def test_a_supervisor_unmasks_a_closed_conversation_only_with_a_reason(app: TestClient) -> None:
    closed = _conversation(app, hand_over=False)
    waiting = _conversation(app, hand_over=True)
    supervisor, token = _login(app, "sofia", users.Role.SUPERVISOR)
    operator, operator_token = _login(app, "olena", users.Role.OPERATOR)
    admin, admin_token = _login(app, "anna", users.Role.ADMIN)

    read = supervisor.get(f"/api/supervisor/conversations/{closed}").json()
    said = next(turn["text"] for turn in read["transcript"] if turn["who"] == "citizen" and turn["text"])
    assert said == "мій РНОКПП [РНОКПП], телефон [телефон]" and read["unmasked"] is False
    path = f"/api/supervisor/conversations/{closed}/unmask"
    assert supervisor.post(path, json={"reason": "скарга"}, headers={"X-CSRF-Token": token}).status_code == 422
    assert supervisor.post(path, json={"reason": "скарга громадянина №12"}).status_code == 403  # no CSRF token
    reason = "скарга громадянина від 05.12, вх. № 12"
    unmasked = supervisor.post(path, json={"reason": reason}, headers={"X-CSRF-Token": token}).json()
    assert unmasked["unmasked"] is True and any(turn["text"] == SAID for turn in unmasked["transcript"])
    refused = supervisor.post(
        f"/api/supervisor/conversations/{waiting}/unmask", json={"reason": reason}, headers={"X-CSRF-Token": token}
    )
    assert refused.status_code == 409  # still waiting for a specialist: not closed

    with app.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.unmask")).all()
    assert [(e.username, e.target, e.detail) for e in entries] == [("sofia", closed, {"reason": reason})]

    assert operator.get(f"/api/supervisor/conversations/{closed}").status_code == 403
    assert operator.post(path, json={"reason": reason}, headers={"X-CSRF-Token": operator_token}).status_code == 403
    assert admin.post(path, json={"reason": reason}, headers={"X-CSRF-Token": admin_token}).status_code == 403
    assert "2876543211" not in admin.get(f"/api/supervisor/conversations/{closed}").text
    # An admin opening someone else's conversation in the console API reads it masked too.
    console = admin.get(f"/api/operator/conversations/{waiting}")
    assert console.status_code == 200 and "[РНОКПП]" in console.text and "2876543211" not in console.text


def test_user_add_takes_the_supervisor_role(tmp_path: Path) -> None:
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_DATABASE_URL": ""}
    env["HOTLINE_NEW_PASSWORD"] = PASSWORD
    hotline = str(Path(sys.executable).parent / "hotline")
    added = subprocess.run([hotline, "user", "add", "sofia", "--role", "supervisor"], env=env, capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert added.returncode == 0 and added.stdout.strip() == "added supervisor sofia", added.stderr
    wrong = subprocess.run([hotline, "user", "add", "x", "--role", "boss"], env=env, capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert wrong.returncode != 0 and "admin, operator or supervisor" in wrong.stderr
