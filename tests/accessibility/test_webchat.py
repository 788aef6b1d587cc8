"""The citizen's web chat as people with low vision, a screen reader or only a keyboard meet it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accessibility import axe
from tests.e2e.conftest import Tab
from tests.e2e.test_webchat_browser import SESSIONS, open_chat, posted_to, send_text

pytestmark = pytest.mark.browser

# The colour behind an element: the first ancestor that paints one (the page is white where none does).
BACKGROUND = """(el) => {
    for (let node = el.parentElement; node; node = node.parentElement) {
        const bg = getComputedStyle(node).backgroundColor;
        if (bg && !bg.endsWith(", 0)") && bg !== "transparent") return bg;
    }
    return "rgb(255, 255, 255)";
}"""
RING = """(el) => {
    const s = getComputedStyle(el);
    const name = el.textContent || el.id;
    return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor, name};
}"""


def _luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_first_screen_asks_for_the_language_without_a_request_and_marks_russian(phone: Tab) -> None:
    from playwright.sync_api import expect

    page = phone.page
    page.goto("/")
    russian = page.get_by_role("button", name="Русский", exact=True)
    expect(russian).to_have_attribute("lang", "ru")
    expect(page.get_by_role("button", name="Українська", exact=True)).to_have_attribute("lang", "uk")
    question = page.locator(".msg-bot .msg-text [lang]")
    expect(question).to_have_text(["Оберіть мову спілкування.", "Выберите язык общения."])
    assert question.evaluate_all("spans => spans.map(s => s.lang)") == ["uk", "ru"]
    page.wait_for_load_state("networkidle")
    assert not [url for url in phone.requests if "/api/" in url], phone.requests
    axe.check(page, "the chat before the language")
    with page.expect_response(posted_to(SESSIONS)) as created:
        russian.click()
    assert created.value.request.post_data_json == {"lang": "ru"}
    expect(page.locator("html")).to_have_attribute("lang", "ru")


def test_every_focus_ring_and_the_text_box_border_stand_out_3_to_1(phone: Tab) -> None:
    page = phone.page
    open_chat(phone)
    send_text(page, "Як оформити житлову субсидію?")  # an answer with links and buttons under it
    rings: dict[str, dict[str, Any]] = {}
    for _ in range(40):  # every stop of the Tab order, round once (the page's end passes through the body)
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        if page.evaluate("(el) => el === document.body", focused):
            continue
        ring = page.evaluate(RING, focused)
        if ring["name"] in rings:
            break
        rings[ring["name"]] = {**ring, "around": page.evaluate(BACKGROUND, focused)}
    assert len(rings) >= 6, rings  # the two languages, the answer's chips, the text box (Send is off while empty)
    for ring in rings.values():
        assert ring["style"] != "none" and ring["width"] >= 2, ring
        assert contrast(ring["color"], ring["around"]) >= 3, ring
    box = page.get_by_label("Ваше повідомлення")
    border = box.evaluate("(el) => getComputedStyle(el).borderTopColor")
    assert contrast(border, box.evaluate(BACKGROUND)) >= 3, border
    assert contrast(border, box.evaluate("(el) => getComputedStyle(el).backgroundColor")) >= 3, border
