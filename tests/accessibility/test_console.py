"""The operator console by keyboard alone, as a screen-reader user works it: a new offer is said at once
(what it is, how long it waits) and again shortly before it runs out; more time is asked for with a
button; after Accept the focus is in the reply box, after End in the wrap-up, after Save on the next
thing to do; the robot's transcript scrolls by keyboard; a Russian citizen's words are marked Russian
in the Ukrainian console. axe runs idle, with an offer, holding a chat and in the wrap-up."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.accessibility import axe, languages
from tests.accessibility.test_webchat import _focused
from tests.conftest import LiveServer
from tests.e2e.conftest import Tab, _open_tab, browser  # noqa: F401  (the shared headless Chromium fixture)

pytestmark = pytest.mark.browser

PASSWORD = "a long operator password"
OFFER_TIMEOUT = 13  # seconds: the reminder (at 10 s left) comes soon after the offer
QUESTION = "Как оформить жилищную субсидию?"  # a long answer: the transcript overflows its box
REPLY = "Добрый день, слушаю вас."


@pytest.fixture(scope="module")
def quick_offers() -> Iterator[None]:
    """Offers made every 0.2 s that wait 13 s, for the live server started after it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOTLINE_QUEUE_TICK_SECONDS", "0.2")
        patch.setenv("HOTLINE_QUEUE_OFFER_TIMEOUT_SECONDS", str(OFFER_TIMEOUT))
        yield


@pytest.fixture(scope="module")
def live_server(quick_offers: None, live_server: LiveServer) -> LiveServer:
    live_server.env["HOTLINE_NEW_PASSWORD"] = PASSWORD
    added = live_server.hotline("user", "add", "olena", "--role", "operator", "--lang", "uk", "--lang", "ru")
    assert added.returncode == 0, added.stderr
    return live_server


@pytest.fixture
def console(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    for tab in _open_tab(browser, live_server, viewport={"width": 1280, "height": 900}, locale="uk-UA"):
        page = tab.page
        page.goto("/operator")  # → the login form, and back here after it
        page.get_by_label("Користувач").fill("olena")
        page.get_by_label("Пароль").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.locator("#console").wait_for()
        yield tab


def russian_citizen_asks_for_a_person(server: LiveServer) -> str:
    """A web-chat citizen in Russian: a question with a long answer, then a person."""
    started = httpx.post(f"{server.url}/api/chat/sessions", json={"lang": "ru"}, timeout=30).json()
    messages = f"{server.url}/api/chat/sessions/{started['session_id']}/messages"
    for body in ({"text": QUESTION}, {"button": "operator"}):
        assert httpx.post(messages, json=body, timeout=30).status_code == 200
    return str(started["session_id"])


def _tab_to_button(page: Any, name: str, back: bool = False) -> None:
    for _ in range(30):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON" and _focused(page)["text"].startswith(name):
            return
    raise AssertionError(f"no button {name!r} within 30 presses of Tab")


def test_an_operator_hears_the_offer_asks_for_time_accepts_and_replies_by_keyboard(
    console: Tab, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = console.page
    axe.check(page, "the console, idle")
    russian_citizen_asks_for_a_person(live_server)

    _tab_to_button(page, "Приймати звернення")
    page.keyboard.press("Enter")
    announce = page.locator("#announce")
    assert announce.get_attribute("role") == "alert"
    # Said at once, with what it is and how long it waits; the focus stays where the operator was.
    expect(announce).to_have_text(
        re.compile(
            r"^Нове звернення для вас: Веб-чат, Житлова субсидія · російська\. "
            r"Залишилось \d+ с\.$"
        )
    )
    assert _focused(page)["text"] == "Приймати звернення"
    axe.check(page, "the console with an offer")
    languages.check(page, "the console with a Russian citizen's offer")
    # Shortly before it runs out, said again; then one key press asks for more time.
    expect(announce).to_have_text(re.compile(r"^Залишилось (10|9|8) с, щоб прийняти звернення\.$"))
    _tab_to_button(page, "Більше часу")
    assert _focused(page)["ring"]
    page.keyboard.press("Enter")
    expect(announce).to_have_text(re.compile(r"^Звернення чекає на вас: залишилось (1[7-9]|2[0-3]) с\.$"))

    _tab_to_button(page, "Прийняти", back=True)
    page.keyboard.press("Enter")
    expect(page.locator("#reply")).to_be_focused()  # not the page's body: the next thing is to write
    assert page.locator("#reply").get_attribute("lang") == "ru"
    axe.check(page, "the console holding a chat")
    languages.check(page, "the console holding a Russian citizen's chat")

    # The robot's long transcript scrolls by keyboard: it takes the focus, visibly.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    transcript = page.locator("#conversation .transcript")
    expect(transcript).to_be_focused()
    assert _focused(page)["ring"]
    assert transcript.evaluate("(box) => box.scrollHeight > box.clientHeight"), "the transcript did not overflow"
    page.keyboard.press("End")
    expect(transcript).not_to_have_js_property("scrollTop", 0)

    page.locator("#reply").focus()  # as a click or Tab back would
    page.keyboard.type(REPLY)
    page.keyboard.press("Enter")
    expect(page.locator("#chat-log .msg-operator span")).to_have_text([REPLY])
    expect(page.locator("#reply")).to_be_focused()
    languages.check(page, "the console after a reply in Russian")

    _tab_to_button(page, "Завершити розмову")
    page.keyboard.press("Enter")
    expect(page.locator("#disposition")).to_be_focused()
    axe.check(page, "the console's wrap-up")
    _tab_to_button(page, "Зберегти")
    page.keyboard.press("Enter")
    expect(page.locator("#state-title")).to_be_focused()  # nothing more to do: where the state is said
    expect(page.locator("#state-title")).to_contain_text("Готовий приймати звернення")


def test_with_two_chats_the_others_message_is_said_and_the_list_keeps_the_focus(
    console: Tab, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page, announce = console.page, console.page.locator("#announce")
    page.get_by_role("button", name="Приймати звернення").click()
    expect(page.locator("#my-state")).to_have_text("Готовий приймати звернення")
    first = russian_citizen_asks_for_a_person(live_server)
    for number in (1, 2):
        page.get_by_role("button", name="Прийняти").click()
        expect(page.get_by_role("button", name=re.compile(rf"^{number}\. Чат"))).to_be_visible()
        if number == 1:
            russian_citizen_asks_for_a_person(live_server)
    expect(page.get_by_role("button", name=re.compile(r"^2\. Чат"))).to_have_attribute("aria-current", "true")

    # The first citizen writes while the second is on screen: the log on screen is not theirs, so it is said.
    messages = f"{live_server.url}/api/chat/sessions/{first}/messages"
    assert httpx.post(messages, json={"text": "Вы тут?"}, timeout=30).status_code == 200
    expect(announce).to_have_text("Нове повідомлення в розмові 1")

    # Picking it from the list by keyboard: the list is drawn anew and the focus stays on the pick.
    _tab_to_button(page, "1. Чат", back=True)
    page.keyboard.press("Enter")
    picked = page.get_by_role("button", name=re.compile(r"^1\. Чат"))
    expect(picked).to_have_attribute("aria-current", "true")
    expect(picked).to_be_focused()
    expect(page.locator("#chat-log")).to_contain_text("Вы тут?")
