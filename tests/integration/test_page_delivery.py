"""How the pages travel on a weak connection: gzip, static files kept a year under a content hash,
the chat page's first question already in its HTML, and no compression where a staff page's CSRF token
sits beside text someone else chose (BREACH)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from hotline import users
from hotline.db import transaction
from hotline.static_files import FOREVER, REVALIDATE
from intents.messages import LANGUAGE_QUESTION
from tests.helpers import staff_login

GZIP = {"Accept-Encoding": "gzip"}


def _raw_size(client: TestClient, path: str) -> int:
    return len(client.get(path, headers={"Accept-Encoding": "identity"}).content)


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/[^"]*static/[^"]+)"', html)


def test_the_chat_page_and_its_files_come_compressed_and_versioned(client: TestClient) -> None:
    page = client.get("/", headers=GZIP)
    assert page.headers["content-encoding"] == "gzip" and page.headers["vary"] == "Accept-Encoding"
    assert page.headers["cache-control"] == REVALIDATE
    assets = _assets(page.text)
    assert {a.split("?")[0] for a in assets} == {"/static/chat.css", "/static/chat.js"}
    for url in assets:
        answer = client.get(url, headers=GZIP)
        assert answer.status_code == 200 and answer.headers["content-encoding"] == "gzip"
        assert int(answer.headers["content-length"]) < _raw_size(client, url) / 2
        assert answer.headers["cache-control"] == FOREVER
        # Without the current hash (an old page, a typed URL) the browser must ask again.
        assert client.get(url.split("?")[0]).headers["cache-control"] == REVALIDATE
        assert client.get(url.split("?")[0] + "?v=0123456789ab").headers["cache-control"] == REVALIDATE


def test_a_second_visit_hears_not_modified(client: TestClient) -> None:
    first = client.get("/")
    again = client.get("/", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content


def test_the_language_question_is_in_the_first_html_each_line_in_its_language(client: TestClient) -> None:
    html = client.get("/").text
    for lang, line in LANGUAGE_QUESTION.items():
        assert f'<span lang="{lang}">{line}</span>' in html
    assert re.search(r'<button [^>]*lang="uk" data-id="lang:uk">Українська</button>', html)
    assert re.search(r'<button [^>]*lang="ru" data-id="lang:ru">Русский</button>', html)


def test_staff_pages_are_not_compressed_and_link_their_files_by_content_hash(client: TestClient) -> None:
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        users.create(session, username="anna", password="s3cret-pass", role=users.Role.ADMIN)
    login = client.get("/login", headers=GZIP)
    assert login.status_code == 200 and "content-encoding" not in login.headers and "csrf_token" in login.text
    staff_login(client, "anna", "s3cret-pass")
    for path, files in (("/admin", {"admin.css", "admin.js"}), ("/operator", {"console.css", "console.js"})):
        page = client.get(path, headers=GZIP)
        assert page.status_code == 200 and "content-encoding" not in page.headers, path
        assets = _assets(page.text)
        assert files <= {a.split("?")[0].rsplit("/", 1)[1] for a in assets}
        assert all("?v=" in a for a in assets), assets
        for url in assets:
            answer = client.get(url, headers=GZIP)
            assert answer.headers["content-encoding"] == "gzip" and answer.headers["cache-control"] == FOREVER
