"""Where personal data is not needed it is not shown: statistics, phrases nothing matched (page, CSV,
JSON), the audit log, /metrics."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from hotline import users
from hotline.admin.models import AuditEntry
from hotline.db import transaction
from tests.helpers import chat, staff_login

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PASSWORD = "s3cret-pass"
# What a citizen tells the line; none of it may reach the admin's views.
SECRETS = ("2876543211", "050 123 45 67", "olena.k@ukr.net", "4149 4936 6712 7683", "Шевченко Марія")
MESSAGES = (
    "записала РНОКПП 2876543211 а далі що",
    "передзвоніть на 050 123 45 67 будь ласка",
    "відповідь на olena.k@ukr.net",
    "картка 4149 4936 6712 7683 заблокована",
    "я Шевченко Марія Іванівна, де мої гроші",
)


def _admin(client: TestClient) -> str:
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        users.create(session, username="anna", password=PASSWORD, role=users.Role.ADMIN)
    assert staff_login(client, "anna", PASSWORD).status_code == 303
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin").text)
    assert found
    return found.group(1)


def _talk(client: TestClient) -> None:
    session_id = client.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    for text in MESSAGES:
        chat(client, session_id, text=text)


@SQLITE_ONLY
def test_statistics_exports_and_audit_show_the_kind_never_the_value(client: TestClient) -> None:
    token = _admin(client)
    _talk(client)
    page = client.get("/admin/stats").text
    assert "записала РНОКПП [РНОКПП] а далі що" in page and "[телефон]" in page and "[ім&#39;я]" in page
    views = {
        "page": page,
        "csv": client.get("/admin/stats.csv?table=unmatched").text,
        "json": client.get("/api/admin/stats").text,
        "home": client.get("/admin").text,
    }
    added = client.post(
        "/admin/tree/examples",
        data={"slug": "office_hours", "phrase_lang": "uk", "phrase": MESSAGES[0], "csrf_token": token},
        follow_redirects=False,
    )  # an admin pasting a raw message: the example and its audit entry get it masked
    assert added.status_code == 303
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        detail = {"phone": SECRETS[1]}
        session.add(AuditEntry(username="anna", action="user.update", target="olena.k@ukr.net", detail=detail))
    views["audit"] = client.get("/admin/audit").text
    views["metrics"] = client.get("/metrics").text
    assert "[РНОКПП]" in views["audit"] and "tree.add_example" in views["audit"] and "[e-mail]" in views["audit"]
    for name, text in views.items():
        for secret in SECRETS:
            assert secret not in text, (name, secret)
