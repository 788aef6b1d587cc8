"""The operator console in headless Chromium, after the first answer: an offer left ringing goes to
the next operator (the first is paused for it); closing hands the citizen back to the robot, and a
second request for a person reaches the queue again; the registry case link carries the conversation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.e2e.conftest import Tab, browser  # noqa: F401  (the browser fixture)
from tests.queue.test_console_browser import _expect, add_operator, citizen, console  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def short_offers() -> Iterator[None]:
    """The live server below offers a conversation for 4 seconds only, and ticks often."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOTLINE_QUEUE_TICK_SECONDS", "0.2")
        patch.setenv("HOTLINE_QUEUE_OFFER_TIMEOUT_SECONDS", "4")
        yield


@pytest.fixture(scope="module")
def live_server(short_offers: None, live_server: LiveServer) -> LiveServer:
    return live_server


@pytest.fixture
def open_console(browser: Any, live_server: LiveServer) -> Iterator[Callable[[str], Tab]]:  # noqa: F811
    """Opens the console of a new operator of every queue; each is closed (and checked) afterwards."""
    with ExitStack() as stack:

        def open_one(name: str) -> Tab:
            add_operator(live_server, name, skills=())
            tabs = console(browser, live_server, name)
            stack.callback(next, tabs, None)  # runs the rest: the context closes, script errors fail
            return next(tabs)

        yield open_one


def ask_for_a_person(chat: Any) -> None:
    chat.get_by_role("button", name="Фахівець").last.click()
    _expect()(chat.get_by_role("status").filter(has_text="Ви перший у черзі")).to_be_visible()


def take_and_close(tab: Tab, conversation: str) -> None:
    expect, page = _expect(), tab.page
    page.get_by_role("button", name="Прийняти").click()
    expect(page.locator("#conversation")).to_be_visible()
    link = page.locator("#conversation .open-case")
    expect(link).to_have_attribute("href", f"/operator/cases/new?conversation={conversation}")
    page.get_by_role("button", name="Завершити розмову").click()
    expect(page.locator("#wrap-up")).to_be_visible()
    page.get_by_role("button", name="Зберегти").click()
    expect(page.locator("#my-state")).to_have_text("Готовий приймати звернення")


def test_a_missed_offer_goes_to_the_next_operator_and_a_closed_chat_can_ask_again(
    open_console: Callable[[str], Tab],
    citizen: Tab,  # noqa: F811  (the imported fixture)
) -> None:
    expect, chat = _expect(), citizen.page
    olena, petro = open_console("olena"), open_console("petro")
    chat.goto("/")
    chat.get_by_role("button", name="Українська", exact=True).click()
    olena.page.click("#go-available")
    expect(olena.page.locator("#my-state")).to_have_text("Готовий приймати звернення")
    petro.page.click("#go-available")  # idle for a shorter time: Olena is offered first
    expect(petro.page.locator("#my-state")).to_have_text("Готовий приймати звернення")
    ask_for_a_person(chat)
    conversation = chat.evaluate("JSON.parse(sessionStorage.getItem('hotline.chat')).sessionId")

    # Olena lets it ring: she is paused for it, and the conversation goes to Petro.
    expect(olena.page.locator("#offer")).to_be_visible()
    expect(olena.page.locator("#offer-left")).to_contain_text("Залишилось")
    expect(olena.page.locator("#offer")).to_be_hidden()
    expect(olena.page.locator("#my-state")).to_have_text("Перерва")
    expect(olena.page.locator("#my-reason")).to_have_text("(Пропущене звернення)")
    expect(petro.page.locator("#offer")).to_be_visible()
    expect(petro.page.locator("#offer .facts")).to_contain_text("Загальні питання · українська")
    expect(petro.page).to_have_title("● Нове звернення для вас — Консоль фахівця")
    take_and_close(petro, conversation)
    notes = chat.locator(".msg-note")
    expect(notes.last).to_have_text("Оцініть, будь ласка, як вам допомогли: від 1 (погано) до 5 (чудово).")
    expect(notes.nth(notes.count() - 2)).to_have_text("Фахівець завершив розмову. Далі вам відповідає робот.")
    expect(chat.locator(".chip")).to_have_text(["1", "2", "3", "4", "5"])  # rating is a choice, not a must

    # Back with the robot: it answers, and asking for a person again joins the queue again.
    chat.get_by_label("Ваше повідомлення").fill("Коли ви працюєте?")
    chat.keyboard.press("Enter")
    expect(chat.locator(".msg-bot").last).to_contain_text("Графік роботи")
    expect(chat.locator("#handoff")).to_be_hidden()
    ask_for_a_person(chat)
    expect(petro.page.locator("#offer")).to_be_visible()
    take_and_close(petro, conversation)
    queues = petro.page.locator("#queues tbody tr td:nth-child(1)")  # by the office's names, not ids
    expect(queues).to_have_text(["Консультація, довідки, прийом · українська", "Загальні питання · українська"])
    expect(petro.page.locator("#queues tbody tr td:nth-child(6)")).to_have_text(["1", "1"])  # answered today

    # Olena pauses with a reason; the registry case form opens with the conversation filled in.
    olena.page.select_option("#pause-reason", "lunch")
    olena.page.click("#go-pause")
    expect(olena.page.locator("#my-reason")).to_have_text("(Обід)")
    petro.page.goto(f"/operator/cases/new?conversation={conversation}")
    expect(petro.page.locator("input[name=conversation_id]")).to_have_value(conversation)
    assert citizen.dialogs == [] and olena.dialogs == [] and petro.dialogs == []
    petro.page.goto("/operator")
    petro.page.click("#go-offline")  # nobody is left to take the next test's conversation
    expect(petro.page.locator("#my-state")).to_have_text("Не на лінії")


def test_the_console_says_what_went_wrong_in_its_language_and_an_ended_session_goes_to_login(
    open_console: Callable[[str], Tab],
    citizen: Tab,  # noqa: F811  (the imported fixture)
) -> None:
    expect, chat, page = _expect(), citizen.page, open_console("anna").page
    chat.goto("/")
    chat.get_by_role("button", name="Українська", exact=True).click()
    ask_for_a_person(chat)
    page.click("#go-available")
    page.get_by_role("button", name="Прийняти").click()
    expect(page.locator("#my-state")).to_have_text("Розмова")
    page.click("#go-offline")  # refused while she holds a conversation, and told why in Ukrainian
    expect(page.locator("#notice")).to_have_text("Спершу завершіть поточну розмову.")
    page.get_by_role("button", name="Завершити розмову").click()
    page.get_by_role("button", name="Зберегти").click()
    expect(page.locator("#my-state")).to_have_text("Готовий приймати звернення")

    page.context.clear_cookies()  # the session is over (expired, or logged out elsewhere)
    page.click("#go-offline")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Foperator$"))
    expect(page.get_by_label("Користувач")).to_be_visible()
