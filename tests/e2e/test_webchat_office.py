"""The office's rules in the web chat, in Chromium: a Saturday evening with the demo office hours, and a
weekday with nobody on shift. The app runs in this process (uvicorn on a free port) so the office's clock
can be set; everything else is real (SQLite, Redis, the demo pack, the specialist queue)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn

from hotline.app import create_app
from hotline.deps import Parts
from hotline.settings import Settings
from specialist_queue import chat
from specialist_queue.model import Kind
from tests.e2e.conftest import PHONE, Tab
from tests.e2e.test_webchat_browser import MESSAGES, last_bot, open_chat, posted_to, send_text
from tests.helpers import free_port

pytestmark = pytest.mark.browser

KYIV = ZoneInfo("Europe/Kyiv")
SATURDAY_EVENING = datetime(2026, 12, 5, 19, 30, tzinfo=KYIV)
TUESDAY_MORNING = datetime(2026, 12, 8, 10, 0, tzinfo=KYIV)
KEYPAD_WORDING = re.compile(r"— ?[0-9#]\b|решітк|решётк|натисніть|нажмите")


class Office:
    """The app served on a real port, and the clock its office's rules read."""

    def __init__(self, url: str, parts: Parts) -> None:
        self.url = url
        self.parts = parts

    def at(self, moment: datetime) -> None:
        assert self.parts.dialogue.office is not None
        self.parts.dialogue.office.clock = lambda: moment.astimezone(UTC)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Office]:
    data: Path = tmp_path_factory.mktemp("office")
    port = free_port()
    settings = Settings(
        database_url=f"sqlite:///{data / 'hotline.sqlite3'}",
        redis_url=redis_url,
        data_dir=data / "var",
        public_url=f"http://127.0.0.1:{port}",
        redis_prefix=f"test-{uuid.uuid4().hex[:8]}",
        queue_tick_seconds=0,
    )  # the demo office hours: mon-thu 08:00-17:00, fri 08:00-15:45
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    yield Office(f"http://127.0.0.1:{port}", app.state.parts)
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def tab(browser: Any, office: Office) -> Iterator[Tab]:
    context = browser.new_context(base_url=office.url, viewport=PHONE, locale="uk-UA", has_touch=True)
    opened = Tab(context.new_page())
    yield opened
    context.close()
    assert not opened.errors, f"script errors on the page: {opened.errors}"


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _press(page: Any, name: str) -> dict[str, Any]:
    with page.expect_response(posted_to(MESSAGES)) as answer:
        page.get_by_role("button", name=name, exact=True).click()
    assert answer.value.status == 200, answer.value.text()
    return dict(answer.value.json())


def test_on_a_saturday_evening_the_chat_says_when_specialists_work_and_takes_a_number_and_a_message(
    tab: Tab, office: Office
) -> None:
    expect, page = _expect(), tab.page
    office.at(SATURDAY_EVENING)
    open_chat(tab)
    answer = send_text(page, "Покличте оператора")
    [offer] = answer["replies"]
    assert offer["handoff"] is None  # nobody is promised a person, nobody waits in an empty office
    expect(last_bot(page)).to_contain_text("Зараз фахівці не працюють. Вони відповідатимуть у понеділок о 08:00.")
    choices = page.locator(".chips .chip")
    expect(choices).to_have_text(
        ["Замовити зворотний дзвінок", "Залишити номер і повідомлення", "Чекати на фахівця", "Головне меню"]
    )
    expect(page.locator(".banner:visible")).to_have_count(0)

    asked = _press(page, "Залишити номер і повідомлення")
    expect(last_bot(page)).to_contain_text("Напишіть номер телефону і коротко ваше питання")
    left = send_text(page, "067 123 45 67 — прошу пояснити, чому зняли субсидію")
    expect(last_bot(page)).to_contain_text("зателефонує вам на номер +380671234567")
    said = [r["text_long"] for body in (answer, asked, left) for r in body["replies"]]
    assert not [text for text in said if KEYPAD_WORDING.search(text)]

    session_id = page.evaluate("JSON.parse(sessionStorage.getItem('hotline.chat')).sessionId")
    assert office.parts.specialists is not None
    entry = office.parts.specialists.queue.store.entry(session_id)
    assert entry is not None and entry.kind is Kind.CALLBACK and entry.phone == "+380671234567"
    monday = datetime(2026, 12, 7, 8, 0, tzinfo=KYIV).timestamp()
    assert entry.due == monday  # offered to the specialists when the office opens
    with office.parts.sessions() as session:
        written = [(m.sender, m.text) for m in chat.since(session, conversation_id=session_id)]
    assert written == [("citizen", "прошу пояснити, чому зняли субсидію")]  # read by whoever calls back


def test_while_waiting_the_citizen_writes_to_the_specialist_and_a_language_switch_keeps_it_all(
    tab: Tab, office: Office
) -> None:
    expect, page = _expect(), tab.page
    office.at(TUESDAY_MORNING)
    open_chat(tab)
    answer = send_text(page, "оператор")
    [waiting] = answer["replies"]
    # Open, but nobody on shift may take the queue: the citizen waits in their place and is told so.
    assert waiting["handoff"]["state"] == "waiting"
    expect(last_bot(page)).to_contain_text("Зараз жоден фахівець на зміні не може прийняти ваше звернення")
    line = page.locator(".banner:visible")
    expect(line).to_have_count(1)
    expect(line).to_have_text("Ви перший у черзі; зараз фахівців на зміні немає")  # no estimate would be honest

    bots = page.locator(".msg-bot").count()
    for text in ("Алло, тут хтось є?", "Скільки ще чекати?"):
        written = send_text(page, text)
        assert written["replies"] == [] and written["relayed"] is True
    expect(page.locator(".msg-bot")).to_have_count(bots)  # no "not understood", no stacked notices
    expect(line).to_have_count(1)
    session_id = page.evaluate("JSON.parse(sessionStorage.getItem('hotline.chat')).sessionId")
    with office.parts.sessions() as session:
        kept = [m.text for m in chat.since(session, conversation_id=session_id)]
    assert kept == ["Алло, тут хтось є?", "Скільки ще чекати?"]  # the specialist reads them on accepting

    mine = page.locator(".msg-me").count()
    with page.expect_response(posted_to(MESSAGES)) as switched:
        page.get_by_role("button", name="РУС", exact=True).click()
    assert switched.value.request.post_data_json["button"] == "lang:ru"
    assert switched.value.json()["lang"] == "ru"
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator(".msg-me")).to_have_count(mine)  # the conversation is all there
    assert page.evaluate("JSON.parse(sessionStorage.getItem('hotline.chat')).sessionId") == session_id
    expect(line).to_have_count(1)
    expect(line).to_have_text("Вы первый в очереди; сейчас специалистов на смене нет")
    later = send_text(page, "Я ещё здесь", label="Ваше сообщение")
    assert later["relayed"] is True and later["lang"] == "ru"  # still waiting, now in Russian
