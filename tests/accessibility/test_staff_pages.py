"""axe-core on the staff pages as staff see them: the login form (and its error), every admin page
(the tree with a node open and a phrase tried, the statistics with data), and the refusals an operator
gets (an admin page, the wallboard). Each page's problems are gathered, so one run lists everything to fix.
On every page, in the Ukrainian and the Russian interface, each Ukrainian and Russian text is marked with
its language (the other language's texts of a node, a citizen's words, the preview in the other language);
and at 400 % zoom nothing but a data table goes past the right edge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.accessibility import axe, languages
from tests.admin.routes import admin_routes
from tests.conftest import LiveServer
from tests.e2e.conftest import browser  # noqa: F401  (the shared headless Chromium fixture)

pytestmark = pytest.mark.browser

PASSWORD = "a long admin password"
NOT_PAGES = (".csv", ".yaml")
OTHER_STAFF_PAGES = ["/supervisor", "/operator", "/operator/cases", "/operator/search?from=2000-01-01"]  # admins too
SCREEN = {"width": 1280, "height": 900}
ZOOMED = {"width": 320, "height": 256}  # the same screen at 400 %
# Off the screen at 400 % zoom (WCAG 1.4.10): anything but a data table past the right edge. A wide table may
# need sideways scrolling (the criterion's exception for two-dimensional content).
OUTSIDE = """() => [...document.querySelectorAll("body *")]
    .filter((el) => el.getClientRects().length && !el.closest("table, pre"))
    .filter((el) => el.getBoundingClientRect().right > innerWidth + 0.5)
    .map((el) => `<${el.tagName.toLowerCase()} class="${el.className}">${(el.textContent || "").slice(0, 30)}`)"""


@pytest.fixture(scope="module")
def staff(live_server: LiveServer) -> LiveServer:
    live_server.env["HOTLINE_NEW_PASSWORD"] = PASSWORD
    for name, role in (("anna", "admin"), ("olena", "operator")):
        added = live_server.hotline("user", "add", name, "--role", role)
        assert added.returncode == 0, added.stderr
    # A conversation, so the statistics and the audit have rows to show.
    created = httpx.post(f"{live_server.url}/api/chat/sessions", json={"lang": "uk"}, timeout=30).json()
    httpx.post(f"{live_server.url}/api/chat/sessions/{created['session_id']}/messages", json={"text": "оператор"})
    # A Russian question the robot does not know: the statistics list it among the unmatched.
    created = httpx.post(f"{live_server.url}/api/chat/sessions", json={"lang": "ru"}, timeout=30).json()
    unknown = {"text": "Сколько стоит билет на электричку до Львова?"}
    httpx.post(f"{live_server.url}/api/chat/sessions/{created['session_id']}/messages", json=unknown)
    _an_announcement(live_server.env["HOTLINE_DATABASE_URL"])  # its page is one of the admin pages
    return live_server


def _an_announcement(database_url: str) -> None:
    """A topic and an announcement due tomorrow (nobody is subscribed: nothing is sent)."""
    from datetime import timedelta

    from hotline.admin.audit import CommandLine
    from hotline.db import make_engine, make_sessionmaker, transaction, utcnow
    from selfservice import announcements, topics

    engine = make_engine(database_url)
    with transaction(make_sessionmaker(engine)) as session:
        by = CommandLine()
        topic = topics.create(session, slug="payments", title_uk="Виплати", title_ru="Выплаты", by=by)
        later = utcnow() + timedelta(days=1)
        announcements.create(session, topic_id=topic.id, text_uk="Виплати зростуть", text_ru="Выплаты вырастут",
                             send_at=later, by=by)  # fmt: skip
    engine.dispose()


def _page(chromium: Any, staff: LiveServer, username: str | None) -> Iterator[Any]:
    context = chromium.new_context(base_url=staff.url, viewport=SCREEN, locale="uk-UA")
    page = context.new_page()
    if username:
        page.goto("/login")
        page.get_by_label("Користувач").fill(username)
        page.get_by_label("Пароль").fill(PASSWORD)
        page.get_by_role("button", name="Увійти").click()
        page.wait_for_load_state()
    yield page
    context.close()


@pytest.fixture
def anonymous(browser: Any, staff: LiveServer) -> Iterator[Any]:  # noqa: F811
    yield from _page(browser, staff, None)


@pytest.fixture
def admin(browser: Any, staff: LiveServer) -> Iterator[Any]:  # noqa: F811
    yield from _page(browser, staff, "anna")


@pytest.fixture
def operator(browser: Any, staff: LiveServer) -> Iterator[Any]:  # noqa: F811
    yield from _page(browser, staff, "olena")


def _admin_pages() -> list[str]:
    from hotline.app import create_app

    paths = [p for m, p in admin_routes(create_app()) if m == "GET" and not p.startswith("/api/")]
    return [p for p in paths if not p.endswith(NOT_PAGES)]


def _problems(page: Any, state: str) -> str:
    failing = [v for v in axe.violations(page) if v["impact"] in axe.FAILING]
    unmarked = languages.unmarked(page)
    found = axe.describe(failing) + "\n".join(f"[language] {text}" for text in unmarked)
    return f"{page.url} ({state}):\n{found}" if found else ""


def _cut_at_400_percent(page: Any) -> str:
    """What the page cuts off at the right at 400 % zoom (every section opened); the screen as it was after."""
    page.set_viewport_size(ZOOMED)
    page.evaluate("document.querySelectorAll('details').forEach((d) => (d.open = true))")
    outside = page.evaluate(OUTSIDE)
    page.set_viewport_size(SCREEN)
    return f"{page.url} (400 % zoom) cuts off: {outside}" if outside else ""


def test_the_login_form_and_its_error(anonymous: Any) -> None:
    page = anonymous
    page.goto("/login")
    axe.check(page, "the login form")
    page.get_by_label("Користувач").fill("anna")
    page.get_by_label("Пароль").fill("not the password")
    page.get_by_role("button", name="Увійти").click()
    page.wait_for_load_state()
    axe.check(page, "a wrong password")


def test_every_admin_page(admin: Any) -> None:
    paths = _admin_pages()
    assert len(paths) >= 10, paths
    problems = []
    questionnaire = "/admin/tree/screening?node=benefit_screening&s_household=4&s_has_children=no"
    nodes = ["/admin/tree?node=office_hours", "/admin/tree?node=housing_subsidy_apply", questionnaire]
    for path in [*paths, *nodes, *OTHER_STAFF_PAGES]:
        response = admin.goto(path)
        assert response is not None and response.status == 200, path
        problems.append(_problems(admin, "as the admin opens it"))
        problems.append(_cut_at_400_percent(admin))
    for path in [*paths, *nodes, *OTHER_STAFF_PAGES]:  # the Russian interface: Ukrainian texts marked too
        admin.goto(path + ("&" if "?" in path else "?") + "lang=ru")
        problems.extend(f"{admin.url}: [language] {text}" for text in languages.unmarked(admin))
    admin.goto("/admin/tree?node=office_hours&lang=uk")
    admin.get_by_role("button", name="Як це виглядає").click()
    admin.locator("#preview .web .bubble").first.wait_for()
    problems.append(_problems(admin, "with the answer's preview"))
    with admin.expect_response("**/api/admin/preview"):
        admin.locator("#preview-lang").select_option("ru")
    admin.locator("#preview .web .bubble").filter(has_text="ы").first.wait_for()
    problems.append(_problems(admin, "with the answer's preview in Russian"))
    admin.get_by_label("Фраза громадянина").fill("коли працюєте")
    admin.locator("#try-form").get_by_role("button").click()
    admin.locator("#try-result .found").wait_for()
    problems.append(_problems(admin, "with a phrase tried"))
    found = "\n".join(p for p in problems if p)
    assert not found, found


def test_the_refusal_an_operator_sees(operator: Any) -> None:
    response = operator.goto("/admin")
    assert response is not None and response.status == 403
    axe.check(operator, "an operator on an admin page")
    for lang, link in (("uk", "На мою сторінку"), ("ru", "На мою страницу")):
        response = operator.goto(f"/supervisor?lang={lang}")
        assert response is not None and response.status == 403
        axe.check(operator, f"an operator on the wallboard ({lang})")
        assert not languages.unmarked(operator)
        operator.get_by_role("link", name=link).click()
        operator.wait_for_url("**/operator")
