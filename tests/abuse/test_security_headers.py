"""Staff pages (names, dates of birth, tax numbers, addresses) forbid framing and caching and run only
our own scripts; `/metrics` is not public (issue 18, item 9)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hotline.users import Role
from tests.abuse.conftest import staff
from tests.helpers import METRICS

SQLITE = pytest.mark.parametrize("app", ["sqlite"], indirect=True)  # headers do not depend on the database
CASE = {
    "kind": "housing_subsidy",
    "full_name": "Шевченко Марія Іванівна",
    "birth_date": "1978-04-12",
    "id_kind": "rnokpp",
    "id_value": "2876543211",
}


def _staff_page(headers: dict[str, str]) -> None:
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "'unsafe-eval'" not in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"


@SQLITE
def test_the_console_case_pages_and_admin_send_csp_no_framing_and_no_store(client: TestClient) -> None:
    _staff_page(client.get("/login").headers)
    token = staff(client, Role.OPERATOR)
    case = client.post("/api/registry/cases", json=CASE, headers={"X-CSRF-Token": token}).json()
    for path in ("/operator", "/operator/cases", f"/operator/cases/{case['id']}", "/operator/cases/new"):
        page = client.get(path)
        assert page.status_code == 200, path
        _staff_page(page.headers)
    api = client.get(f"/api/registry/cases/{case['id']}")
    assert api.status_code == 200 and api.headers["cache-control"] == "no-store"
    script = client.get("/operator/cases/static/case.js")  # the case page's script, no longer inline
    assert script.status_code == 200 and "no-store" not in script.headers.get("cache-control", "")
    staff(client, Role.ADMIN)
    for path in ("/admin", "/admin/users", "/admin/audit"):
        _staff_page(client.get(path).headers)


@SQLITE
def test_the_citizens_chat_page_may_be_framed_by_the_offices_site(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "x-frame-options" not in page.headers
    assert page.headers["x-content-type-options"] == "nosniff"


@SQLITE
def test_metrics_need_the_token_or_an_admin(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    scraped = client.get("/metrics", headers=METRICS)
    assert scraped.status_code == 200 and "hotline_http_requests_total" in scraped.text
    assert scraped.headers["cache-control"] == "no-store"
    staff(client, Role.OPERATOR)
    assert client.get("/metrics").status_code == 401
    staff(client, Role.ADMIN)
    assert client.get("/metrics").status_code == 200
