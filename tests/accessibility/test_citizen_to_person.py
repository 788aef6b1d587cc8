"""A citizen by keyboard alone: chooses a language, asks, presses an answer, asks for a person and
writes to them; the focus is always drawn, on the screen, and on what comes next. A specialist takes
the chat through the operator API (the console's own keyboard journey is in test_console.py); axe runs
while the citizen waits and while a person answers."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.accessibility import axe
from tests.accessibility.test_webchat import _focused, _press_and_land, _tab_to
from tests.conftest import LiveServer
from tests.e2e.conftest import Tab
from tests.e2e.test_webchat_browser import MESSAGES, SESSIONS, posted_to
from tests.helpers import staff_login

pytestmark = pytest.mark.browser

PASSWORD = "a long operator password"
QUESTION = "Як оформити житлову субсидію?"
TO_THE_PERSON = "Дякую. Чи можна подати заяву поштою?"


@pytest.fixture(scope="module")
def quick_queue() -> Iterator[None]:
    """Offers made every 0.2 s, and Redis keys of the module's own, for the live server started after it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOTLINE_QUEUE_TICK_SECONDS", "0.2")
        patch.setenv("HOTLINE_REDIS_PREFIX", f"test-{uuid.uuid4().hex[:8]}")
        yield


@pytest.fixture(scope="module")
def live_server(quick_queue: None, live_server: LiveServer) -> LiveServer:
    live_server.env["HOTLINE_NEW_PASSWORD"] = PASSWORD
    added = live_server.hotline("user", "add", "olena", "--role", "operator", "--lang", "uk")
    assert added.returncode == 0, added.stderr
    return live_server


class Operator:
    """A specialist through the console's JSON API, as the console's script calls it."""

    def __init__(self, server: LiveServer) -> None:
        self.http = httpx.Client(base_url=server.url, timeout=30)
        assert staff_login(self.http, "olena", PASSWORD).status_code == 303
        found = re.search(r'data-csrf="([^"]+)"', self.http.get("/operator").text)
        assert found
        self.headers = {"X-CSRF-Token": found.group(1)}

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(path, json=body or {}, headers=self.headers)

    def take(self, conversation: str) -> None:
        assert self.post("/api/operator/state", {"state": "available"}).status_code == 200
        deadline = time.monotonic() + 20
        while (accepted := self.post(f"/api/operator/offers/{conversation}/accept")).status_code != 200:
            assert time.monotonic() < deadline, accepted.text  # the queue's tick offers it within a second
            time.sleep(0.1)

    def heard(self, conversation: str) -> list[str]:
        view = self.http.get(f"/api/operator/conversations/{conversation}").json()
        return [m["text"] for m in view.get("messages", []) if m.get("sender") == "citizen"]


def test_by_keyboard_from_the_language_to_writing_to_a_person(phone: Tab, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    page = phone.page
    page.goto("/")
    _tab_to(page, "Українська")
    assert _press_and_land(page, "Space", answered_by=SESSIONS)["cls"] == "chip"

    _tab_to(page, "")  # the text box (no text of its own): ask in words
    assert _focused(page)["tag"] == "textarea"
    page.keyboard.type(QUESTION)
    _press_and_land(page, "Enter", answered_by=MESSAGES)
    assert _focused(page)["tag"] == "textarea"  # writing goes on where it was
    axe.check(page, "the chat after a long answer")

    page.keyboard.press("Shift+Tab")  # back up to the answer's buttons
    _tab_to(page, "Назад")
    landed = _press_and_land(page, "Enter", answered_by=MESSAGES)  # the section's menu: press one of its answers
    assert landed["cls"] == "chip", landed
    landed = _press_and_land(page, "Enter", answered_by=MESSAGES)
    assert landed["cls"] == "chip" or "msg-bot" in landed["cls"], landed

    _tab_to(page, "Фахівець")
    assert _press_and_land(page, "Enter", answered_by=MESSAGES)["tag"] == "textarea"
    expect(page.locator(".banner:visible")).to_contain_text("у черзі")
    axe.check(page, "the chat waiting for a specialist")

    conversation = page.evaluate("JSON.parse(sessionStorage.getItem('hotline.chat')).sessionId")
    specialist = Operator(live_server)
    specialist.take(conversation)
    expect(page.locator(".msg-note").last).to_contain_text("на зв'язку")
    assert _focused(page)["tag"] == "textarea"  # the person's arrival does not move the focus
    page.keyboard.type(TO_THE_PERSON)
    with page.expect_response(posted_to(MESSAGES)):
        page.keyboard.press("Enter")
    assert _focused(page)["tag"] == "textarea"
    deadline = time.monotonic() + 15
    while TO_THE_PERSON not in specialist.heard(conversation):
        assert time.monotonic() < deadline, "the specialist never got the citizen's words"
        time.sleep(0.1)
    specialist.post(f"/api/operator/conversations/{conversation}/messages", {"text": "Так, можна."})
    expect(page.locator(".msg-op .msg-text")).to_have_text(["Так, можна."])
    axe.check(page, "the chat with a specialist")
