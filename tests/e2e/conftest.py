"""Browser fixtures: Debian's Chromium driven by Playwright's sync API against the live server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
PHONE = {"width": 375, "height": 740}


def _chromium() -> str:
    found = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    if not found:
        pytest.skip("chromium is not installed (no /usr/bin/chromium, none on PATH): browser test skipped")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module; a skip that says why when there is none."""
    executable = _chromium()
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.skip("playwright's Python package is not installed: browser test skipped")
    # The first free-text turn builds nothing new, but a loaded CI machine is slow: wait longer than 5 s.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Tab:
    """A page in a fresh browser context, with what it asked for and what went wrong recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.responses: list[tuple[str, int]] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("response", lambda response: self.responses.append((response.url, response.status)))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def _open_tab(browser: Any, live_server: LiveServer, **context: Any) -> Iterator[Tab]:
    ctx = browser.new_context(base_url=live_server.url, **context)
    tab = Tab(ctx.new_page())
    yield tab
    ctx.close()
    # Every test fails on an uncaught script error, whatever it checked itself.
    assert not tab.errors, f"script errors on the page: {tab.errors}"


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Tab]:
    """A 375×740 phone whose browser says it prefers Ukrainian."""
    yield from _open_tab(browser, live_server, viewport=PHONE, locale="uk-UA", has_touch=True)


@pytest.fixture
def russian_phone(browser: Any, live_server: LiveServer) -> Iterator[Tab]:
    """A phone whose browser says it prefers Russian."""
    yield from _open_tab(browser, live_server, viewport=PHONE, locale="ru-RU", has_touch=True)
