"""Request bodies are counted while they are read, chunked ones too, and refused past their route's limit
before anything parses them or checks a signature (issue 18, items 3 and 8); the refusal is said as the app
says any (`hotline.too_large`): a sentence in JSON for API clients and webhooks, a page in Ukrainian or Russian
for a browser's form."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.abuse.conftest import twilio_post
from tests.conftest import LiveServer

JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
MB = 1024 * 1024
SQLITE = pytest.mark.parametrize("app", ["sqlite"], indirect=True)  # no SQL is reached: one database is enough


def chunks(total: int, size: int = 16 * 1024) -> Iterator[bytes]:
    """A body sent in chunks without a Content-Length (Transfer-Encoding: chunked)."""
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


@SQLITE
def test_a_large_chat_message_is_refused_with_413(client: TestClient) -> None:
    session = client.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    body = b'{"text": "' + b"a" * 40_000 + b'"}'
    answer = client.post(f"/api/chat/sessions/{session}/messages", content=body, headers=JSON)
    assert answer.status_code == 413
    assert answer.json()["message"] == "the request body is too large: at most 32768 bytes"
    chunked = client.post("/api/chat/sessions", content=chunks(100_000), headers=JSON)
    assert chunked.status_code == 413
    assert chunked.json()["message"] == "the request body is too large: at most 32768 bytes"


@SQLITE
def test_a_browser_s_form_over_the_limit_gets_a_page_in_its_language(client: TestClient) -> None:
    came_from = {**FORM, **BROWSER, "referer": f"{client.base_url}/login?lang=uk"}
    for body in (b"a" * (2 * MB), chunks(2 * MB)):  # a Content-Length over the limit, and a chunked body
        page = client.post("/login", content=body, headers=came_from)
        assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
        assert '<html lang="uk">' in page.text and "Надіслано забагато даних за один раз" in page.text
        assert 'href="/login?lang=uk"' in page.text and "Too Large" not in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]  # as every staff page
    client.cookies.set("staff_lang", "ru")  # the language the staff pages were last shown in
    russian = client.post("/login", content=chunks(2 * MB), headers={**FORM, **BROWSER})
    assert '<html lang="ru">' in russian.text and "Отправлено слишком много данных" in russian.text
    assert "<li>" not in russian.text  # no page to go back to was named
    api = client.post("/api/registry/cases", content=chunks(2 * MB), headers={**JSON, **BROWSER})
    assert api.json()["message"] == "the request body is too large: at most 1048576 bytes"  # a script's call


@SQLITE
def test_the_app_wide_limit_holds_for_anonymous_forms_and_json(client: TestClient) -> None:
    big = client.post("/login", content=chunks(3 * 1024 * 1024), headers=FORM)
    assert big.status_code == 413
    api = client.post("/api/registry/cases", content=chunks(2 * 1024 * 1024), headers=JSON)
    assert api.status_code == 413


@SQLITE
def test_a_viber_callback_over_its_limit_is_refused_even_chunked(client: TestClient) -> None:
    answer = client.post("/viber/webhook", content=chunks(300 * 1024), headers=JSON)
    assert answer.status_code == 413


@SQLITE
@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/gather?step=1&lang=uk", "/twilio/speech?step=1&lang=uk"])
def test_a_twilio_webhook_over_its_limit_is_refused_before_the_signature(client: TestClient, path: str) -> None:
    headers = {**FORM, "X-Twilio-Signature": "x"}
    answer = client.post(path, content=b"CallSid=CA1&f=" + b"a" * 100_000, headers=headers)
    assert answer.status_code == 413  # not 403: the body was not read to the end to check a signature
    assert answer.json()["message"] == "the request body is too large: at most 65536 bytes"
    chunked = client.post(path, content=chunks(200_000), headers=headers)
    assert chunked.status_code == 413


@SQLITE
def test_a_multipart_body_to_a_twilio_webhook_is_refused_not_a_500(client: TestClient) -> None:
    files = {"f": ("file.bin", b"\x00\x01" * 100, "application/octet-stream")}
    unsigned = client.post("/twilio/voice", data={"CallSid": "CA1"}, files=files, headers={"X-Twilio-Signature": "x"})
    assert unsigned.status_code == 415 and "urlencoded" in unsigned.json()["message"]
    plain = client.post("/twilio/status", data={"CallSid": "CA1"}, files=files)
    assert plain.status_code == 415


@SQLITE
def test_a_signed_twilio_form_within_the_limit_still_answers(client: TestClient) -> None:
    answer = twilio_post(client, "/twilio/voice", {"CallSid": "CA" + "7" * 32, "From": "+380501112233"})
    assert answer.status_code == 200 and answer.text.startswith("<?xml")


def _unfinished_chunked_post(url: str, path: str, content_type: str, size: int) -> str:
    """Send `size` bytes of a chunked body and never its end; return the status line the server answers."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type}\r\n"
        head += "Transfer-Encoding: chunked\r\n\r\n"
        connection.sendall(head.encode())
        for chunk in chunks(size):
            connection.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        return connection.recv(4096).decode("latin-1").split("\r\n", 1)[0]


@pytest.mark.parametrize(
    ("path", "content_type", "size"),
    [
        ("/api/chat/sessions", "application/json", 200_000),
        ("/twilio/voice", "application/x-www-form-urlencoded", 200_000),
        ("/viber/webhook", "application/json", 600_000),
        ("/login", "application/x-www-form-urlencoded", 2 * 1024 * 1024),
    ],
)
def test_the_server_answers_413_while_the_body_is_still_coming(
    live_server: LiveServer, path: str, content_type: str, size: int
) -> None:
    # The body never ends: a server that read it whole before judging would never answer (the socket times out).
    assert _unfinished_chunked_post(live_server.url, path, content_type, size).startswith("HTTP/1.1 413 ")
