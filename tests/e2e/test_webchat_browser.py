"""The web-chat page in a real headless Chromium against `hotline serve`: what a citizen sees and taps."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from intents.pack import DEMO_PACK, load_pack
from intents.tree import Action, Node
from tests.conftest import ROOT
from tests.e2e.conftest import Tab

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "test-results"
MESSAGES = "/messages"
SESSIONS = "/api/chat/sessions"
# Words from the demo pack's long answers (intents/content/demo.yaml) that no menu text contains.
UK_SUBSIDY_WORD = "декларація про доходи і витрати"
RU_RESIDENCE_WORD = "извлечение из реестра"
# A question the robot answers at once (office_hours): the tests of sessions and retries ride on it.
HOURS_QUESTION = "Коли ви працюєте?"
WAITING = re.compile("Чекаємо на фахівця|у черзі")


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def posted_to(path_end: str) -> Callable[[Any], bool]:
    return lambda r: r.request.method == "POST" and r.url.endswith(path_end)


def last_bot(page: Any) -> Any:
    return page.locator(".msg-bot .msg-text").last


def open_chat(tab: Tab, language: str = "Українська") -> dict[str, Any]:
    """Open `/` and answer the robot's language question (in the page itself) with its button; return the menu reply."""
    page = tab.page
    page.goto("/")
    with page.expect_response(posted_to(SESSIONS)) as answer:
        page.get_by_role("button", name=language, exact=True).click()
    assert answer.value.status == 201
    return dict(answer.value.json())


def send_text(page: Any, text: str, label: str = "Ваше повідомлення") -> dict[str, Any]:
    """Type into the labelled box, press Enter, return the server's answer (asserting a 200)."""
    with page.expect_response(posted_to(MESSAGES)) as answer:
        page.get_by_label(label).fill(text)
        page.keyboard.press("Enter")
    assert answer.value.status == 200, answer.value.text()
    return dict(answer.value.json())


def intents_of(answer: dict[str, Any]) -> list[str | None]:
    return [reply["intent"] for reply in answer["replies"]]


def first_answer_in_a_category() -> tuple[Node, Node]:
    """A top-menu category and a plain-answer intent under it, both with menu keys (from the demo pack)."""
    for category in load_pack(DEMO_PACK).nodes:
        for child in category.children:
            if category.key and child.key and child.is_intent and child.action is Action.ANSWER:
                return category, child
    raise AssertionError("the demo pack has no category with an answer intent in its menu")


def test_on_a_phone_a_citizen_taps_through_the_menu_to_an_answer(phone: Tab, live_server: Any) -> None:
    expect, page = _expect(), phone.page
    category, intent = first_answer_in_a_category()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Управління соціального захисту населення — цілодобова лінія"
    )
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")

    with page.expect_response(posted_to(SESSIONS)) as language:
        page.get_by_role("button", name="Українська", exact=True).click()
    assert language.value.request.post_data_json == {"lang": "uk"}
    # Each tap waits for its own answer: a late menu answer must not pass for the intent's.
    with page.expect_response(posted_to(MESSAGES)):
        page.get_by_role("button", name=category.text("uk").title, exact=True).click()
    with page.expect_response(posted_to(MESSAGES)) as answer:
        page.get_by_role("button", name=intent.text("uk").title, exact=True).click()

    reply = answer.value.json()["replies"][-1]
    assert reply["intent"] == intent.slug
    long_text = intent.text("uk").long
    assert reply["text_long"] == long_text
    # The bubble shows the reading form whole, line breaks and bullets included, as plain text.
    expect(last_bot(page)).to_have_text(long_text)  # whitespace-normalised; exact text below
    assert last_bot(page).text_content() == long_text
    # Addresses and phone numbers in it may be links, but only to web pages or the phone.
    hrefs = last_bot(page).locator("a").evaluate_all("links => links.map(a => a.href)")
    assert all(h.startswith(("https://", "tel:")) for h in hrefs), hrefs
    assert last_bot(page).evaluate("el => getComputedStyle(el.parentElement).whiteSpace") == "pre-line"
    expect(page.locator(".msg-me").last).to_have_text(f"Ви: {intent.text('uk').title}")
    # New chips (repeat / menu / specialist) sit under the answer; phone keys are not shown on them.
    chips = page.locator(".chips .chip")
    expect(chips).to_have_text([b["label"] for b in reply["buttons"]])
    # The answer scrolled into view from its first line, however long it is.
    answer_top, scroller = last_bot(page).bounding_box(), page.locator("#scroller").bounding_box()
    assert scroller["y"] - 1 <= answer_top["y"] < scroller["y"] + scroller["height"]

    # Nothing wider than the phone, and nothing fetched from anywhere but our own server.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in phone.requests), phone.requests
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "webchat-phone.png"))


def test_free_text_is_answered_in_ukrainian_then_in_russian_after_the_switch(phone: Tab) -> None:
    expect, page = _expect(), phone.page
    open_chat(phone)
    answer = send_text(page, "Як оформити житлову субсидію?")
    assert intents_of(answer) == ["housing_subsidy_apply"]
    expect(last_bot(page)).to_contain_text(UK_SUBSIDY_WORD)
    expect(page.locator(".msg-me").last).to_have_text("Ви: Як оформити житлову субсидію?")

    with page.expect_response(posted_to(MESSAGES)) as switched:
        page.get_by_role("button", name="РУС", exact=True).click()
    assert switched.value.status == 200 and switched.value.request.post_data_json["button"] == "lang:ru"
    # The page's own labels follow the language; the conversation goes on, its last answer said again in Russian.
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Управление социальной защиты населения — круглосуточная линия"
    )
    expect(page.get_by_role("button", name="РУС", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".msg-me").first).to_have_text("Вы: Українська")
    expect(page.locator(".msg-me")).to_have_count(2)
    assert intents_of(switched.value.json()) == ["housing_subsidy_apply"]
    expect(last_bot(page)).to_contain_text("Субсидию")
    assert page.evaluate("localStorage.getItem('hotline.chat.lang')") == "ru"

    answer = send_text(page, "Справка о регистрации места жительства", label="Ваше сообщение")
    assert intents_of(answer) == ["residence_certificate"]
    expect(last_bot(page)).to_contain_text(RU_RESIDENCE_WORD)


def test_markup_typed_by_a_citizen_shows_literally_and_runs_nothing(phone: Tab) -> None:
    expect, page = _expect(), phone.page
    open_chat(phone)
    for text in ("<script>alert(1)</script>", '<img src="x" onerror="alert(2)">'):
        send_text(page, text)
        expect(page.locator(".msg-me .msg-text").last).to_have_text(text)
    assert page.locator("#messages script, #messages img").count() == 0
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert phone.dialogs == []


def test_asking_for_a_person_shows_the_handoff_banner(phone: Tab) -> None:
    expect, page = _expect(), phone.page
    open_chat(phone)
    waiting = page.locator(".banner:visible")  # one line: handed over, then the place in the queue
    expect(waiting).to_have_count(0)
    answer = send_text(page, "оператор")
    handoff = answer["replies"][-1]["handoff"]
    assert handoff is not None and handoff["state"] == "waiting"
    expect(waiting).to_have_count(1)
    expect(waiting).to_have_text(WAITING)
    expect(waiting).to_be_in_viewport()


def test_a_reload_keeps_the_conversation_and_the_same_session(phone: Tab) -> None:
    expect, page = _expect(), phone.page
    open_chat(phone)
    send_text(page, "оператор")
    session_id = page.evaluate("JSON.parse(sessionStorage.getItem('hotline.chat')).sessionId")
    shown = page.locator(".msg-text").all_text_contents()

    started = len([u for u in phone.requests if u.endswith(SESSIONS)])
    page.reload()
    expect(page.locator(".msg-text")).to_have_text(shown)
    expect(page.locator(".banner:visible")).to_have_text(WAITING)
    # Nobody is on shift at the live server: the choices instead of waiting come back too.
    expect(page.get_by_role("button", name="Замовити зворотний дзвінок")).to_be_visible()

    answer = send_text(page, HOURS_QUESTION)
    assert intents_of(answer) == ["office_hours"]  # answered in Ukrainian, not greeted anew
    assert phone.requests[-1].endswith(f"/sessions/{session_id}/messages")
    assert len([u for u in phone.requests if u.endswith(SESSIONS)]) == started


def test_a_session_the_server_does_not_know_is_replaced_and_the_text_still_answered(phone: Tab) -> None:
    expect, page = _expect(), phone.page
    open_chat(phone)
    page.evaluate(
        """() => {
            const saved = JSON.parse(sessionStorage.getItem('hotline.chat'));
            saved.sessionId = '0'.repeat(32);
            sessionStorage.setItem('hotline.chat', JSON.stringify(saved));
        }"""
    )
    page.reload()
    lost = f"{SESSIONS}/{'0' * 32}{MESSAGES}"
    with page.expect_response(posted_to(SESSIONS)) as created, page.expect_response(
        lambda r: posted_to(MESSAGES)(r) and not r.url.endswith(lost)
    ) as answer:
        page.get_by_label("Ваше повідомлення").fill(HOURS_QUESTION)
        page.keyboard.press("Enter")
    assert [status for url, status in phone.responses if url.endswith(lost)] == [404]
    assert created.value.status == 201
    assert answer.value.status == 200
    assert intents_of(answer.value.json()) == ["office_hours"]
    expect(page.get_by_text("Попередня розмова завершилася, починаємо нову.")).to_be_visible()
    expect(page.locator(".notice.error")).to_have_count(0)


def test_over_long_text_cannot_be_sent_and_stays_in_the_box(phone: Tab) -> None:
    expect, page = _expect(), phone.page
    open_chat(phone)
    box, send = page.get_by_label("Ваше повідомлення"), page.get_by_role("button", name="Надіслати")
    counter = page.locator("#counter")
    expect(counter).to_be_hidden()

    too_long = "ї" * 2001
    box.fill(too_long)
    expect(send).to_be_disabled()
    expect(counter).to_be_visible()
    expect(counter).to_contain_text("2001 з 2000")
    expect(box).to_have_attribute("aria-invalid", "true")
    asked = len(phone.requests)
    box.press("Enter")
    page.wait_for_timeout(300)
    assert len(phone.requests) == asked, "an over-long message went to the server"
    expect(box).to_have_value(too_long)

    box.press("Backspace")
    expect(send).to_be_enabled()
    expect(counter).to_contain_text("2000 з 2000")


def test_a_failed_request_keeps_the_text_and_a_retry_sends_it_once(phone: Tab) -> None:
    expect, page = _expect(), phone.page
    open_chat(phone)
    lost: list[dict[str, Any]] = []

    def cut_the_line(route: Any) -> None:
        lost.append(route.request.post_data_json)
        route.abort("internetdisconnected")

    page.route("**/messages", cut_the_line)
    box = page.get_by_label("Ваше повідомлення")
    box.fill(HOURS_QUESTION)
    box.press("Enter")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Не вдалося зв'язатися з лінією")
    expect(box).to_have_value(HOURS_QUESTION)
    expect(page.locator(".msg-me")).to_have_count(1)  # only the language choice: no phantom bubble

    page.unroute("**/messages")
    with page.expect_response(posted_to(MESSAGES)) as answer:
        alert.get_by_role("button", name="Спробувати ще раз").click()
    assert intents_of(answer.value.json()) == ["office_hours"]
    # The same message id: had the first request reached the server, it would not be answered twice.
    assert answer.value.request.post_data_json["message_id"] == lost[0]["message_id"]
    expect(alert).to_have_count(0)
    expect(box).to_have_value("")
    expect(page.locator(".msg-me").last).to_have_text(f"Ви: {HOURS_QUESTION}")


def test_page_labels_follow_the_browser_language_and_the_choice_is_remembered(russian_phone: Tab) -> None:
    expect, page = _expect(), russian_phone.page
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_label("Ваше сообщение")).to_be_visible()
    with page.expect_response(posted_to(SESSIONS)):
        page.get_by_role("button", name="Українська", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("button", name="УКР", exact=True)).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("localStorage.getItem('hotline.chat.lang')") == "uk"

    # A new tab has no session: it starts in the remembered language without asking again.
    fresh = page.context.new_page()
    with fresh.expect_response(posted_to(SESSIONS)) as created:
        fresh.goto("/")
    assert created.value.request.post_data_json == {"lang": "uk"}
    expect(fresh.get_by_label("Ваше повідомлення")).to_be_visible()
    fresh.close()


def test_the_header_switch_also_answers_the_robots_language_question(russian_phone: Tab) -> None:
    expect, page = _expect(), russian_phone.page
    page.goto("/")
    expect(page.get_by_role("button", name="Русский", exact=True)).to_be_visible()
    # РУС is already pressed (the browser prefers Russian), yet the robot still asks: pressing it answers.
    with page.expect_response(posted_to(SESSIONS)) as created:
        page.get_by_role("button", name="РУС", exact=True).click()
    assert created.value.request.post_data_json == {"lang": "ru"}
    assert created.value.json()["lang"] == "ru"
    expect(page.get_by_role("button", name="Русский", exact=True)).to_have_count(0)
    expect(page.locator(".msg-bot")).to_have_count(1)
