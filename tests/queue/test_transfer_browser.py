"""Transfer, typing and seen in headless Chromium against `hotline serve`: an operator hands a web chat to a
colleague on the line with a note, by keyboard; the citizen is told in their language; the colleague's console
(in Russian) rings with the offer, shows the transfer and its note, and after accept the earlier messages and
private notes; the first operator wraps up. Both sides see the other typing and which messages were seen. The
search over conversations, by keyboard, in Ukrainian and Russian. axe runs on the pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from hotline.conversation_log import Conversation
from hotline.db import make_engine, make_sessionmaker, transaction
from specialist_queue.chat import ChatMessage
from specialist_queue.transfer import TOLD
from tests.accessibility import axe
from tests.conftest import LiveServer
from tests.e2e.conftest import PHONE, Tab, _open_tab, browser  # noqa: F401  (the browser fixture)
from tests.queue.test_console_browser import _expect, add_operator, ask_for_a_person, console
from tests.queue.test_supervision_browser import _stubbed, _until, live_server, short_offers  # noqa: F401

pytestmark = pytest.mark.browser
NOTE = "Питає про перерахунок <b>субсидії</b>"  # shown as text, never as markup


@pytest.fixture
def oksana(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    add_operator(live_server, "oksana")
    yield from console(browser, live_server, "oksana")


@pytest.fixture
def taras(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    add_operator(live_server, "taras")
    for tab in console(browser, live_server, "taras"):
        _stubbed(tab)  # records the sound and the notification the page plays
        tab.page.goto("/operator?lang=ru")
        _expect()(tab.page.locator("#my-state")).to_have_text("Не на линии")
        yield tab


@pytest.fixture
def citizen(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    yield from _open_tab(browser, live_server, viewport=PHONE, locale="uk-UA", has_touch=True)


def test_a_chat_goes_to_a_colleague_with_a_note_the_citizen_is_told_and_the_colleague_gets_it_all(
    oksana: Tab, taras: Tab, citizen: Tab
) -> None:
    expect, page, other = _expect(), oksana.page, taras.page
    page.get_by_role("button", name="Приймати звернення").click()
    ask_for_a_person(citizen.page)
    expect(page.locator("#offer")).to_be_visible()
    page.keyboard.press("Alt+KeyA")
    expect(page.locator("#conversation")).to_be_visible()
    citizen.page.get_by_label("Ваше повідомлення").fill("Мені перерахували субсидію неправильно")
    citizen.page.keyboard.press("Enter")
    page.get_by_label("Нова нотатка").fill("Має довідку про доходи")
    page.get_by_role("button", name="Додати нотатку").click()
    expect(page.locator("#notes-log li")).to_have_text(["Має довідку про доходи"])
    other.get_by_role("button", name="Принимать обращения").click()
    expect(other.locator("#my-state")).to_have_text("Готов принимать обращения")

    page.locator("#transfer summary").focus()
    page.keyboard.press("Enter")  # opens the transfer box; the colleagues on the line are read then
    choice = page.get_by_label("Кому передати")
    expect(choice.locator("option", has_text="Taras")).to_be_enabled()
    choice.select_option(label="Taras")
    page.get_by_label("Що передати колезі (громадянин цього не бачить)").fill(NOTE)
    axe.check(page, "the console with the transfer box open")
    page.get_by_role("button", name="Передати", exact=True).focus()
    page.keyboard.press("Enter")

    expect(page.locator("#wrap-up")).to_be_visible()
    expect(page.locator("#my-state")).to_have_text("Завершення звернення")
    expect(page.locator("#my-conversations")).to_be_hidden()
    expect(citizen.page.locator(".msg-op .msg-text").last).to_have_text(TOLD["colleague"]["uk"])

    expect(other.locator("#offer")).to_be_visible()  # it rings as any offer
    _until(lambda: other.evaluate("window.__rings.length") > 0)
    transfers = other.locator("#offer .transfers li")
    expect(transfers).to_have_text([f"Oksana → Taras — «{NOTE}»"])
    assert other.locator("#offer .transfers b").count() == 0
    expect(other.locator("#offer .context h3").first).to_have_text("Передано")
    axe.check(other, "a colleague's console offered a transferred chat (Russian)")
    other.keyboard.press("Alt+KeyA")
    expect(other.locator("#conversation")).to_be_visible()
    expect(other.locator("#notes-log li")).to_have_text(["Має довідку про доходи"])  # the first one's notes
    log = other.locator("#chat-log .msg")
    expect(log.first).to_have_text("Гражданин: Мені перерахували субсидію неправильно")
    expect(log.last).to_have_text(f"Специалист: {TOLD['colleague']['uk']}")
    other.get_by_label("Ваш ответ").fill("Доброго дня, продовжу я.")
    other.keyboard.press("Enter")
    expect(citizen.page.locator(".msg-op .msg-text").last).to_have_text("Доброго дня, продовжу я.")

    page.get_by_role("button", name="Зберегти", exact=True).click()  # the first operator's wrap-up
    expect(page.locator("#my-state")).to_have_text("Готовий приймати звернення")
    page.locator("#go-offline").click()  # the next test's conversation is not hers
    expect(page.locator("#my-state")).to_have_text("Не на лінії")
    other.keyboard.press("Alt+KeyX")
    expect(other.locator("#wrap-up")).to_be_visible()


@pytest.fixture
def lesia(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    add_operator(live_server, "lesia")
    yield from console(browser, live_server, "lesia")


def test_typing_and_seen_go_both_ways_in_a_web_chat_and_nothing_of_them_is_stored(
    lesia: Tab,
    citizen: Tab,
    live_server: LiveServer,  # noqa: F811
) -> None:
    expect, page, chat = _expect(), lesia.page, citizen.page
    page.get_by_role("button", name="Приймати звернення").click()
    ask_for_a_person(chat)
    expect(page.locator("#offer")).to_be_visible()
    page.keyboard.press("Alt+KeyA")
    expect(chat.locator(".msg-note").last).to_contain_text("на зв'язку")

    box = chat.get_by_label("Ваше повідомлення")
    box.press_sequentially("Доброго")  # keystrokes: the page says the citizen types (once, throttled)
    expect(page.locator("#citizen-typing")).to_have_text("Громадянин друкує…")
    expect(page.locator("#citizen-typing")).to_be_visible()
    box.press_sequentially(" дня")
    chat.keyboard.press("Enter")
    expect(page.locator("#chat-log .msg")).to_have_text(["Громадянин: Доброго дня"])
    expect(page.locator("#citizen-typing")).to_be_hidden()  # what they typed has come
    # The console had it on screen: the citizen sees their message was seen.
    expect(chat.locator(".msg-me + .seen")).to_have_text("✓ Переглянуто")

    reply = page.get_by_label("Ваша відповідь")
    reply.press_sequentially("Зараз")
    expect(chat.locator("#op-typing")).to_be_visible()
    expect(chat.locator("#op-typing")).to_contain_text("Фахівець друкує…")
    axe.check(chat, "the web chat while the specialist types and a message is seen")
    reply.press_sequentially(" перевірю.")
    page.keyboard.press("Enter")
    expect(chat.locator(".msg-op .msg-text")).to_have_text(["Зараз перевірю."])
    expect(chat.locator("#op-typing")).to_be_hidden()
    expect(page.locator("#chat-log .msg").last).to_have_text("Фахівець: Зараз перевірю.")
    expect(page.locator("#chat-log .msg + .seen")).to_have_text("✓ Переглянуто")
    axe.check(page, "the console with the citizen's seen mark")

    engine = make_engine(live_server.env["HOTLINE_DATABASE_URL"])
    with make_sessionmaker(engine)() as session:  # typing and seen are Redis signals only
        conversation = chat.evaluate("JSON.parse(sessionStorage.getItem('hotline.chat')).sessionId")
        stored = session.scalars(select(ChatMessage.text).where(ChatMessage.conversation_id == conversation)).all()
    engine.dispose()
    assert stored == ["Доброго дня", "Зараз перевірю."]
    page.keyboard.press("Alt+KeyX")
    expect(page.locator("#wrap-up")).to_be_visible()


def test_search_by_keyboard_in_both_languages_and_a_bad_value_said_on_the_page(
    browser: Any,  # noqa: F811
    live_server: LiveServer,  # noqa: F811
) -> None:
    expect, word = _expect(), f"перерахунок{uuid.uuid4().hex[:6]}"
    engine = make_engine(live_server.env["HOTLINE_DATABASE_URL"])
    with transaction(make_sessionmaker(engine)) as session:  # a conversation as the web chat records it
        conversation_id = uuid.uuid4().hex
        session.add(Conversation(id=conversation_id, channel="web", lang="ru", handoff_queue="general"))
        session.flush()
        session.add(ChatMessage(conversation_id=conversation_id, sender="citizen", text=f"<i>{word}</i> будь ласка"))
    engine.dispose()
    add_operator(live_server, "maksym")
    for tab in console(browser, live_server, "maksym"):
        page = tab.page
        page.get_by_role("link", name="Пошук розмов").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Пошук розмов")
        page.get_by_label("Канал").select_option(label="Веб-чат")
        page.get_by_label("Слова з розмови").fill(word.upper())  # whatever the case
        page.keyboard.press("Enter")  # submits the form
        expect(page.get_by_role("heading", name="Знайдено: 1")).to_be_visible()
        expect(page.locator("#results tbody tr td").nth(2)).to_have_text("російська")
        axe.check(page, "the search with a result")
        page.goto(page.url + "&lang=ru")
        expect(page.get_by_role("heading", name="Найдено: 1")).to_be_visible()
        expect(page.locator("#results tbody tr td").nth(4)).to_have_text("только робот")
        axe.check(page, "the search in Russian")
        page.goto("/operator/search?from=2026-02-30&lang=uk")
        expect(page.get_by_role("alert")).to_contain_text("Пошук не виконано: З дати — потрібна дата")
        expect(page.get_by_role("alert")).not_to_contain_text("from")
        axe.check(page, "the search refusing a date")
