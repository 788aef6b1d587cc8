"""The admin pages in a real headless Chromium against `hotline serve`: edit, publish, see the web chat
change, be stopped by a validation error, roll back, read the statistics, and keep operators out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

import hotline.schema  # noqa: F401  (every table, for the foreign keys)
from hotline.conversation_log import Conversation, ConversationEvent
from hotline.db import make_engine, make_sessionmaker, transaction
from hotline.queue_log import QueueEvent
from tests.admin.routes import admin_routes
from tests.conftest import ROOT, LiveServer
from tests.e2e.conftest import browser  # noqa: F401  (the shared headless Chromium fixture)

pytestmark = pytest.mark.browser

PASSWORD = "a long admin password"
QUESTION = "Коли ви працюєте?"
NEW_ANSWER = "Фахівці відповідають щодня з 8:00 до 20:00. Оновлено в адмінці."
SCREENSHOTS = ROOT / "test-results"
FETCH_STATUS = "([method, path, token]) => fetch(path, {method, headers: {'X-CSRF-Token': token}}).then(r => r.status)"


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


@pytest.fixture(scope="module")
def staff(live_server: LiveServer) -> LiveServer:
    """The live server with an admin `anna` and an operator `olena`."""
    live_server.env["HOTLINE_NEW_PASSWORD"] = PASSWORD
    for name, role in (("anna", "admin"), ("olena", "operator")):
        added = live_server.hotline("user", "add", name, "--role", role)
        assert added.returncode == 0, added.stderr
    return live_server


def _tab(chromium: Any, staff: LiveServer, username: str) -> Iterator[Any]:
    """A logged-in page that accepts confirmations; any script error fails the test."""
    context = chromium.new_context(base_url=staff.url, viewport={"width": 1400, "height": 1000}, locale="uk-UA")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/login")
    page.get_by_label("Користувач").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    page.wait_for_load_state()
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def admin(browser: Any, staff: LiveServer) -> Iterator[Any]:  # noqa: F811
    yield from _tab(browser, staff, "anna")


@pytest.fixture
def operator(browser: Any, staff: LiveServer) -> Iterator[Any]:  # noqa: F811
    yield from _tab(browser, staff, "olena")


def _chat_answer(staff: LiveServer, text: str = QUESTION) -> dict[str, Any]:
    created = httpx.post(f"{staff.url}/api/chat/sessions", json={"lang": "uk"}, timeout=30).json()
    answer = httpx.post(
        f"{staff.url}/api/chat/sessions/{created['session_id']}/messages", json={"text": text}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    reply: dict[str, Any] = answer.json()["replies"][0]
    return reply


def _publish(page: Any, note: str) -> None:
    page.goto("/admin/publish")
    page.get_by_label("Примітка").fill(note)
    page.get_by_role("button", name="Опублікувати").click()
    _expect()(page.locator(".flash")).to_contain_text("Опубліковано версію")


def test_edit_an_answer_publish_it_and_the_web_chat_answers_anew(admin: Any, staff: LiveServer) -> None:
    expect, page = _expect(), admin
    before = _chat_answer(staff)
    assert before["intent"] == "office_hours" and before["text_long"] != NEW_ANSWER
    page.goto("/admin/tree?node=office_hours")
    form = page.locator("#node-form")
    form.locator("textarea[name=uk_long]").fill(NEW_ANSWER)
    page.get_by_role("button", name="Як це виглядає").click()
    expect(page.locator("#preview .web .bubble")).to_have_text(NEW_ANSWER)  # unsaved, already previewed
    expect(page.locator("#preview .phone .speech")).to_contain_text("Повторити — 1. Головне меню — 2.")
    form.get_by_role("button", name="Зберегти").click()
    expect(page.locator(".flash")).to_contain_text("Збережено «office_hours»")
    assert _chat_answer(staff)["text_long"] == before["text_long"]  # the draft is not what citizens get

    page.goto("/admin/tree")
    page.get_by_label("Фраза громадянина").fill("коли працюєте")
    page.locator("#try-form").get_by_role("button").click()
    expect(page.locator("#try-result .found")).to_have_attribute("data-intent", "office_hours")
    page.get_by_label("Фраза громадянина").fill("не знаю куди звернутися мені дуже важко")
    page.locator("#try-form").get_by_role("button").click()
    expect(page.locator("#try-result .confirm")).to_have_attribute("data-intent", "benefit_screening")

    _publish(page, "нові години роботи")
    assert _chat_answer(staff)["text_long"] == NEW_ANSWER
    page.goto("/admin/audit")
    published = page.locator("table.audit tr[data-action='tree.publish']")
    expect(published.locator("td").nth(2)).to_have_text("Опубліковано версію дерева")
    expect(published.locator("td").nth(3)).to_contain_text("версія")
    # The admin made on the command line is in the log too, in words.
    made = page.locator("table.audit tr[data-action='user.create']")
    expect(made.locator("td").nth(1)).to_contain_text("командний рядок")


def test_a_validation_error_blocks_publishing(admin: Any, staff: LiveServer) -> None:
    expect, page = _expect(), admin
    page.goto("/admin/tree?node=office_hours")
    page.locator("#node-form textarea[name=ru_short]").fill("")
    page.locator("#node-form").get_by_role("button", name="Зберегти").click()
    expect(page.locator(".node-pane .error").first).to_contain_text("немає відповіді (ru)")
    page.goto("/admin/publish")
    expect(page.locator(".problems-box")).to_contain_text("office_hours")
    button = page.get_by_role("button", name="Опублікувати")
    expect(button).to_be_disabled()
    # Even a forced submit is refused by the server, and nothing is published.
    page.get_by_label("Примітка").fill("спроба")
    button.evaluate("b => { b.disabled = false; }")
    button.click()
    expect(page.locator("p.error[role=alert]")).to_contain_text("Публікацію зупинено")
    assert _chat_answer(staff)["text_long"] == NEW_ANSWER
    page.goto("/admin/tree?node=office_hours")
    page.locator("#node-form textarea[name=ru_short]").fill("Специалисты работают ежедневно.")
    page.locator("#node-form").get_by_role("button", name="Зберегти").click()
    page.goto("/admin/publish")
    expect(page.get_by_role("button", name="Опублікувати")).to_be_enabled()


def test_a_rollback_publishes_the_earlier_answer_again(admin: Any, staff: LiveServer) -> None:
    expect, page = _expect(), admin
    page.goto("/admin/versions")
    rows = page.locator("table.versions tbody tr")
    oldest = rows.last
    oldest.get_by_role("textbox").fill("повертаємо демо")
    oldest.get_by_role("button").click()
    expect(page.locator(".flash")).to_contain_text("опубліковано знову")
    expect(rows.first).to_contain_text("повернення до версії")  # the note the line wrote, in the page's language
    answer = _chat_answer(staff)
    assert answer["intent"] == "office_hours" and answer["text_long"] != NEW_ANSWER


def test_nodes_move_up_and_down(admin: Any) -> None:
    expect, page = _expect(), admin
    page.goto("/admin/tree")
    menu = page.locator(".tree-pane > ol.tree > li.node")
    first, second = menu.nth(0).get_attribute("data-slug"), menu.nth(1).get_attribute("data-slug")
    page.get_by_role("button", name=f"Нижче: {first}").click()
    expect(page.locator(".flash")).to_contain_text("Переміщено")
    menu = page.locator(".tree-pane > ol.tree > li.node")
    assert [menu.nth(0).get_attribute("data-slug"), menu.nth(1).get_attribute("data-slug")] == [second, first]


def _seed(staff: LiveServer) -> int:
    """A week of conversations on three channels with queue waits, in the live server's database;
    how many conversations there are now (earlier tests chatted too)."""
    engine = make_engine(staff.env["HOTLINE_DATABASE_URL"])
    start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    with transaction(make_sessionmaker(engine)) as session:
        for n in range(42):
            at = start - timedelta(days=n % 7, minutes=n)
            cid, channel = f"seeded{n}", ("phone", "viber", "web")[n % 3]
            handoff = n % 4 == 0
            session.add(
                Conversation(
                    id=cid, channel=channel, lang="uk", started_at=at, handoff_queue="subsidies" if handoff else None
                )
            )
            session.flush()
            session.add(
                ConversationEvent(conversation_id=cid, step=1, seq=1, at=at, kind="bot", intent="housing_subsidy_apply")
            )
            if handoff:
                session.add(QueueEvent(at=at, event="entered", conversation_id=cid, channel=channel))
                session.add(
                    QueueEvent(at=at, event="connected", conversation_id=cid, channel=channel, wait_seconds=10.0 * n)
                )
        session.add(
            ConversationEvent(
                conversation_id="seeded1",
                step=2,
                seq=0,
                at=start,
                kind="citizen_text",
                text="<b>де мій паспорт</b>",
                score=5.0,
            )
        )
    with make_sessionmaker(engine)() as session:
        total = session.scalar(select(func.count()).select_from(Conversation)) or 0
    engine.dispose()
    return total


def test_the_statistics_page_draws_charts_for_seeded_events(admin: Any, staff: LiveServer) -> None:
    expect, page = _expect(), admin
    total = _seed(staff)
    page.goto("/admin/stats")
    expect(page.locator("figure.chart-box svg.chart")).to_have_count(6)
    bars = page.locator("figure[data-chart=conversations] svg rect[fill]:not([width='10'])")
    assert bars.count() >= 7 * 3
    expect(page.locator("tr[data-channel=all] td").nth(1)).to_have_text(str(total))
    expect(page.locator("figure[data-chart=intents]")).to_contain_text("housing_subsidy_apply")
    # A citizen's words are shown as text, never as markup.
    expect(page.locator("td.citizen-text").first).to_have_text("<b>де мій паспорт</b>")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-stats.png"), full_page=True)


@pytest.mark.parametrize(
    ("lang", "heading", "recall"), [("uk", "Розуміння", "Повнота"), ("ru", "Понимание", "Полнота")]
)
def test_the_understanding_page_in_both_languages(admin: Any, lang: str, heading: str, recall: str) -> None:
    expect, page = _expect(), admin
    page.goto(f"/admin/quality?lang={lang}")
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator("table.quality thead")).to_contain_text(recall)
    expect(page.locator("tr[data-intent=other_police]")).to_have_count(1)
    expect(page.locator("tr[data-intent=smalltalk_thanks] td").nth(2)).to_have_text("—")  # small talk is not measured
    page.locator("tr.phrases summary").first.click()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"admin-quality-{lang}.png"), full_page=False)


def test_an_operator_cannot_open_any_admin_page_or_call_any_admin_api(operator: Any) -> None:
    from hotline.app import create_app

    expect, page = _expect(), operator
    routes = admin_routes(create_app())  # every route the app has under /admin and /api/admin
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token and len(routes) > 30
    for method, path in routes:
        if method == "GET" and not path.startswith("/api/"):
            response = page.goto(path)
            assert response is not None and response.status == 403, path
            expect(page.locator("p.error")).to_contain_text("Ваша роль не дає змоги відкрити цю сторінку.")
        else:
            status = page.evaluate(FETCH_STATUS, [method, path, token])
            assert status == 403, (method, path, status)


@pytest.mark.parametrize("start", ["/admin", "/operator", "/operator/cases"])
def test_the_log_out_button_works_on_every_staff_page(browser: Any, staff: LiveServer, start: str) -> None:  # noqa: F811
    # The layout's log-out form carries the session's CSRF token: admin pages, the console, registry cases.
    for page in _tab(browser, staff, "anna"):
        page.goto(start)
        page.get_by_role("button", name="Вийти", exact=True).click()
        page.wait_for_url("**/login")
        assert page.request.get("/api/me").status == 401
        assert page.goto(start) is not None and page.url.endswith(f"/login?next={start}")
