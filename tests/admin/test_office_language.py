"""The admin pages speak the office's language: statistics name intents by their titles (the slug on
hover), the audit log reads in Ukrainian and Russian words (users made on the command line too), no
English word reaches a uk or ru page, the weekdays are abbreviated as people write them, and the
overview counts the operators on shift."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hotline import users
from hotline.admin.audit_texts import AUDIT_ACTIONS
from hotline.conversation_log import Conversation, ConversationEvent
from hotline.db import transaction
from intents import versions
from specialist_queue.model import OperatorState
from tests.admin.test_pages import SQLITE_ONLY, _add, _admin, _post
from tests.helpers import ROOT

# Names and codes that are the same in every language, and the parts of a page that are not prose.
NAMES = {"Hotline", "Viber", "Telegram", "Twilio", "CSV", "YAML", "UA", "RU", "API", "id"}
NOT_PROSE = re.compile(r"<(script|style|code|option)\b.*?</\1>|<[^>]+>", re.S)
LATIN_WORD = re.compile(r"\b[A-Za-z][A-Za-z']{1,}\b")
PAGES = (
    "/admin",
    "/admin/tree",
    "/admin/publish",
    "/admin/versions",
    "/admin/stats",
    "/admin/office",
    "/admin/users",
    "/admin/notices",
    "/admin/announcements",
    "/admin/viber",
    "/admin/privacy",
    "/admin/audit",
)


def _latin_words(page: str, allowed: set[str]) -> set[str]:
    prose = html.unescape(NOT_PROSE.sub(" ", page))
    return {w for w in LATIN_WORD.findall(prose) if w not in NAMES | allowed}


def _seed_a_conversation(client: TestClient) -> None:
    at = datetime.now(UTC)
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        session.add(Conversation(id="a" * 32, channel="web", lang="uk", started_at=at))
        session.flush()
        session.add(
            ConversationEvent(conversation_id="a" * 32, step=1, seq=1, at=at, kind="bot", intent="office_hours")
        )


@SQLITE_ONLY
def test_no_english_on_uk_and_ru_pages_and_the_audit_reads_in_words(client: TestClient) -> None:
    _admin(client)
    _seed_a_conversation(client)
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        demo = versions.current_version_id(session)
        versions.publish(session, author="anna", note="друга версія")
    rollback = _post(client, f"/admin/versions/{demo}/rollback", {"note": "знову демо"})
    assert rollback.status_code == 303
    usernames = {"anna", "hotline"}  # the demo pack's author
    found: dict[tuple[str, str], set[str]] = {}
    for lang in ("uk", "ru"):
        for path in PAGES:
            page = client.get(f"{path}?lang={lang}")
            assert page.status_code == 200, path
            found[(lang, path)] = _latin_words(page.text, usernames)
    assert {where: words for where, words in found.items() if words} == {}
    history = client.get("/admin/versions?lang=ru").text
    assert f"возврат к версии {demo}: знову демо" in history and "демонстрационный пакет содержимого" in history
    audit = client.get("/admin/audit?lang=uk").text
    assert 'title="tree.rollback">Повернуто попередню версію дерева<' in audit
    assert f"<dt>З версії</dt><dd>{demo}</dd>" in audit and "версія " in audit


@SQLITE_ONLY
def test_statistics_show_intent_titles_with_the_slug_on_hover(client: TestClient) -> None:
    _admin(client)
    _seed_a_conversation(client)
    page = client.get("/admin/stats?lang=ru").text
    row = re.search(r'<tr data-intent="office_hours"><td><a [^>]*title="office_hours">([^<]+)</a>', page)
    assert row and row.group(1) == "График работы и приём"
    chart = re.search(r'data-chart="intents".*?</figure>', page, re.S)
    assert chart and "<title>office_hours</title>График работы и приём" in chart.group(0)
    found = client.get("/api/admin/stats?lang=uk").json()["top_intents"]
    assert found == [
        {"intent": "office_hours", "title": "Графік роботи та прийом", "total": 1, "by_channel": {"web": 1}}
    ]


@SQLITE_ONLY
def test_weekdays_are_abbreviated_as_people_write_them(client: TestClient) -> None:
    _admin(client)
    heads = re.findall(r"<abbr title=\"[^\"]+\">([^<]+)</abbr>", client.get("/admin/office?lang=uk").text)
    assert heads[:7] == ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Нд"]
    heads = re.findall(r"<abbr title=\"[^\"]+\">([^<]+)</abbr>", client.get("/admin/office?lang=ru").text)
    assert heads[:7] == ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]


@SQLITE_ONLY
def test_the_overview_counts_operators_on_shift(client: TestClient) -> None:
    _admin(client)
    _add(client, "olena", role=users.Role.OPERATOR)
    _add(client, "petro", role=users.Role.OPERATOR)
    desk = client.app.state.parts.specialists.desk  # type: ignore[attr-defined]
    ids = _ids(client, "olena", "petro")
    assert 'data-on-shift="0"' in client.get("/admin").text
    desk.set_state(ids[0], OperatorState.AVAILABLE)
    desk.set_state(ids[1], OperatorState.PAUSED, reason="lunch")
    home = client.get("/admin").text
    assert 'data-on-shift="2"' in home and "На зміні: 2" in home
    assert "вільні — 1, у розмові — 0, завершують звернення — 0, на перерві — 1" in home


def test_every_audited_action_has_words() -> None:
    """Read from the sources: literals given as an action, and the constants named as one."""
    sources = [p for p in ROOT.glob("*/**/*.py") if ".venv" not in p.parts and "tests" not in p.parts]
    codes: set[str] = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        given = r'(?:\baction=|(?:_change|_edit)(?:\(|, )parts, user, )"([a-z_]+\.[a-z_.]+)"'
        codes |= set(re.findall(given, text))
        for name in re.findall(r"action=([A-Z_]+)\b", text):
            codes |= set(re.findall(rf'^{name} = "([a-z_.]+)"$', text, re.M))
    assert {
        "user.create",
        "privacy.unmask",
        "privacy.retention",
        "chat.block.lift",
        "office.week",
        "tree.add",
    } <= codes
    assert sorted(c for c in codes if f"audit_{c}" not in AUDIT_ACTIONS) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_hotline_user_add_is_audited_as_the_command_line(client: TestClient, database_url: str, tmp_path: Path) -> None:
    env = {"HOTLINE_DATABASE_URL": database_url, "HOTLINE_NEW_PASSWORD": "long enough", "PATH": "/usr/bin:/bin"}
    added = subprocess.run(
        [str(Path(sys.executable).parent / "hotline"), "user", "add", "maria", "--role", "operator", "--lang", "ru"],
        env={**env, "HOTLINE_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    _admin(client)
    audit = client.get("/admin/audit?lang=ru").text
    row = re.search(r'<tr data-action="user.create">.*?</tr>', audit, re.S)
    assert row, audit
    assert "командная строка (" in row.group(0) and "Добавлен пользователь" in row.group(0)
    assert "<dt>Установлено › Языки</dt><dd>ru</dd>" in row.group(0)


def _ids(client: TestClient, *names: str) -> list[int]:
    with client.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        return [users.get_by_username(session, username=name).id for name in names]  # type: ignore[union-attr]
