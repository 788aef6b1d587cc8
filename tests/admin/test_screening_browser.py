"""The questionnaire's admin page in a real headless Chromium: reached from the tree editor, edited, tried on
sample answers (screenshots in test-results/)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin.test_admin_browser import SCREENSHOTS, _expect, admin, staff  # noqa: F401  (fixtures)
from tests.e2e.conftest import browser  # noqa: F401  (the shared headless Chromium fixture)

pytestmark = pytest.mark.browser


def test_an_admin_edits_and_tries_the_questionnaire(admin: Any) -> None:  # noqa: F811
    expect, page = _expect(), admin
    page.goto("/admin/tree?node=benefit_screening")
    page.get_by_role("link", name="Опитування цього питання →").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Опитування «На що я маю право»")
    page.get_by_label("Умова 1", exact=True).fill("kids >= 3")
    page.get_by_role("button", name="Зберегти", exact=True).click()
    expect(page.locator(".flash")).to_have_text("Опитування збережено в чернетці.")
    expect(page.locator(".problems-box")).to_contain_text("такого питання немає серед поставлених раніше")
    page.get_by_label("Умова 1", exact=True).fill("child_under_3 = yes")
    page.get_by_role("button", name="Зберегти", exact=True).click()
    expect(page.locator(".problems-box")).to_have_count(0)
    samples = page.locator(".try-screening")
    samples.get_by_label("Скільки людей у вашій родині, разом з вами? Рахуйте тих, хто живе разом.").fill("4")
    samples.get_by_label("Чи є у родині діти до 18 років?").select_option("yes")
    samples.get_by_label("Скільки дітей до 18 років?").fill("3")
    page.get_by_role("button", name="Перевірити").click()
    expect(page.locator(".tried")).to_contain_text("Далі робот чекає відповіді на: Чи є серед них дитина")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "screening-admin.png"), full_page=True)
