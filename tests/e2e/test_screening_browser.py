"""Self-service in the web chat, in a real headless Chromium against `hotline serve`: the questionnaire by
buttons and typing, the result with a link per measure, and a specialist (screenshots in test-results/); axe
while it asks and on its result; the emergency notice on top while in force, both languages marked, gone by
itself when it ends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hotline.db import make_engine, make_sessionmaker, transaction, utcnow
from selfservice.models import Notice
from tests.accessibility import axe
from tests.conftest import ROOT, LiveServer
from tests.e2e.conftest import Tab
from tests.e2e.test_webchat_browser import MESSAGES, last_bot, open_chat, posted_to, send_text

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "test-results"


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def tap(page: Any, label: str) -> dict[str, Any]:
    with page.expect_response(posted_to(MESSAGES)) as answer:
        page.get_by_role("button", name=label, exact=True).click()
    assert answer.value.status == 200
    return dict(answer.value.json())


def test_a_family_finds_out_what_it_may_get_by_buttons_and_typing(phone: Tab) -> None:
    expect, page = _expect(), phone.page
    open_chat(phone)
    tap(page, "Консультація, довідки, прийом")
    first = tap(page, "На яку допомогу я маю право")
    assert first["replies"][0]["intent"] == "benefit_screening"
    expect(last_bot(page)).to_contain_text("Скільки людей у вашій родині")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "screening-webchat-question.png"))
    axe.check(page, "the questionnaire asking")
    send_text(page, "нас п'ятеро")
    tap(page, "Так")
    wrong = send_text(page, "багато")
    assert wrong["replies"][0]["text"].endswith("Назвіть число, наприклад: «двоє» або 2.")
    send_text(page, "3")
    tap(page, "Ні")  # no child under 3
    tap(page, "Ні")  # not a single parent
    tap(page, "Менший за прожитковий мінімум")
    tap(page, "Так, дитина")
    tap(page, "Так")  # needs care
    tap(page, "Ні")  # not displaced
    tap(page, "Ні")  # no veteran
    result = tap(page, "Важко, субсидії немає")
    reply = result["replies"][0]
    assert reply["text_long"].startswith("За вашими відповідями ваша родина, ймовірно, може мати право на таке.")
    labels = [b["label"] for b in reply["buttons"]]
    assert labels[:3] == ["Багатодітні сім'ї", "Допомога малозабезпеченим сім'ям", "Як оформити субсидію"]
    assert labels[-3:] == ["Головне меню", "Назад", "Обговорити з фахівцем"]
    expect(last_bot(page)).to_contain_text("Це попередня оцінка, а не рішення.")
    page.screenshot(path=str(SCREENSHOTS / "screening-webchat-result.png"), full_page=True)
    axe.check(page, "the questionnaire's result")
    measure = tap(page, "Багатодітні сім'ї")
    assert measure["replies"][0]["intent"] == "large_family"
    again = tap(page, "Назад")
    assert again["replies"][0]["text_long"] == reply["text_long"]
    handed = tap(page, "Обговорити з фахівцем")
    assert handed["replies"][0]["handoff"]["reason"] == "benefit_screening"


UK = "Через повітряну тривогу офіс зачинено до 14:00."
RU = "Из-за воздушной тревоги офис закрыт до 14:00."


def _set_notice(live_server: LiveServer, *, seconds: float) -> None:
    """The one notice in force, for `seconds` from now (as the admin page saves it)."""
    engine = make_engine(live_server.env["HOTLINE_DATABASE_URL"])
    with transaction(make_sessionmaker(engine)) as session:
        session.query(Notice).delete()
        now = utcnow()
        session.add(Notice(text_uk=UK, text_ru=RU, starts_at=now, ends_at=now + timedelta(seconds=seconds)))
    engine.dispose()


def test_the_notice_is_on_top_of_the_chat_and_leaves_by_itself(phone: Tab, live_server: LiveServer) -> None:
    expect, page = _expect(), phone.page
    _set_notice(live_server, seconds=3600)
    open_chat(phone)
    notice = page.get_by_role("status").filter(has_text="Увага!")
    expect(notice).to_be_visible()
    expect(notice.locator('p[lang="uk"]')).to_have_text(f"Увага! {UK}")
    expect(notice.locator('p[lang="ru"]')).to_have_text(f"Внимание! {RU}")
    box = notice.bounding_box()
    log = page.get_by_role("log").bounding_box()
    assert box is not None and log is not None and box["y"] < log["y"]  # above the conversation
    axe.check(page, "the chat with an emergency notice")

    _set_notice(live_server, seconds=2)
    page.reload()
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice")).to_be_hidden()  # its end came while the page stayed open
    page.reload()
    expect(page.locator("#notice")).to_have_count(0)
