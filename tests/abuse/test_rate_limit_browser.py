"""The web chat page tells a citizen who writes too fast how long to wait (429 with Retry-After), in
their language, with the text kept and a retry button (issue 18, item 6). A live server with its rate
limits on; Debian's Chromium."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.e2e.conftest import PHONE, Tab, browser  # noqa: F401  (the shared headless Chromium)
from tests.e2e.test_webchat_browser import MESSAGES, _expect, open_chat, posted_to
from tests.helpers import free_port, serving

PER_CONVERSATION = 20  # hotline.rate_limits.CHAT_MESSAGES


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("limited")
    port = free_port()
    env = {
        **os.environ,
        "HOTLINE_DATA_DIR": str(data),
        "HOTLINE_DATABASE_URL": f"sqlite:///{data / 'hotline.sqlite3'}",
        "HOTLINE_REDIS_URL": redis_url,
        "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HOTLINE_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        "HOTLINE_RATE_LIMITS": "true",
    }
    with serving(data, port, env) as process:
        yield LiveServer(f"http://127.0.0.1:{port}", process, env)


def test_writing_too_fast_shows_how_long_to_wait(
    browser: Any,  # noqa: F811
    limited_server: LiveServer,
    tmp_path: Any,
) -> None:
    expect = _expect()
    context = browser.new_context(base_url=limited_server.url, viewport=PHONE, locale="uk-UA")
    tab = Tab(context.new_page())
    page = tab.page
    open_chat(tab)  # the language button starts the conversation in that language: no message yet
    box = page.get_by_label("Ваше повідомлення")
    statuses = []
    for n in range(PER_CONVERSATION + 1):
        with page.expect_response(posted_to(MESSAGES)) as answer:
            box.fill(f"питання {n}")
            box.press("Enter")
        statuses.append(answer.value.status)
    assert statuses == [200] * PER_CONVERSATION + [429]
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Забагато повідомлень поспіль. Зачекайте")
    expect(alert.get_by_role("button", name="Спробувати ще раз")).to_be_visible()
    expect(box).to_have_value(f"питання {PER_CONVERSATION}")
    page.screenshot(path=str(tmp_path / "slow-down.png"))
    context.close()
    assert not tab.errors, f"script errors on the page: {tab.errors}"
