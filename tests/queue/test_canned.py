"""Canned replies: admins add and delete them on /admin/canned (audited, in the office's language); the console
gets those in a conversation's language, its queue's first; bad input is a clear 4xx."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from hotline import users
from tests.queue.conftest import staff


def _form(client: TestClient, path: str, data: dict[str, str], token: str) -> object:
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def test_admins_keep_canned_replies_and_the_console_gets_them_by_language_and_queue(app: TestClient) -> None:
    admin = staff(app, "admin-canned", role=users.Role.ADMIN)
    page = admin.get("/admin/canned")
    assert page.status_code == 200 and "Готові відповіді" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    replies = [
        {
            "lang": "uk",
            "title": "Документи на субсидію",
            "text": "Паспорт, ІПН і довідка про доходи.",
            "queue": "subsidies",
        },
        {"lang": "uk", "title": "Графік", "text": "Працюємо з 8:00 до 17:00.", "queue": ""},
        {"lang": "ru", "title": "График", "text": "Работаем с 8:00 до 17:00.", "queue": ""},
    ]
    for reply in replies:
        assert _form(admin.client, "/admin/canned", reply, token.group(1)).status_code == 303  # type: ignore[attr-defined]
    refused = _form(admin.client, "/admin/canned", {"lang": "de", "title": "x", "text": "y"}, token.group(1))
    assert refused.status_code == 400 and "Потрібні мова, назва і текст." in refused.text  # type: ignore[attr-defined]
    listed = admin.get("/admin/canned").text
    assert "Документи на субсидію" in listed and "для всіх черг" in listed

    olena = staff(app, "olena-canned")
    got = olena.get("/api/operator/canned?lang=uk&skill=subsidies").json()
    assert [r["title"] for r in got] == ["Документи на субсидію", "Графік"]  # its queue's first
    assert [r["title"] for r in olena.get("/api/operator/canned?lang=uk&skill=benefits").json()] == ["Графік"]
    assert [r["title"] for r in olena.get("/api/operator/canned?lang=ru").json()] == ["График"]
    assert olena.get("/api/operator/canned?lang=de").status_code == 422
    assert olena.get("/api/operator/canned?skill=DROP%20TABLE").status_code == 422

    first = got[0]["id"]
    assert _form(admin.client, f"/admin/canned/{first}/delete", {}, token.group(1)).status_code == 303  # type: ignore[attr-defined]
    assert _form(admin.client, f"/admin/canned/{first}/delete", {}, token.group(1)).status_code == 404  # type: ignore[attr-defined]
    audit = admin.get("/admin/audit").text
    assert "Додано готову відповідь" in audit and "Видалено готову відповідь" in audit
