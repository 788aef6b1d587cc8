"""Offers are never missed, and the supervisor sees the line: in headless Chromium, an operator's console
and another staff page of hers, a supervisor's wallboard and a citizen's web chat, against `hotline serve`.

The sound and the browser notification are asserted through the page's own calls: `Audio` and
`Notification` are replaced in each page by an init script that records them (the browser's boundary).
axe runs on the other page while it rings and after the missed offer, and on the wallboard with its alarms
and while it watches a chat."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.accessibility import axe
from tests.conftest import LiveServer
from tests.e2e.conftest import PHONE, Tab, _open_tab, browser  # noqa: F401  (the browser fixture)
from tests.queue.test_console_browser import PASSWORD, _expect, add_operator, console

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
# Records what the page plays and shows; `permission` is what the browser would answer.
STUBS = """
window.__rings = []; window.__notes = []; window.__asked = 0;
window.Audio = class {
  constructor(src) { this.src = src; }
  play() { window.__rings.push(this.src); return Promise.resolve(); }
};
window.Notification = class {
  constructor(title, options) { window.__notes.push({ title, ...options }); }
  addEventListener() {} close() {}
  static requestPermission() {
    window.__asked += 1; window.Notification.permission = "granted"; return Promise.resolve("granted");
  }
};
window.Notification.permission = "%s";
"""


@pytest.fixture(scope="module")
def short_offers() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOTLINE_QUEUE_TICK_SECONDS", "0.2")
        patch.setenv("HOTLINE_QUEUE_OFFER_TIMEOUT_SECONDS", "5")
        yield


@pytest.fixture(scope="module")
def live_server(short_offers: None, live_server: LiveServer) -> LiveServer:
    return live_server


def _stubbed(tab: Tab, permission: str = "granted") -> Tab:
    tab.page.context.add_init_script(STUBS % permission)
    tab.page.reload()
    return tab


def _all(pages: list[Any], what: str) -> list[Any]:
    return [item for page in pages for item in page.evaluate(f"window.{what}")]


def _until(check: Any, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.1)


@pytest.fixture
def supervisor(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    added = live_server.hotline(
        "user", "add", "svitlana", "--role", "supervisor", "--name", "Світлана", input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert added.returncode == 0, added.stderr
    for tab in _open_tab(browser, live_server, viewport={"width": 1400, "height": 1000}, locale="uk-UA"):
        tab.page.context.add_init_script(STUBS % "granted")
        tab.page.goto("/supervisor")
        tab.page.get_by_label("Користувач").fill("svitlana")
        tab.page.get_by_label("Пароль").fill(PASSWORD)
        tab.page.get_by_role("button", name="Увійти").click()
        _expect()(tab.page.get_by_role("heading", level=1)).to_have_text("Табло старшого фахівця")
        yield tab


@pytest.fixture
def citizen(browser: Any, live_server: LiveServer) -> Iterator[Tab]:  # noqa: F811
    yield from _open_tab(browser, live_server, viewport=PHONE, locale="uk-UA", has_touch=True)


def test_an_offer_rings_everywhere_a_missed_one_pauses_and_the_supervisor_sees_and_whispers(
    browser: Any,  # noqa: F811
    live_server: LiveServer,
    supervisor: Tab,
    citizen: Tab,
) -> None:
    expect, chat, board = _expect(), citizen.page, supervisor.page
    add_operator(live_server, "olena", skills=())
    tabs = console(browser, live_server, "olena")
    olena = _stubbed(next(tabs))
    cases = olena.page.context.new_page()  # another staff page of hers, in another tab
    cases.goto("/operator/cases")
    olena.page.bring_to_front()
    olena.page.click("#go-available")
    expect(olena.page.locator("#my-state")).to_have_text("Готовий приймати звернення")
    board.get_by_role("button", name="Увімкнути звук тривог").click()
    chimes = len(board.evaluate("window.__rings"))

    chat.goto("/")
    chat.get_by_role("button", name="Українська", exact=True).click()
    chat.get_by_role("button", name="Фахівець").last.click()

    # It rings: a banner with the countdown on the other page, one notification and a sound across both tabs.
    ringer = cases.locator(".ringer")
    expect(ringer).to_contain_text("Нове звернення для вас")
    expect(ringer).to_contain_text("залишилось")
    _until(lambda: len(_all([olena.page, cases], "__notes")) == 1 and _all([olena.page, cases], "__rings"))
    [note] = _all([olena.page, cases], "__notes")
    assert note["title"] == "Нове звернення для вас" and "Загальні питання · українська" in note["body"]
    assert set(_all([olena.page, cases], "__rings")) == {"/operator/static/ring.wav"}
    # On offer, the conversation still counts as waiting: on the wallboard and in the console.
    general = board.locator("tr[data-queue='general:uk']")
    expect(general.locator("td").first).to_have_text("1 (з них пропоновано 1)")
    expect(olena.page.locator("#queues tbody tr td:nth-child(2)")).to_have_text(["1 (пропонується 1)"])
    cases.screenshot(path=str(SCREENSHOTS / "console-offer-on-another-page.png"))
    axe.check(cases, "another staff page ringing with an offer")

    # Nobody answers: she is paused for it, told so on every page, and the supervisor sees it at once.
    expect(ringer).to_contain_text("Ви пропустили звернення, тому вас поставлено на перерву.", timeout=15_000)
    expect(olena.page.locator("#my-reason")).to_have_text("(Пропущене звернення)")
    alarms = board.locator("#alarms li")
    expect(alarms).to_contain_text(["«Загальні питання · українська»: ніхто на зміні не може прийняти"])
    expect(alarms.filter(has_text="Olena пропустив звернення і стоїть на перерві")).to_have_count(1)
    expect(board.locator("tr[data-operator]").filter(has_text="Olena")).to_have_class("alarm")
    _until(lambda: len(board.evaluate("window.__rings")) > chimes)  # an alarm that starts chimes
    expect(olena.page.locator("#queues tr.alarm .unserved")).to_contain_text("ніхто на зміні не може прийняти")
    board.screenshot(path=str(SCREENSHOTS / "wallboard-alarms.png"), full_page=True)
    axe.check(board, "the wallboard with alarms")
    axe.check(cases, "another staff page after a missed offer")

    # One click and she takes work again: the conversation is offered to her at once.
    cases.get_by_role("button", name="Я на місці: приймати звернення").click()
    expect(ringer).to_contain_text("Нове звернення для вас")
    olena.page.bring_to_front()
    olena.page.get_by_role("button", name="Прийняти").click()
    expect(olena.page.locator("#conversation")).to_be_visible()
    expect(ringer).to_be_hidden()
    expect(alarms).to_have_count(0)

    # The supervisor watches silently (personal data masked) and whispers; the citizen sees none of it.
    chat.get_by_label("Ваше повідомлення").fill("Мій номер 0671234567, передзвоніть")
    chat.keyboard.press("Enter")
    expect(olena.page.locator("#chat-log")).to_contain_text("0671234567")
    board.locator("tr[data-operator]").filter(has_text="Olena").get_by_role("button", name="Переглянути").click()
    silent = board.locator("#silent-log")
    expect(silent).to_contain_text("Мій номер [телефон], передзвоніть")
    assert "0671234567" not in board.content()
    expect(board.locator("#silent-status")).to_have_text("Розмову веде: Olena")
    board.get_by_label("Підказка фахівцю (громадянин її не побачить)").fill("Запропонуйте зворотний дзвінок")
    board.get_by_role("button", name="Надіслати підказку").click()
    expect(olena.page.locator("#chat-log .msg-whisper")).to_have_text(
        "Підказка старшого фахівця: Запропонуйте зворотний дзвінок"
    )
    expect(silent.locator(".msg-whisper")).to_contain_text("Запропонуйте зворотний дзвінок")
    board.screenshot(path=str(SCREENSHOTS / "wallboard-silent-view.png"), full_page=True)
    axe.check(board, "the wallboard watching a chat")
    olena.page.get_by_label("Ваша відповідь").fill("Добре, передзвоню")
    olena.page.keyboard.press("Enter")
    expect(chat.locator(".msg-op .msg-text")).to_have_text(["Добре, передзвоню"])
    assert "Запропонуйте" not in chat.content()

    # Once it is over, the supervisor may read it unmasked with a reason (the privacy audit records it).
    olena.page.get_by_role("button", name="Завершити розмову").click()
    expect(board.locator("#silent-status")).to_have_text("Розмова вже не триває.")
    board.get_by_label("Причина (не менше 10 символів, її буде записано в журнал)").fill("Скарга громадянина №12")
    board.get_by_role("button", name="Розкрити").click()
    expect(silent).to_contain_text("Мій номер 0671234567, передзвоніть")
    olena.page.get_by_role("button", name="Зберегти").click()
    expect(olena.page.locator("#my-state")).to_have_text("Готовий приймати звернення")
    row = board.locator("tr[data-operator]").filter(has_text="Olena")
    expect(row.locator("td").nth(3)).to_have_text("1")  # handled today
    olena.page.click("#go-offline")
    cases.close()
    next(tabs, None)


def test_the_console_asks_once_may_it_notify(browser: Any, live_server: LiveServer) -> None:  # noqa: F811
    expect = _expect()
    add_operator(live_server, "maria", skills=())
    tabs = console(browser, live_server, "maria")
    maria = _stubbed(next(tabs), permission="default")
    page = maria.page
    expect(page.locator("#ask-notifications")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "console-asks-for-notifications.png"))
    page.get_by_role("button", name="Дозволити сповіщення і звук").click()
    expect(page.locator("#ask-notifications")).to_be_hidden()
    assert page.evaluate("window.__asked") == 1
    assert page.evaluate("window.__rings") == ["/operator/static/ring.wav"]  # what an offer sounds like
    page.reload()
    expect(page.locator("#my-state")).to_have_text("Не на лінії")
    expect(page.locator("#ask-notifications")).to_be_hidden()  # asked once
    assert page.evaluate("window.__asked") == 0
    next(tabs, None)
