"""Search over conversations through the API and its page, on SQLite and PostgreSQL: each filter alone and
together, words and numbers matched literally (`%` and `_` are themselves) and whatever the case of Cyrillic
letters, pages, and every bad parameter refused with 422 and a sentence (big integers and NUL bytes too)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from html import escape

import pytest
from fastapi.testclient import TestClient

from hotline.conversation_log import Conversation, ConversationEvent
from hotline.db import transaction
from hotline.queue_log import QueueEvent
from specialist_queue.chat import ChatMessage
from tests.queue.conftest import StaffClient, staff

YEAR = "from=2001-01-01&to=2001-12-31"  # the seeded conversations' year: nothing else the module made is in it


def _seed(app: TestClient, operator_id: int) -> dict[str, str]:
    """Three conversations of 2001 as the channels and the queue record them."""
    ids = {name: uuid.uuid4().hex for name in ("web", "phone", "viber")}
    at = {
        "web": datetime(2001, 3, 2, 10, tzinfo=UTC),
        "phone": datetime(2001, 3, 3, 9, tzinfo=UTC),
        "viber": datetime(2001, 3, 5, 15, tzinfo=UTC),
    }
    with transaction(app.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        for name, conversation_id in ids.items():
            lang = "ru" if name == "phone" else "uk"
            queue = "general" if name == "web" else None
            row = Conversation(id=conversation_id, channel=name, lang=lang, started_at=at[name], handoff_queue=queue)
            session.add(row)
        session.flush()
        web, phone, viber = ids["web"], ids["phone"], ids["viber"]
        session.add_all([
            ConversationEvent(conversation_id=web, step=1, kind="citizen_text", text="Мені потрібна СУБСИДІЯ на газ",
                              intent="housing_subsidy_apply", at=at["web"]),
            ChatMessage(conversation_id=web, sender="citizen", text="Готово на 100%_точно", at=at["web"]),
            QueueEvent(event="entered", conversation_id=web, queue="general:uk", at=at["web"], data={}),
            QueueEvent(event="connected", conversation_id=web, queue="general:uk", operator_id=operator_id,
                       at=at["web"], data={}),
            ConversationEvent(conversation_id=phone, step=1, kind="call", text="", at=at["phone"],
                              data={"from": "+380501112233"}),
            QueueEvent(event="callback_requested", conversation_id=viber, queue="benefits:uk", at=at["viber"],
                       data={"phone": "+380671234567"}),
            QueueEvent(event="wrap_up", conversation_id=viber, operator_id=operator_id, at=at["viber"],
                       data={"disposition": "office_hours", "note": ""}),
        ])  # fmt: skip
    return ids


def _found(client: StaffClient, query: str) -> list[str]:
    answer = client.get(f"/api/operator/search?{YEAR}&{query}")
    assert answer.status_code == 200, answer.text
    return [r["conversation_id"] for r in answer.json()["results"]]


def test_each_filter_finds_its_conversations(app: TestClient) -> None:
    olena = staff(app, "olena-s", display_name="Олена Пошук")
    ids = _seed(app, olena.id)
    web, phone, viber = ids["web"], ids["phone"], ids["viber"]

    assert _found(olena, "")[:3] == [viber, phone, web]  # newest first (another test may seed 2001 too)
    assert _found(olena, "words=субсидія") == [web]  # written in capitals, asked in lower case
    assert _found(olena, "words=Субсидія") == [web]
    assert _found(olena, "words=100%25_") == [web]  # literally
    assert _found(olena, "words=%25%25") == [] and _found(olena, "words=__") == []  # never wildcards
    assert _found(olena, "words=0%25_т") == [web]
    assert _found(olena, "phone=%2B380501112233") == [phone]  # the caller's number in the call's events
    assert _found(olena, "phone=%2B380671234567") == [viber]  # a callback's number
    assert _found(olena, "phone=380501") == []  # a whole number, not a part of one
    assert _found(olena, "channel=phone") == [phone]
    assert _found(olena, "queue=general") == [web]
    assert _found(olena, "intent=housing_subsidy_apply") == [web]  # matched by the robot
    assert _found(olena, "intent=office_hours") == [viber]  # chosen in the wrap-up
    assert _found(olena, f"operator={olena.id}") == [web]
    assert _found(olena, "from=2001-03-03&to=2001-03-04") == [phone]
    assert _found(olena, "channel=web&words=газ&queue=general") == [web]
    assert _found(olena, "channel=web&words=поїзд") == []

    page = olena.get(f"/api/operator/search?{YEAR}&size=1&page=2").json()
    assert (page["total"], page["page"], page["size"]) == (3, 2, 1)
    assert [r["conversation_id"] for r in page["results"]] == [phone]
    first = olena.get(f"/api/operator/search?{YEAR}&channel=web").json()["results"][0]
    assert first["operators"] == ["Олена Пошук"] and first["queue"] == "general" and first["lang"] == "uk"


@pytest.mark.parametrize(
    ("query", "says", "page_says"),
    [
        ("from=2001-13-01", "from", "З дати — потрібна дата від 01.01.2000 до 31.12.2100"),
        ("from=2001-05-01&to=2001-04-01", "after", "З дати — пізніше, ніж «По дату»"),
        ("from=0001-01-01", "from", "З дати — потрібна дата"),
        ("to=9999-12-31", "to", "По дату — потрібна дата"),
        (f"operator={2**63}", "operator", "Фахівець — такого фахівця немає"),
        ("operator=99999999999999999999999", "operator", "Фахівець — такого фахівця немає"),
        ("operator=-1", "operator", "Фахівець — такого фахівця немає"),
        ("page=0", "page", "Сторінка — ціле число від 1 до 10000"),
        ("page=99999999999999999999", "page", "Сторінка — ціле число від 1 до 10000"),
        ("size=1000", "size", "Результатів на сторінці — ціле число від 1 до 100"),
        ("words=a%01b", "control", "Слова з розмови — від 2 до 100 знаків"),
        ("words=x", "words", "Слова з розмови — від 2 до 100 знаків"),
        ("phone=abc", "phone", "Номер телефону — лише цифри"),
        ("channel=fax", "fax", "Канал — такого немає"),
        ("channel=%3Cb%3E", "channel", "Канал — такого немає"),
        ("queue=nope", "nope", "Черга — такого немає"),
        ("intent=nope", "nope", "Тема — такого немає"),
        ("intent=DROP%20TABLE", "intent", "Тема — такого немає"),
        ("sort=id", "sort", "sort — такого параметра пошук не знає"),
        ("page=0&size=0&from=2001-13-01", "size", "З дати — потрібна дата від 01.01.2000 до 31.12.2100; Сторінка"),
    ],
)
def test_a_bad_parameter_is_refused_with_a_sentence(app: TestClient, query: str, says: str, page_says: str) -> None:
    olena = staff(app, f"olena-{uuid.uuid4().hex[:6]}")
    refused = olena.get(f"/api/operator/search?{query}")
    assert refused.status_code == 422, refused.text
    assert says in refused.json()["message"]
    page = olena.get(f"/operator/search?{query}")
    assert page.status_code == 422 and 'role="alert"' in page.text
    alert = page.text.split('role="alert">', 1)[1].split("</p>", 1)[0]
    assert alert.startswith(f"Пошук не виконано: {escape(page_says, quote=False)}"), alert
    assert "Input" not in alert and "should" not in alert and "error" not in alert.lower()


def test_the_page_says_a_refused_value_in_russian(app: TestClient) -> None:
    olena = staff(app, "olena-ru-refused")
    page = olena.get("/operator/search?from=2001-05-01&to=2001-04-01&lang=ru")
    assert page.status_code == 422 and "Поиск не выполнен: С даты — позже, чем «По дату»" in page.text
    page = olena.get("/operator/search?size=abc&lang=ru")
    assert "Поиск не выполнен: Результатов на странице — целое число от 1 до 100" in page.text


def test_only_staff_may_search_and_the_page_shows_results_as_text(app: TestClient) -> None:
    assert app.get("/api/operator/search").status_code == 401
    nul = staff(app, "olena-nul").get("/api/operator/search?words=a%00b")
    assert nul.status_code == 400 and "NUL" in nul.json()["message"]  # refused before it reaches PostgreSQL
    olena = staff(app, "olena-p", display_name="<b>Олена</b>")
    _seed(app, olena.id)
    page = olena.get(f"/operator/search?{YEAR}&operator={olena.id}&lang=ru")
    assert page.status_code == 200
    assert "Найдено: 1" in page.text and "&lt;b&gt;Олена&lt;/b&gt;" in page.text and "<b>Олена" not in page.text
    assert "02.03.2001" in page.text  # on the office's clock
    paged = olena.get(f"/operator/search?{YEAR}&size=1&words=%26x&lang=uk")
    assert paged.status_code == 200 and "Знайдено: 0" in paged.text
    two = olena.get(f"/operator/search?{YEAR}&size=1").text
    assert 'href="/operator/search?from=2001-01-01&amp;to=2001-12-31&amp;size=1&amp;page=2"' in two
