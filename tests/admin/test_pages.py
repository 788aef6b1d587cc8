"""The admin pages and API through the whole app: who may in, CSRF, login hardening, and each page's work."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from hotline import users
from hotline.conversation_log import Conversation, ConversationEvent
from hotline.db import transaction
from hotline.queue_log import QueueEvent
from tests.admin.routes import admin_routes
from tests.helpers import chat, intents_of, staff_login, staff_logout

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PASSWORD = "s3cret-pass"


def _add(client: TestClient, username: str, role: users.Role = users.Role.ADMIN) -> None:
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        users.create(session, username=username, password=PASSWORD, role=role)


def _admin(client: TestClient, username: str = "anna") -> None:
    _add(client, username)
    assert staff_login(client, username, PASSWORD).status_code == 303


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def _post(client: TestClient, path: str, data: dict[str, Any], *, token: str | None = None) -> Any:
    token = token or _token(client.get("/admin").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _admin_routes(client: TestClient) -> list[tuple[str, str]]:
    return admin_routes(client.app)  # type: ignore[arg-type]


@SQLITE_ONLY
def test_only_admins_reach_any_admin_page_or_api(client: TestClient) -> None:
    routes = _admin_routes(client)
    assert {
        ("GET", "/admin/tree"),
        ("POST", "/admin/publish"),
        ("POST", "/api/admin/try"),
        ("GET", "/admin/stats.csv"),
    } <= set(routes)
    for method, path in routes:  # a stranger: pages send to the login form, the API says 401
        response = client.request(method, path, follow_redirects=False)
        expected = 401 if path.startswith("/api/") else 303
        assert response.status_code == expected, (method, path, response.status_code)
    _add(client, "olena", users.Role.OPERATOR)
    assert staff_login(client, "olena", PASSWORD).status_code == 303
    token = _token(client.get("/login").text)
    for method, path in routes:
        response = client.request(method, path, headers={"X-CSRF-Token": token}, follow_redirects=False)
        assert response.status_code == 403, (method, path, response.status_code)


@SQLITE_ONLY
def test_every_state_changing_admin_request_needs_the_csrf_token(client: TestClient) -> None:
    _admin(client)
    changing = [(method, path) for method, path in _admin_routes(client) if method not in {"GET", "HEAD"}]
    assert ("POST", "/admin/viber/1/lift") in changing and ("POST", "/api/admin/try") in changing
    for method, path in changing:
        for headers in ({}, {"X-CSRF-Token": "not-this-sessions-token"}):
            response = client.request(method, path, headers=headers, follow_redirects=False)
            assert response.status_code == 403, (method, path, headers, response.status_code)
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/api/me").status_code == 200  # still logged in


@SQLITE_ONLY
def test_login_needs_its_csrf_token_and_slows_down_guessing(client: TestClient) -> None:
    _add(client, "anna")
    bare = client.post("/login", data={"username": "anna", "password": PASSWORD}, follow_redirects=False)
    assert bare.status_code == 403 and "Сторінка застаріла" in bare.text
    for _ in range(5):
        assert staff_login(client, "anna", "wrong-password").status_code == 401
    assert staff_login(client, "anna", "wrong-password").status_code == 401  # the 6th: from now on, wait
    refused = staff_login(client, "anna", PASSWORD)
    assert refused.status_code == 429 and "Забагато невдалих спроб" in refused.text
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 2
    time.sleep(wait + 0.2)
    assert staff_login(client, "anna", PASSWORD).status_code == 303  # and the count starts afresh
    assert staff_login(client, "anna", "wrong-password").status_code == 401


def _open_node(client: TestClient, slug: str) -> tuple[str, str]:
    page = client.get(f"/admin/tree?node={slug}")
    assert page.status_code == 200
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', page.text)
    assert fingerprint
    return _token(page.text), fingerprint.group(1)


def _node_form(client: TestClient, slug: str) -> dict[str, str]:
    """The node's form fields as the page fills them (read back from the draft via the API)."""
    import yaml

    pack = yaml.safe_load(client.get("/api/admin/tree").json()["pack"])
    nodes = list(pack["tree"])
    while nodes:
        node = nodes.pop()
        if node["slug"] == slug:
            break
        nodes.extend(node.get("children", []))
    form = {"key": str(node.get("key") or ""), "action": node.get("action", "answer")}
    for lang in ("uk", "ru"):
        text = node[lang]
        for name in ("title", "short", "long"):
            form[f"{lang}_{name}"] = text.get(name, "")
        form[f"{lang}_phrases"] = "\n".join(text["phrases"])
        form[f"{lang}_keywords"] = "\n".join(text["keywords"])
    return form


def test_edit_publish_and_the_web_chat_answers_anew(client: TestClient) -> None:
    _admin(client)
    before = client.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    token, fingerprint = _open_node(client, "office_hours")
    form = _node_form(client, "office_hours")
    new_answer = "Фахівці працюють щодня з 8:00 до 20:00 (оновлено)."
    saved = _post(
        client,
        "/admin/tree/nodes/office_hours",
        {**form, "uk_long": new_answer, "fingerprint": fingerprint},
        token=token,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/tree?node=office_hours"
    assert "Збережено «office_hours»" in client.get(saved.headers["location"]).text
    # Saving again from the stale form (someone else saved in between) is refused, not overwritten.
    stale = _post(client, "/admin/tree/nodes/office_hours", {**form, "fingerprint": fingerprint}, token=token)
    assert stale.status_code == 409 and "Хтось інший змінив" in stale.text
    assert _post(client, "/admin/tree/nodes/office_hours", form, token="forged").status_code == 403

    publish_page = client.get("/admin/publish")
    assert "Перевірку пройдено" in publish_page.text and new_answer in publish_page.text
    done = _post(client, "/admin/publish", {"note": "нові години"}, token=token)
    assert done.status_code == 303 and "Опубліковано версію" in client.get("/admin/versions").text

    fresh = client.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    answer = chat(client, fresh, text="Коли ви працюєте?")
    assert intents_of(answer) == ["office_hours"] and answer["replies"][0]["text_long"] == new_answer
    # A conversation that started before the publish finishes on the version it started with.
    old = chat(client, before, text="Коли ви працюєте?")
    assert intents_of(old) == ["office_hours"] and old["replies"][0]["text_long"] != new_answer


def test_a_handoff_intent_is_routed_to_a_queue_chosen_by_name(client: TestClient) -> None:
    _admin(client)
    token, fingerprint = _open_node(client, "operator")
    page = client.get("/admin/tree?node=operator").text
    # The office's own names of the queues, not slugs to remember; the default is the category's.
    assert '<select name="queue"><option value="">за розділом</option>' in page
    assert '<option value="crisis">Кризові звернення (екстрені) (crisis)</option>' in page
    assert "(subsidies)</option>" in page and "(subsidy_debts)</option>" not in page  # an intent, not a queue
    # A queue an intent names (the demo's complaints) can be chosen, and given to operators as a skill.
    assert '<option value="complaints">Залишити скаргу (complaints)</option>' in page  # named after its intent
    assert 'value="complaints"' in client.get("/admin/users").text
    form = {**_node_form(client, "operator"), "queue": "crisis", "fingerprint": fingerprint}
    assert _post(client, "/admin/tree/nodes/operator", form, token=token).status_code == 303
    assert '<option value="crisis" selected>' in client.get("/admin/tree?node=operator").text
    assert "queue: crisis" in client.get("/api/admin/tree").json()["pack"]


def test_a_broken_draft_cannot_be_published_and_a_rollback_restores(client: TestClient) -> None:
    _admin(client)
    token, fingerprint = _open_node(client, "office_hours")
    form = _node_form(client, "office_hours")
    _post(client, "/admin/tree/nodes/office_hours", {**form, "ru_short": "", "fingerprint": fingerprint}, token=token)
    page = client.get("/admin/publish")
    assert "Перед публікацією виправте" in page.text and re.search(r"<button[^>]*disabled", page.text)
    refused = _post(client, "/admin/publish", {"note": "зламано"}, token=token)
    assert refused.status_code == 422 and "office_hours" in refused.text and "немає відповіді (ru)" in refused.text
    assert _post(client, "/admin/tree/nodes/office_hours/delete", {}, token=token).status_code == 303
    assert _post(client, "/admin/publish", {"note": "без годин"}, token=token).status_code == 303
    first = client.get("/api/admin/versions").json()[-1]["id"]
    assert _post(client, f"/admin/versions/{first}/rollback", {"note": "повертаємо"}, token=token).status_code == 303
    history = client.get("/api/admin/versions").json()
    assert len(history) == 3 and history[0]["note"].startswith(f"rollback to version {first}")
    session_id = client.post("/api/chat/sessions", json={"lang": "ru"}).json()["session_id"]
    assert intents_of(chat(client, session_id, text="когда вы работаете")) == ["office_hours"]
    diff = client.get(f"/api/admin/versions/diff?a={history[1]['id']}&b={history[0]['id']}").json()
    assert any(c["slug"] == "office_hours" and c["what"] == "added" for c in diff)
    audit = client.get("/admin/audit").text
    assert all(action in audit for action in ("tree.update", "tree.delete", "tree.publish", "tree.rollback"))


@SQLITE_ONLY
def test_try_it_preview_and_tree_edits_by_form(client: TestClient) -> None:
    _admin(client)
    token = _token(client.get("/admin/tree").text)
    headers = {"X-CSRF-Token": token}
    found = client.post("/api/admin/try", json={"text": "коли ви працюєте", "lang": "uk"}, headers=headers).json()
    assert found["intent"] == "office_hours" and found["score"] > 50 and found["title"]
    nothing = client.post("/api/admin/try", json={"text": "погода на завтра", "lang": "uk"}, headers=headers).json()
    assert nothing["intent"] is None and nothing["confirm"] is None
    unsure = {"text": "не знаю куди звернутися мені дуже важко", "lang": "uk"}
    asked = client.post("/api/admin/try", json=unsure, headers=headers).json()  # the second opinion's suggestion
    assert asked["intent"] is None and asked["confirm"] == "benefit_screening" and asked["confirm_title"]
    assert client.post("/api/admin/try", json={"text": "", "lang": "en"}, headers=headers).status_code == 422
    assert client.post("/api/admin/try", json={"text": "x", "lang": "uk"}).status_code == 403  # no CSRF header
    form = {**_node_form(client, "office_hours"), "uk_short": "Щодня <b>з 8</b>."}
    shown = client.post(
        "/api/admin/preview", json={"slug": "office_hours", "lang": "uk", "form": form}, headers=headers
    )
    phone = next(c for c in shown.json()["channels"] if c["name"] == "phone")
    assert shown.status_code == 200 and phone["text"].startswith("Щодня <b>з 8</b>.")
    assert client.get("/admin/tree?node=office_hours").text.count("Щодня") == 0  # a preview saves nothing

    added = _post(
        client,
        "/admin/tree/nodes",
        {"parent": "subsidies", "kind": "intent", "slug": "subsidy_debts", "uk_title": "Борги <script>"},
        token=token,
    )
    assert added.status_code == 303
    page = client.get("/admin/tree?node=subsidy_debts").text
    assert "Борги &lt;script&gt;" in page and "Борги <script>" not in page
    bad = _post(
        client, "/admin/tree/nodes", {"parent": "", "kind": "intent", "slug": "Погано", "uk_title": "x"}, token=token
    )
    assert bad.status_code == 400 and "Ідентифікатор — це латинські" in bad.text
    moved = _post(client, "/admin/tree/nodes/subsidy_debts/move", {"parent": "benefits", "index": "0"}, token=token)
    assert moved.status_code == 303
    assert _post(client, "/admin/tree/nodes/subsidy_debts/move", {"offset": "1"}, token=token).status_code == 303
    tree = client.get("/api/admin/tree").json()
    assert "subsidy_debts" in tree["pack"] and {p["code"] for p in tree["problems"]} == {
        "empty_answer",
        "missing_translation",
    }
    assert _post(client, "/admin/tree/nodes/subsidies/delete", {}, token=token).status_code == 400
    assert _post(client, "/admin/tree/nodes/nowhere/delete", {}, token=token).status_code == 404


def _seed(client: TestClient) -> None:
    """A day of conversations on three channels, queue events and words nothing matched."""
    at = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        for n, (channel, intent, handoff) in enumerate(
            [
                ("phone", "office_hours", False),
                ("viber", "birth_grant", False),
                ("web", None, True),
                ("web", "idp_certificate", False),
            ]
        ):
            cid = f"seeded{n}"
            session.add(
                Conversation(
                    id=cid, channel=channel, lang="uk", started_at=at, handoff_queue="subsidies" if handoff else None
                )
            )
            session.flush()
            if intent:
                session.add(ConversationEvent(conversation_id=cid, step=1, seq=1, at=at, kind="bot", intent=intent))
        session.add(
            ConversationEvent(
                conversation_id="seeded2",
                step=1,
                seq=0,
                at=at,
                kind="citizen_text",
                text="=HYPERLINK(1) де пенсія",
                score=3.0,
            )
        )
        session.add(QueueEvent(at=at, event="connected", conversation_id="seeded2", wait_seconds=42.0))


def test_statistics_page_csv_and_adding_an_example(client: TestClient) -> None:
    _admin(client)
    _seed(client)
    today = date.today()
    page = client.get(f"/admin/stats?from={today - timedelta(days=1)}&to={today}")
    assert page.status_code == 200 and page.text.count("<svg") == 6 and "=HYPERLINK(1) де пенсія" in page.text
    csv = client.get(f"/admin/stats.csv?from={today - timedelta(days=1)}&to={today}")
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.startswith("\ufeffday,channel")
    assert "total,all,4,3,75.0,0,1,0,1,0,42.0,42.0,100.0" in csv.text.replace("\r", "")
    unmatched = client.get("/admin/stats.csv?table=unmatched").text
    assert "'=HYPERLINK(1) де пенсія" in unmatched  # cannot run as a spreadsheet formula
    token = _token(page.text)
    added = _post(
        client,
        "/admin/tree/examples",
        {
            "slug": "office_hours",
            "phrase_lang": "uk",
            "phrase": "=HYPERLINK(1) де пенсія",
            "back": "/admin/stats",
        },
        token=token,
    )
    assert added.status_code == 303 and added.headers["location"] == "/admin/stats"
    after = client.get("/admin/stats").text
    assert "тепер приклад до «office_hours»" in after  # said once, and the phrase is no longer unmatched:
    assert 'class="citizen-text"' not in after
    assert "HYPERLINK" not in client.get("/admin/stats.csv?table=unmatched").text  # nor in the export
    assert client.get("/admin/stats?from=2026-13-01").status_code == 400
    assert client.get('/admin/stats.csv?table=x"%0d%0aSet-Cookie:a=b').status_code == 422  # no header injection
    assert client.get("/admin/stats?from=2020-01-01&to=2026-01-01").status_code == 400
    assert client.get("/api/admin/stats").json()["rows"][-1][:4] == ["total", "all", 4, 3]


@SQLITE_ONLY
def test_office_hours_calendar_queue_settings_and_users(client: TestClient) -> None:
    _admin(client)
    token = _token(client.get("/admin/office").text)
    week = (
        {f"open_{d}": "1" for d in range(6)}
        | {f"opens_{d}": "09:00" for d in range(7)}
        | {f"closes_{d}": "14:00" for d in range(7)}
    )
    assert _post(client, "/admin/office/week", week, token=token).status_code == 303
    parts = client.app.state.parts  # type: ignore[attr-defined]
    assert 5 in parts.office_hours().week and 6 not in parts.office_hours().week  # at once, in this process
    # A round-the-clock Sunday: closing at 00:00 is midnight at the end of the day, and reads back so.
    sunday = week | {"open_6": "1", "opens_6": "00:00", "closes_6": "00:00"}
    assert _post(client, "/admin/office/week", sunday, token=token).status_code == 303
    assert parts.office_hours().is_open(datetime(2026, 11, 29, 23, 59, tzinfo=ZoneInfo("Europe/Kyiv")))
    assert 'name="closes_6" value="00:00"' in client.get("/admin/office").text
    assert (
        _post(client, "/admin/office/week", {"open_0": "1", "opens_0": "9", "closes_0": "x"}, token=token).status_code
        == 400
    )
    assert (
        _post(client, "/admin/office/days", {"day": "2026-12-31", "name": "інвентаризація"}, token=token).status_code
        == 303
    )
    assert date(2026, 12, 31) in parts.office_hours().closed_days
    policy = {
        "wrap_up_seconds": "45",
        "service_level_seconds": "30",
        "callback_offer_after_seconds": "60",
        "callback_max_attempts": "2",
        "callback_retry_minutes": "15",
        "callback_enabled": "1",
        "alert_waiting": "3",
        "alert_wait_seconds": "90",
        "alert_service_level_percent": "85",
    }
    assert _post(client, "/admin/office/policy", policy, token=token).status_code == 303
    assert parts.office.policy().service_level_seconds == 30 and not parts.office.policy().callback_when_closed
    assert parts.office.policy().alert_wait_seconds == 90  # the wallboard's alarm
    assert _post(client, "/admin/office/policy", {**policy, "wrap_up_seconds": "-1"}, token=token).status_code == 400
    calendar = client.get("/admin/office?year=2026").text
    assert "День незалежності України" in calendar and "інвентаризація" in calendar

    profile = {
        "display_name": "Олена",
        "role": "operator",
        "skills": ["subsidies", "idp"],
        "languages": ["uk", "ru"],
        "phone": "+380441234567",
    }
    assert (
        _post(
            client, "/admin/users", {**profile, "username": "olena", "password": "long-enough"}, token=token
        ).status_code
        == 303
    )
    assert (
        _post(
            client, "/admin/users", {**profile, "username": "olena", "password": "long-enough"}, token=token
        ).status_code
        == 400
    )
    with parts.sessions() as session:
        olena = users.get_by_username(session, username="olena")
    assert olena is not None and (olena.skills, olena.languages) == (["idp", "subsidies"], ["uk", "ru"])
    assert (
        _post(client, f"/admin/users/{olena.id}/password", {"password": "another-one"}, token=token).status_code == 303
    )
    assert (olena.capacity_chats, olena.capacity_calls) == (3, 1)  # three chats and one call unless set
    capacity = {**profile, "skills": [], "capacity_chats": "2", "capacity_calls": "0"}
    refused = _post(client, f"/admin/users/{olena.id}", {**capacity, "capacity_chats": "11"}, token=token)
    assert refused.status_code == 400 and "Чатів одночасно — від 0 до 10" in refused.text
    assert _post(client, f"/admin/users/{olena.id}", capacity, token=token).status_code == 303  # not active
    with parts.sessions() as session:
        olena = users.get_by_username(session, username="olena")
    assert olena is not None and (olena.capacity_chats, olena.capacity_calls) == (2, 0)
    audit = client.get("/admin/audit").text
    for action in (
        "office.week",
        "office.closure",
        "office.policy",
        "user.create",
        "user.password_reset",
        "user.update",
    ):
        assert action in audit
    assert "another-one" not in audit
    assert staff_logout(client).status_code == 303
    assert staff_login(client, "olena", "another-one").status_code == 401  # deactivated


@SQLITE_ONLY
def test_the_viber_block_list_and_lifting_a_block(client: TestClient) -> None:
    from channels.chat.models import ChatBlock

    _admin(client)
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        block = ChatBlock(
            channel="viber", user_id="viber-user-1", name="<i>Петро</i>", reason="repeated_abuse", sample="ти ***"
        )
        session.add(block)
        session.flush()
        block_id = block.id
    page = client.get("/admin/viber")
    assert page.status_code == 200 and 'href="/admin/viber"' in page.text and "повторні образи" in page.text
    assert "&lt;i&gt;Петро&lt;/i&gt;" in page.text and "<i>Петро</i>" not in page.text  # a citizen's name, escaped
    assert client.post(f"/admin/viber/{block_id}/lift", follow_redirects=False).status_code == 403  # no CSRF token
    token = _token(page.text)
    lifted = _post(client, f"/admin/viber/{block_id}/lift", {}, token=token)
    assert lifted.status_code == 303 and lifted.headers["location"] == "/admin/viber"
    after = client.get("/admin/viber").text
    assert "Блокування «&lt;i&gt;Петро&lt;/i&gt;» знято." in after and "Заблокованих немає." in after
    assert "знято" in client.get("/admin/viber?lifted=true").text
    assert _post(client, f"/admin/viber/{block_id}/lift", {}, token=token).status_code == 409
    assert _post(client, "/admin/viber/9999/lift", {}, token=token).status_code == 404
    audit = client.get("/admin/audit?action=chat.").text
    assert "chat.block.lift" in audit and "viber-user-1" in audit


@SQLITE_ONLY
def test_understanding_page_shows_each_intents_quality_and_failing_test_phrases(client: TestClient) -> None:
    _admin(client)
    token = _token(client.get("/admin").text)
    for phrase in ("до котрої години ви сьогодні працюєте", "як оформити субсидію"):  # the second goes elsewhere
        data = {"slug": "office_hours", "phrase_lang": "uk", "phrase": phrase, "as": "test", "back": "/admin/quality"}
        added = _post(client, "/admin/tree/examples", data, token=token)
        assert added.status_code == 303 and added.headers["location"] == "/admin/quality"
    page = client.get("/admin/quality")
    assert page.status_code == 200 and "тепер тестова фраза «office_hours»" in page.text
    row = re.search(r'<tr data-intent="office_hours".*?</tr>', page.text, re.S)
    assert row is not None
    assert "українська: 2" in row.group(0)  # two test phrases in Ukrainian
    assert '«<span lang="uk">як оформити субсидію</span>» (українська) → Як оформити субсидію' in row.group(0)
    assert re.search(r"<td>\d+%</td><td>\d+%</td>", row.group(0))  # recall and precision
    publish = client.get("/admin/publish").text  # publishing refuses it, naming the phrase and where it went
    assert "«як оформити субсидію» → housing_subsidy_apply" in publish
