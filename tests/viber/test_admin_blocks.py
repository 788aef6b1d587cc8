"""The block list API: admins only, CSRF on changes, clear 4xx on bad input."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hotline import users
from tests.viber.conftest import as_admin, log_in


def test_the_block_list_is_for_admins_and_lifting_needs_the_csrf_token(viber_client: TestClient) -> None:
    viber_client.cookies.clear()
    assert viber_client.get("/api/chat/blocks").status_code == 401
    assert viber_client.post("/api/chat/blocks/1/lift").status_code == 401
    log_in(viber_client, users.Role.OPERATOR)
    assert viber_client.get("/api/chat/blocks").status_code == 403
    csrf = as_admin(viber_client)
    assert viber_client.post("/api/chat/blocks/1/lift").status_code == 403  # no token
    assert viber_client.post("/api/chat/blocks/1/lift", headers={"X-CSRF-Token": "forged"}).status_code == 403
    missing = viber_client.post("/api/chat/blocks/999999/lift", headers={"X-CSRF-Token": csrf})
    assert missing.status_code == 404 and "no block" in missing.json()["message"]
    bad = viber_client.post("/api/chat/blocks/abc/lift", headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422
    viber_client.cookies.clear()
