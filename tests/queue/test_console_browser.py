"""The operator console in headless Chromium against `hotline serve`: two operators in two browser
contexts race for one conversation and one gets it; it is accepted, answered (the citizen's chat page
gets the reply live), and wrapped up with a disposition and a note."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from sqlalchemy import select

from hotline.db import make_engine, make_sessionmaker, transaction
from hotline.queue_log import QueueEvent
from tests.conftest import LiveServer
from tests.e2e.conftest import PHONE, Tab, _open_tab, browser  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.browser

PASSWORD = "s3cret-pass-123"
REPLY = "Добрий день! Підкажу, як подати заяву на субсидію."
# What a citizen typed is shown as text on the console, never as markup.
TRICK = '<img src=x onerror="alert(1)"> субсидія'


@pytest.fixture(scope="module")
def own_prefix(redis_url: str) -> Iterator[str]:
    """The live server below gets Redis keys of its own (several test runs share one Redis)."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOTLINE_REDIS_PREFIX", prefix)
        patch.setenv("HOTLINE_QUEUE_TICK_SECONDS", "0.2")
        yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def live_server(own_prefix: str, live_server: LiveServer) -> LiveServer:
    return live_server


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def add_operator(server: LiveServer, name: str, skills: tuple[str, ...] = ("subsidies",)) -> None:
    """An operator speaking Ukrainian, of these skills' queues (none named: every queue)."""
    options = ["--name", name.title(), "--lang", "uk", *(f"--skill={skill}" for skill in skills)]
    added = server.hotline("user", "add", name, "--role", "operator", *options, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.returncode == 0, added.stderr


def console(browser: Any, server: LiveServer, name: str) -> Iterator[Tab]:  # noqa: F811
    for tab in _open_tab(browser, server, viewport={"width": 1280, "height": 900}, locale="uk-UA"):
        page = tab.page
        page.goto("/operator")  # → the login form, and back here after it
        page.get_by_label("Користувач").fill(name)
        page.get_by_label("Пароль").fill(PASSWORD)
        page.get_by_role("button", name="Увійти").click()
        _expect()(page.get_by_role("heading", level=1)).to_have_text("Консоль фахівця")
        _expect()(page.locator("#my-state")).to_have_text("Не на лінії")
        yield tab


@pytest.fixture
def olena(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    add_operator(live_server, "olena")
    yield from console(browser, live_server, "olena")


@pytest.fixture
def petro(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    add_operator(live_server, "petro")
    yield from console(browser, live_server, "petro")


@pytest.fixture
def citizen(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    yield from _open_tab(browser, live_server, viewport=PHONE, locale="uk-UA", has_touch=True)


def click_together(tabs: list[Tab], selector: str) -> None:
    """Each page clicks at the same wall-clock instant (the browsers share this machine's clock)."""
    at = time.time() * 1000 + 700
    for tab in tabs:
        tab.page.evaluate(
            "([selector, at]) => setTimeout(() => document.querySelector(selector).click(), at - Date.now())",
            [selector, at],
        )


def test_two_operators_race_for_one_conversation_and_one_answers_it(
    olena: Tab, petro: Tab, citizen: Tab, live_server: LiveServer
) -> None:
    expect, chat = _expect(), citizen.page
    chat.goto("/")
    chat.get_by_role("button", name="Українська", exact=True).click()
    chat.get_by_role("button", name="Житлова субсидія").click()
    chat.get_by_label("Ваше повідомлення").fill(TRICK)
    chat.keyboard.press("Enter")
    expect(chat.locator(".msg-me")).to_have_count(3)
    chat.get_by_role("button", name="Фахівець").last.click()
    expect(chat.get_by_role("status").filter(has_text="Ви перший у черзі")).to_be_visible()

    # Both become available at the same moment; the one conversation is offered to exactly one.
    click_together([olena, petro], "#go-available")
    for tab in (olena, petro):
        expect(tab.page.locator("#my-state")).to_have_text("Готовий приймати звернення")
    deadline = time.monotonic() + 15
    while not any(tab.page.locator("#offer").is_visible() for tab in (olena, petro)):
        assert time.monotonic() < deadline, "nobody was offered the conversation"
        time.sleep(0.05)
    winner, loser = (olena, petro) if olena.page.locator("#offer").is_visible() else (petro, olena)
    expect(winner.page.locator("#offer .path li")).to_have_text(["Житлова субсидія"])
    # The other console shows no offer, and the server refuses it the conversation if it asks.
    expect(loser.page.locator("#no-offer")).to_be_visible()
    assert loser.page.locator("#offer").is_hidden()
    conversation = chat.evaluate("JSON.parse(sessionStorage.getItem('hotline.chat')).sessionId")
    refused = loser.page.evaluate(
        """async (id) => (await fetch(`/api/operator/offers/${id}/accept`, {method: "POST",
             headers: {"X-CSRF-Token": document.getElementById("console").dataset.csrf}})).status""",
        conversation,
    )
    assert refused == 409

    page = winner.page
    page.get_by_role("button", name="Прийняти").click()
    expect(page.locator("#conversation")).to_be_visible()
    expect(page.locator("#my-state")).to_have_text("Розмова")
    transcript = page.locator("#conversation .transcript")
    expect(transcript).to_contain_text(TRICK)  # as text…
    assert page.locator("#conversation .transcript img").count() == 0  # …never as markup
    expect(chat.locator(".msg-note").last).to_contain_text("на зв'язку")
    expect(chat.locator(".chips")).to_have_count(0)  # the robot's menu is gone while a person answers

    page.get_by_label("Ваша відповідь").fill(REPLY)
    page.keyboard.press("Enter")
    expect(chat.locator(".msg-op .msg-text")).to_have_text([REPLY])  # live, without the citizen asking
    chat.get_by_label("Ваше повідомлення").fill("Дякую, а які документи?")
    chat.keyboard.press("Enter")
    expect(page.locator("#chat-log .msg")).to_have_text([f"Фахівець: {REPLY}", "Громадянин: Дякую, а які документи?"])

    page.get_by_role("button", name="Завершити розмову").click()
    expect(page.locator("#wrap-up")).to_be_visible()
    expect(page.locator("#my-state")).to_have_text("Завершення звернення")
    page.get_by_label("Тема звернення").select_option(label="Як оформити субсидію")
    page.get_by_label("Примітка").fill("Порадила подати через Дію")
    page.get_by_role("button", name="Зберегти").click()
    expect(page.locator("#wrap-up")).to_be_hidden()
    expect(page.locator("#my-state")).to_have_text("Готовий приймати звернення")
    # Said to the citizen (a request for a rating may follow it).
    expect(chat.locator(".msg-note", has_text="Фахівець завершив розмову. Далі вам відповідає робот.")).to_be_visible()

    engine = make_engine(live_server.env["HOTLINE_DATABASE_URL"])
    with make_sessionmaker(engine)() as session:
        log = session.scalars(
            select(QueueEvent).where(QueueEvent.conversation_id == conversation).order_by(QueueEvent.id)
        ).all()
    engine.dispose()
    assert [e.event for e in log] == ["entered", "offered", "connected", "closed", "wrap_up"]
    assert log[-1].data == {"disposition": "housing_subsidy_apply", "note": "Порадила подати через Дію"}
    assert {e.operator_id for e in log[1:]} == {log[1].operator_id}
    page.goto("/operator?lang=ru")
    expect(page.get_by_role("heading", level=1)).to_have_text("Консоль специалиста")
    expect(page.locator("#my-state")).to_have_text("Готов принимать обращения")
    assert citizen.dialogs == [] and winner.dialogs == []
    for tab in (olena, petro):  # off the line: the next test's conversations are not theirs
        tab.page.locator("#go-offline").click()
        expect(tab.page.locator("#my-state")).to_have_text(re.compile("^Не на (лінії|линии)$"))


def ask_for_a_person(chat: Any) -> None:
    chat.goto("/")
    chat.get_by_role("button", name="Українська", exact=True).click()
    chat.get_by_role("button", name="Житлова субсидія").click()
    chat.get_by_role("button", name="Фахівець").last.click()
    _expect()(chat.get_by_role("status").filter(has_text="у черзі")).to_be_visible()


@pytest.fixture
def maria(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    add_operator(live_server, "maria")
    yield from console(browser, live_server, "maria")


@pytest.fixture
def second_citizen(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    yield from _open_tab(browser, live_server, viewport=PHONE, locale="uk-UA", has_touch=True)


def test_one_operator_holds_two_chats_with_unread_counts_by_keyboard(
    maria: Tab, citizen: Tab, second_citizen: Tab, live_server: LiveServer
) -> None:
    from specialist_queue.canned import CannedReply

    engine = make_engine(live_server.env["HOTLINE_DATABASE_URL"])
    with transaction(make_sessionmaker(engine)) as session:  # as an admin adds it on /admin/canned
        session.add(CannedReply(lang="uk", title="Документи на субсидію", text="Паспорт і довідка про доходи."))
    engine.dispose()
    expect, page = _expect(), maria.page
    page.get_by_role("button", name="Приймати звернення").click()
    items = page.locator("#conversation-list .pick")
    for number, chat in enumerate((citizen.page, second_citizen.page), start=1):
        ask_for_a_person(chat)
        expect(page.locator("#offer")).to_be_visible()
        page.keyboard.press("Alt+KeyA")  # accept
        expect(items).to_have_count(number)
        expect(items.nth(number - 1)).to_have_attribute("aria-current", "true")  # the one just taken is on screen
        expect(chat.locator(".msg-note").last).to_contain_text("на зв'язку")
    expect(page.locator("#load")).to_have_text("(чатів 2 з 3, дзвінків 0 з 1)")
    expect(page.locator("#my-state")).to_have_text("Розмова")

    # The first citizen writes while the second is on screen: counted as unread, in the list and the tab's title.
    citizen.page.get_by_label("Ваше повідомлення").fill("Які документи потрібні?")
    citizen.page.keyboard.press("Enter")
    expect(items.nth(0).locator(".unread")).to_have_text("1 нових")
    assert page.title().startswith("(1) ")
    page.get_by_label("Ваша відповідь").fill("чернетка для другого")
    page.keyboard.press("Alt+Digit1")
    expect(items.nth(0)).to_have_attribute("aria-current", "true")
    expect(items.nth(0).locator(".unread")).to_have_count(0)
    expect(page.locator("#chat-log .msg")).to_have_text(["Громадянин: Які документи потрібні?"])
    page.get_by_label("Ваша відповідь").fill("/докум")  # a ready reply: "/" and a few letters, then Enter
    expect(page.locator("#canned-list button")).to_have_text(["Документи на субсидію"])
    page.keyboard.press("Enter")
    expect(page.get_by_label("Ваша відповідь")).to_have_value("Паспорт і довідка про доходи.")
    page.keyboard.press("Enter")
    expect(citizen.page.locator(".msg-op .msg-text")).to_have_text(["Паспорт і довідка про доходи."])
    page.keyboard.press("Alt+ArrowDown")  # the next one, its draft kept
    expect(page.get_by_label("Ваша відповідь")).to_have_value("чернетка для другого")
    expect(second_citizen.page.locator(".msg-op")).to_have_count(0)

    page.keyboard.press("Alt+KeyX")  # close the one on screen: the second citizen's
    expect(items).to_have_count(1)
    expect(page.locator("#wrap-up")).to_be_visible()
    expect(page.locator("#my-state")).to_have_text("Розмова")  # still with the first citizen
    page.get_by_role("button", name="Зберегти", exact=True).click()
    expect(page.locator("#wrap-up")).to_be_hidden()
    expect(page.locator("#load")).to_have_text("(чатів 1 з 3, дзвінків 0 з 1)")
    closed = second_citizen.page.locator(".msg-note", has_text="Фахівець завершив розмову. Далі вам відповідає робот.")
    expect(closed).to_be_visible()

    # The first citizen writes of danger in the held chat: the console says so in words, before the message.
    citizen.page.get_by_label("Ваше повідомлення").fill("Я більше не хочу жити")
    citizen.page.keyboard.press("Enter")
    flagged = page.locator("#chat-log .msg-crisis")
    expect(flagged).to_have_count(1)
    expect(flagged.locator(".crisis-flag")).to_have_text("⚠ Увага: кризові слова — можлива небезпека для людини. "
                                                         "Дійте за кризовим порядком.")  # fmt: skip
    expect(flagged).to_contain_text("Громадянин: Я більше не хочу жити")
