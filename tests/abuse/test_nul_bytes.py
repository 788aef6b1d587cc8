"""A NUL character (U+0000) is refused where requests come in, or dropped by a signed channel's codec; never
a 500, and the dialogue never moves on without its SQL record (issue 18, item 2). PostgreSQL is the
database that refused it; SQLite runs the same tests."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient

from hotline import conversation_log
from hotline.deps import Parts
from hotline.users import Role
from tests.abuse.conftest import staff, viber_post
from tests.fakes.viber_api import FakeViberApi
from tests.helpers import chat
from tests.viber.conftest import conversation_started, new_user, text_message

CASE = {"kind": "housing_subsidy", "birth_date": "1978-04-12", "id_kind": "rnokpp", "id_value": "2876543211"}


def _parts(client: TestClient) -> Parts:
    found: Parts = client.app.state.parts  # type: ignore[attr-defined]
    return found


def _steps(client: TestClient, conversation_id: str) -> tuple[int, int]:
    """The step the dialogue's state in Redis is at, and the last step SQL has."""
    parts = _parts(client)
    stored = parts.dialogue.store.read(conversation_id)
    assert stored.data is not None
    with parts.sessions() as session:
        logged = conversation_log.last_turn(session, conversation_id=conversation_id)
    return int(stored.data["step"]), logged


def test_a_nul_in_chat_text_is_refused_and_the_dialogue_stays_where_it_was(client: TestClient) -> None:
    session = client.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    before = _steps(client, session)
    body = json.dumps({"text": "субсидія\u0000"})
    headers = {"content-type": "application/json"}
    refused = client.post(f"/api/chat/sessions/{session}/messages", content=body, headers=headers)
    assert refused.status_code == 400 and "NUL" in refused.json()["message"]
    assert _steps(client, session) == before
    chat(client, session, text="як оформити субсидію")
    step, logged = _steps(client, session)
    assert step == logged == before[0] + 1


def test_the_letters_of_an_escape_are_not_a_nul(client: TestClient) -> None:
    session = client.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    answer = chat(client, session, text="\\u0000 a backslash and the letters u0000")
    assert answer["replies"]
    assert _steps(client, session)[0] == _steps(client, session)[1]


def test_a_nul_in_a_viber_text_is_dropped_and_the_citizen_is_answered(
    client: TestClient, fake_viber: FakeViberApi
) -> None:
    user = new_user()
    assert viber_post(client, conversation_started(user)).status_code == 200
    answer = viber_post(client, text_message(user, "як оформити субсидію\u0000"))
    assert answer.status_code == 200
    sent = fake_viber.wait_for(user["id"], 1)
    assert sent and all("\x00" not in m.get("text", "") for m in sent)


def test_a_nul_in_a_case_name_or_the_cases_search_is_refused(client: TestClient) -> None:
    token = staff(client, Role.OPERATOR)
    refused = client.post(
        "/api/registry/cases", json={**CASE, "full_name": "Шевченко\u0000 Марія"}, headers={"X-CSRF-Token": token}
    )
    assert refused.status_code == 400 and "NUL" in refused.json()["message"]
    case = {**CASE, "full_name": "Шевченко Марія"}
    opened = client.post("/api/registry/cases", json=case, headers={"X-CSRF-Token": token})
    assert opened.status_code == 201, opened.text
    assert client.get("/api/registry/cases", params={"q": "Шевченко\x00"}).status_code == 400
    assert client.get("/api/registry/cases", params={"q": "Шевченко"}).json()


def test_a_nul_in_a_staff_form_or_a_path_is_refused(client: TestClient) -> None:
    token = staff(client, Role.OPERATOR)
    form = client.post("/operator/cases", data={"csrf_token": token, "full_name": "x\x00"}, follow_redirects=False)
    assert form.status_code == 400
    assert client.get(f"/api/chat/sessions/{uuid.uuid4().hex}%00/live").status_code == 400
