"""A voice message in the operator console (headless Chromium against `hotline serve`): a caller whose
queue failed leaves a message; the specialist offered the callback sees the recording's link and, once
Twilio has posted it, the transcription; a citizen's words are shown as text, never as markup."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ivr.simulator import Call, Caller
from tests.conftest import LiveServer
from tests.e2e.conftest import Tab, _open_tab, browser  # noqa: F401  (the browser fixture)
from tests.ivr.phone import ALWAYS_OPEN, TOKEN

pytestmark = pytest.mark.browser

PASSWORD = "s3cret-pass-123"
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE77"
TRANSCRIPTION = '<img src=x onerror="alert(1)"> передзвоніть щодо субсидії'


@pytest.fixture(scope="module")
def phone_env() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOTLINE_TWILIO_AUTH_TOKEN", TOKEN)
        patch.setenv("HOTLINE_OFFICE_HOURS", ALWAYS_OPEN)
        patch.setenv("HOTLINE_QUEUE_TICK_SECONDS", "0.2")
        yield


@pytest.fixture(scope="module")
def live_server(phone_env: None, live_server: LiveServer) -> LiveServer:
    return live_server


@pytest.fixture
def olena(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    options = ["--name", "Olena", "--lang", "uk"]
    added = live_server.hotline("user", "add", "olena", "--role", "operator", *options, input=f"{PASSWORD}\n" * 2)
    assert added.returncode == 0, added.stderr
    for tab in _open_tab(browser, live_server, viewport={"width": 1280, "height": 900}, locale="uk-UA"):
        page = tab.page
        page.goto("/operator")
        page.get_by_label("Користувач").fill("olena")
        page.get_by_label("Пароль").fill(PASSWORD)
        page.get_by_role("button", name="Увійти").click()
        expect()(page.locator("#my-state")).to_have_text("Не на лінії")
        yield tab


def expect() -> Any:
    from playwright.sync_api import expect

    return expect


def follow(call: Call, document: ET.Element, tag: str, form: dict[str, str]) -> ET.Element:
    """Post what Twilio posts to the `action` of the document's `tag` verb."""
    verb = document.find(tag)
    assert verb is not None, ET.tostring(document, encoding="unicode")
    return call.post(verb.get("action") or "", form)


def test_the_specialist_sees_the_voice_message_and_its_later_transcription(olena: Tab, live_server: LiveServer) -> None:
    with httpx.Client(timeout=15) as http:
        call = Call(live_server.url, TOKEN, Caller(iter([]), io.StringIO()), http, number="+380671234577")
        menu = follow(call, call.post("/twilio/voice"), "Gather", {"Digits": "1"})
        queued = follow(call, menu, "Gather", {"Digits": "0"})
        failed = follow(call, queued, "Enqueue", {"QueueResult": "queue-full", "QueueTime": "0"})
        record = follow(call, failed, "Gather", {"Digits": "2"}).find("Record")
        assert record is not None
        call.post(
            record.get("action") or "", {"RecordingUrl": RECORDING, "RecordingSid": "RE77", "RecordingDuration": "9"}
        )
        call.post("/twilio/status", {"CallStatus": "completed", "CallDuration": "60"})

        page = olena.page
        page.get_by_role("button", name="Приймати звернення").click()
        offer = page.locator('.context[data-for="offer"]')
        link = offer.get_by_role("link", name="Прослухати запис (9 с)")
        expect()(link).to_have_attribute("href", re.compile(r"^/api/operator/conversations/[0-9a-f]{32}/recording$"))
        expect()(offer).to_contain_text("Розшифровка ще не надійшла.")
        # Before accepting, a callback says it is one, whom to call and when they asked; the call as it went.
        expect()(page.locator("#offer-title")).to_have_text("Зворотний дзвінок для вас")
        expect()(offer.locator(".facts")).to_contain_text("ВидЗворотний дзвінок")
        expect()(offer.locator(".facts")).to_contain_text("Номер+380671234577")
        expect()(offer).to_contain_text("Просив передзвонити:")
        turns = offer.locator(".transcript li")
        expect()(turns.filter(has_text=re.compile(r"^Громадянин: натиснув 1 → \S"))).to_have_count(1)
        expect()(turns.filter(has_text="Громадянин: натиснув 0 → Фахівець")).to_have_count(1)
        expect()(turns.filter(has_text=re.compile(r"^Робот: .+\[.*1 — "))).not_to_have_count(0)  # the keys heard

        done = {"TranscriptionText": TRANSCRIPTION, "TranscriptionStatus": "completed", "RecordingUrl": RECORDING}
        call.post("/twilio/transcription", done)
        page.get_by_role("button", name="Прийняти").click()
        held = page.locator('.context[data-for="conversation"]')
        expect()(page.locator("#callback-phone")).to_have_text("+380671234577")
        expect()(held.locator(".voice-message")).to_contain_text(TRANSCRIPTION)
        assert page.locator(".voice-message img").count() == 0

        # Reached: the call goes on, the specialist stays with it; ending it leads to the wrap-up, not Ready.
        page.get_by_role("button", name="Додзвонився").click()
        expect()(page.locator("#callback-reached")).to_be_visible()
        expect()(page.locator("#callback-outcomes")).to_be_hidden()
        expect()(page.locator("#my-state")).to_have_text("Розмова")
        page.get_by_role("button", name="Завершити розмову").click()
        expect()(page.locator("#wrap-up")).to_be_visible()
        expect()(page.locator("#my-state")).to_have_text("Завершення звернення")
