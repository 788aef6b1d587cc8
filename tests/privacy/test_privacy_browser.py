"""In a real headless Chromium against `hotline serve`: after a conversation full of identifiers, neither
the statistics nor the audit pages (nor the export, /metrics or the server's log) show one; the privacy
page sets periods and finds the citizen. Screenshots go to test-results/ to be looked at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, LiveServer
from tests.e2e.conftest import browser  # noqa: F401  (the shared headless Chromium fixture)

pytestmark = pytest.mark.browser

PASSWORD = "a long admin password"
SCREENSHOTS = ROOT / "test-results"
# A citizen tells the line everything; none of it may be shown where it is not needed.
MESSAGES = (
    "мій РНОКПП 2876543211 а грошей нема",
    "передзвоніть мені на 050 123 45 67",
    "пишіть на olena.koval@ukr.net",
    "картка 4149 4936 6712 7683 не отримала виплату",
    "я Шевченко Марія Іванівна, дата народження 12.04.1978",
    "живу вул. Соборна, 12, кв. 5, паспорт СА 123456",
    "рахунок UA213223130000026007233566001 УНЗР 19780412-01234",
    "мій код два вісім сім шість п'ять чотири три два один один",
)
SECRETS = ("2876543211", "050 123 45 67", "olena.koval", "4149 4936", "Шевченко", "12.04.1978", "Соборна",
           "123456", "UA2132231300", "19780412", "вісім сім шість")  # fmt: skip


@pytest.fixture(scope="module")
def staff(live_server: LiveServer) -> LiveServer:
    live_server.env["HOTLINE_NEW_PASSWORD"] = PASSWORD
    added = live_server.hotline("user", "add", "anna", "--role", "admin")
    assert added.returncode == 0, added.stderr
    return live_server


@pytest.fixture
def page(browser: Any, staff: LiveServer) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(base_url=staff.url, viewport={"width": 1400, "height": 1000}, locale="uk-UA")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("dialog", lambda dialog: dialog.accept())
    tab.goto("/login")
    tab.get_by_label("Користувач").fill("anna")
    tab.get_by_label("Пароль").fill(PASSWORD)
    tab.get_by_role("button", name="Увійти").click()
    tab.wait_for_load_state()
    yield tab
    context.close()
    assert not errors, errors


def _talk(staff: LiveServer) -> None:
    session = httpx.post(f"{staff.url}/api/chat/sessions", json={"lang": "uk"}, timeout=30).json()["session_id"]
    for text in MESSAGES:
        answer = httpx.post(f"{staff.url}/api/chat/sessions/{session}/messages", json={"text": text}, timeout=30)
        assert answer.status_code == 200, answer.text
    # A request whose URL carries an identifier: the access log line must not.
    httpx.get(f"{staff.url}/admin/audit?action=2876543211", timeout=30)


def _shows_none(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (where, secret)


def test_no_identifier_on_the_statistics_and_audit_pages(page: Any, staff: LiveServer) -> None:
    from playwright.sync_api import expect

    _talk(staff)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.goto("/admin/stats")
    phrases = page.locator("table.unmatched")
    expect(phrases).to_contain_text("мій РНОКПП [РНОКПП] а грошей нема")
    expect(phrases).to_contain_text("[ім'я], дата народження [дата народження]")
    page.screenshot(path=str(SCREENSHOTS / "privacy-stats.png"), full_page=True)
    _shows_none(page.content(), "statistics")
    # Turning a phrase into an example puts it, masked, into the draft and the audit log.
    row = phrases.locator("tr", has_text="передзвоніть мені на [телефон]")
    row.get_by_role("button", name="Додати").click()
    expect(page.locator(".flash")).to_contain_text("передзвоніть мені на [телефон]")

    page.goto("/admin/audit")
    for details in page.locator("table.audit details").all():
        details.locator("summary").click()
    added = page.locator("table.audit tr[data-action='tree.add_example']").first
    expect(added).to_contain_text("Дерево: додано приклад фрази")
    expect(added.locator("dd")).to_have_text("+ передзвоніть мені на [телефон]")
    page.screenshot(path=str(SCREENSHOTS / "privacy-audit.png"), full_page=True)
    _shows_none(page.content(), "audit")
    page.goto("/admin")
    _shows_none(page.content(), "dashboard")

    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    for path in ("/admin/stats.csv?table=unmatched", "/api/admin/stats", "/metrics"):
        _shows_none(httpx.get(f"{staff.url}{path}", cookies=cookies, timeout=30).text, path)
    _shows_none(Path(staff.env["HOTLINE_DATA_DIR"], "server.log").read_text(encoding="utf-8"), "server log")


def test_the_privacy_page_sets_periods_and_finds_a_citizen(page: Any, staff: LiveServer) -> None:
    from playwright.sync_api import expect

    page.goto("/admin/privacy")
    page.get_by_label("Голосові повідомлення (записи), днів").fill("14")
    page.get_by_role("button", name="Зберегти").click()
    expect(page.locator(".flash")).to_contain_text("Строки зберігання збережено")
    expect(page.get_by_label("Голосові повідомлення (записи), днів")).to_have_value("14")
    page.get_by_label("Номер телефону").fill("050 999 88 77")
    page.get_by_role("button", name="Знайти").click()
    expect(page.locator("main")).to_contain_text("Знайдено: розмов — 0, справ — 0, записів — 0")
    page.screenshot(path=str(SCREENSHOTS / "privacy-page.png"), full_page=True)
