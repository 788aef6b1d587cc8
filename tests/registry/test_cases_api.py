"""The cases API and pages through the whole app (its worker running against the sandbox registry)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hotline.db import transaction
from hotline.users import Role
from tests.registry.conftest import add_user, log_in

MARIA = {
    "kind": "housing_subsidy",
    "full_name": "Шевченко Марія Іванівна",
    "birth_date": "1978-04-12",
    "id_kind": "rnokpp",
    "id_value": "2876543211",
}
PURPOSE = {"purpose": "Призначення житлової субсидії, заява № 17"}
# Page and validation checks need no second database: the SQL they touch runs on both in the other tests.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def open_case(client: TestClient, token: str, **changes: Any) -> dict[str, Any]:
    response = client.post("/api/registry/cases", json=MARIA | changes, headers={"X-CSRF-Token": token})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def wait_for(client: TestClient, case_id: int, timeout: float = 15) -> list[dict[str, Any]]:
    """Poll the requests as the case page does, until none is on its way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = client.get(f"/api/registry/cases/{case_id}/requests").json()
        if jobs and all(j["state"] not in ("pending", "retrying") for j in jobs):
            return jobs  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"still on its way: {jobs}")


@pytest.fixture
def staff(app_client: TestClient) -> TestClient:
    add_user(app_client, "olena", Role.OPERATOR)
    add_user(app_client, "petro", Role.OPERATOR)
    add_user(app_client, "admin", Role.ADMIN)
    return app_client


def test_the_whole_flow_from_case_to_certificate_and_audit(staff: TestClient) -> None:
    token = log_in(staff, "olena")
    headers = {"X-CSRF-Token": token}
    case = open_case(staff, token, id_value="28765 43211")
    assert (case["number"], case["status"], case["id_value"]) == (f"C-{case['id']:06d}", "open", "2876543211")

    refused = staff.post(f"/api/registry/cases/{case['id']}/requests", json=PURPOSE, headers=headers)
    assert refused.status_code == 409
    assert "consent" in refused.json()["message"]

    consent = {"basis": "application", "reference": "заява № 17"}
    assert staff.post(f"/api/registry/cases/{case['id']}/consents", json=consent, headers=headers).status_code == 201
    started = time.monotonic()
    job = staff.post(f"/api/registry/cases/{case['id']}/requests", json=PURPOSE, headers=headers)
    assert job.status_code == 202
    assert job.json()["state"] == "pending"
    assert time.monotonic() - started < 5, "the request must not wait for the registry"

    (done,) = wait_for(staff, case["id"])
    assert done["state"] == "ready" and done["certificate_id"]
    certificate = staff.get(f"/api/registry/certificates/{done['certificate_id']}").json()
    assert certificate["address"] == "м. Запоріжжя, вул. Садова, буд. 12, кв. 5"
    assert len(certificate["household"]) == 2

    pdf = staff.get(f"/operator/cases/{case['id']}/certificates/{done['certificate_id']}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and b"DejaVuSans" in pdf.content

    (row,) = staff.get("/api/registry/audit").json()
    assert (row["case_id"], row["result"], row["subject_masked"]) == (case["id"], "ready", "28******11")
    assert row["purpose"] == PURPOSE["purpose"]


def test_operators_see_only_their_own_cases_and_admins_see_all(staff: TestClient) -> None:
    token = log_in(staff, "olena")
    mine = open_case(staff, token)
    staff.post(f"/api/registry/cases/{mine['id']}/consents", json={"basis": "verbal"}, headers={"X-CSRF-Token": token})
    staff.post(f"/api/registry/cases/{mine['id']}/requests", json=PURPOSE, headers={"X-CSRF-Token": token})
    wait_for(staff, mine["id"])

    log_in(staff, "petro")
    assert staff.get(f"/api/registry/cases/{mine['id']}").status_code == 404
    assert staff.get("/api/registry/cases").json() == []
    assert staff.get("/api/registry/audit").json() == []
    assert staff.get(f"/operator/cases/{mine['id']}").status_code == 404

    log_in(staff, "admin")
    assert [c["id"] for c in staff.get("/api/registry/cases").json()] == [mine["id"]]
    assert len(staff.get("/api/registry/audit").json()) == 1


def test_search_by_name_identifier_date_and_number(staff: TestClient) -> None:
    token = log_in(staff, "olena")
    maria = open_case(staff, token)
    oleh = open_case(
        staff, token, full_name="Бондаренко Олег Васильович", birth_date="1990-11-03", id_value="3302145670",
        kind="benefit",
    )  # fmt: skip

    def found(**query: str) -> list[int]:
        return [c["id"] for c in staff.get("/api/registry/cases", params=query).json()]

    assert found(q="шевченко") == [maria["id"]]
    assert found(q="3302145") == [oleh["id"]]
    assert found(q="1978-04-12") == [maria["id"]]
    assert found(q=f"C-{oleh['id']:06d}") == [oleh["id"]]
    assert found(kind="benefit") == [oleh["id"]]
    assert found(q="9" * 30) == []
    assert found() == [oleh["id"], maria["id"]]
    page = staff.get("/operator/cases", params={"q": "олег"})
    assert "Бондаренко Олег Васильович" in page.text and "Шевченко" not in page.text


@SQLITE_ONLY
def test_bad_input_gets_a_clear_4xx(staff: TestClient) -> None:
    token = log_in(staff, "olena")
    headers = {"X-CSRF-Token": token}
    wrong = staff.post("/api/registry/cases", json=MARIA | {"id_value": "2876543212"}, headers=headers)
    assert wrong.status_code == 422 and "control digit" in wrong.json()["message"]
    future = staff.post("/api/registry/cases", json=MARIA | {"birth_date": "2999-01-01"}, headers=headers)
    assert future.status_code == 422 and "date of birth" in future.json()["message"]
    unknown = staff.post("/api/registry/cases", json=MARIA | {"conversation_id": "nope"}, headers=headers)
    assert unknown.status_code == 404
    case = open_case(staff, token)
    short = staff.post(f"/api/registry/cases/{case['id']}/requests", json={"purpose": "бо"}, headers=headers)
    assert short.status_code == 422
    assert staff.get("/api/registry/cases/999999").status_code == 404
    assert staff.post("/api/registry/cases", json=MARIA).status_code == 403, "no CSRF token"
    staff.cookies.clear()
    assert staff.get("/api/registry/cases").status_code == 401
    assert staff.get("/operator/cases", follow_redirects=False).headers["location"].startswith("/login")


@SQLITE_ONLY
def test_pages_escape_what_a_citizen_gave_and_speak_both_languages(staff: TestClient) -> None:
    token = log_in(staff, "olena")
    case = open_case(staff, token, full_name="<script>alert(1)</script> Іванович", notes="<b>x</b>")
    page = staff.get(f"/operator/cases/{case['id']}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "Згоду ще не записано" in page.text
    russian = staff.get(f"/operator/cases/{case['id']}", params={"lang": "ru"})
    assert "Согласие ещё не записано" in russian.text


@SQLITE_ONLY
def test_a_case_opened_from_a_conversation_keeps_its_id(staff: TestClient) -> None:
    from hotline import conversation_log

    parts = staff.app.state.parts  # type: ignore[attr-defined]
    with transaction(parts.sessions) as session:
        conversation_log.create(session, conversation_id="conv-42", channel="webchat", lang="uk")
    token = log_in(staff, "olena")
    form = staff.get("/operator/cases/new", params={"conversation": "conv-42"})
    assert 'name="conversation_id" value="conv-42"' in form.text
    assert staff.get("/operator/cases/new", params={"conversation": "nope"}).status_code == 404
    created = staff.post(
        "/operator/cases",
        data={k: v for k, v in MARIA.items()} | {"conversation_id": "conv-42", "csrf_token": token},
        follow_redirects=False,
    )
    assert created.status_code == 303
    case_id = int(created.headers["location"].rsplit("/", 1)[1])
    assert staff.get(f"/api/registry/cases/{case_id}").json()["conversation_id"] == "conv-42"
    bad = staff.post("/operator/cases", data=MARIA | {"id_value": "123", "csrf_token": token})
    assert bad.status_code == 422 and "РНОКПП — це 10 цифр" in bad.text
