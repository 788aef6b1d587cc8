"""The operator's flow in headless Chromium against `hotline serve` using the sandbox registry:
log in, open a case, record consent, request a certificate, watch it become ready, open the PDF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.accessibility import axe
from tests.conftest import LiveServer
from tests.e2e.conftest import Tab
from tests.registry.conftest import PASSWORD, Sandbox

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def registry_env(sandbox: Sandbox) -> Iterator[None]:
    """Point the live server (started after this) at the sandbox, with a quick worker."""
    patch = pytest.MonkeyPatch()
    patch.setenv("HOTLINE_REGISTRY_URL", sandbox.registry_url)
    patch.setenv("HOTLINE_REGISTRY_POLL_SECONDS", "0.2")
    yield
    patch.undo()


@pytest.fixture(scope="module")
def server(registry_env: None, live_server: LiveServer) -> LiveServer:
    added = live_server.hotline("user", "add", "olena", "--role", "operator", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.returncode == 0, added.stderr
    return live_server


@pytest.fixture
def tab(browser: Any, server: LiveServer) -> Iterator[Tab]:
    context = browser.new_context(base_url=server.url, locale="uk-UA")
    opened = Tab(context.new_page())
    yield opened
    context.close()
    assert not opened.errors, f"script errors on the page: {opened.errors}"


def test_an_operator_gets_a_certificate_without_paper(tab: Tab, clean_sandbox: Sandbox) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto("/operator/cases")
    expect(page).to_have_url(re.compile(r"/login"))
    axe.check(page, "the login form")
    page.fill("#username", "olena")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/operator/cases$"))

    axe.check(page, "the list of cases")
    page.click("#new-case")
    axe.check(page, "a new case")
    page.select_option("#kind", "housing_subsidy")
    page.fill("#full_name", "Шевченко Марія Іванівна")
    page.fill("#birth_date", "1978-04-12")
    page.select_option("#id_kind", "rnokpp")
    page.fill("#id_value", "2876543211")
    page.click("#case-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Житлова субсидія")
    expect(page.locator("#no-consent")).to_be_visible()
    axe.check(page, "a case without consent")

    page.select_option("#basis", "application")
    page.fill("#reference", "заява № 17 від 01.12.2026")
    page.click("#consent-form button[type=submit]")
    expect(page.locator("#consents")).to_contain_text("заява № 17")

    clean_sandbox.faults(fault="none", latency_ms=1500)  # slow enough to watch the state change live
    expect(page.locator("#purpose")).to_have_value("Призначення житлової субсидії")
    page.fill("#purpose", "Призначення житлової субсидії, заява № 17")
    page.click("#request-form button[type=submit]")
    expect(page.locator("#requests .state")).to_have_text("Надіслано, виконується")
    expect(page.locator("#requests .state")).to_have_text("Готово", timeout=20_000)
    expect(page.locator("#certificates")).to_contain_text("вул. Садова, буд. 12, кв. 5")
    axe.check(page, "a case with its certificate ready")

    page.click("#certificates a:not(.pdf)")
    expect(page.locator("#household")).to_contain_text("Шевченко Петро Олексійович")
    axe.check(page, "the certificate")
    pdf = page.request.get(page.locator("#pdf").get_attribute("href"))
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
