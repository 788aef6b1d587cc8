"""Viber's wire format, rendering and the abuse filter: pure, no I/O."""

from __future__ import annotations

import json

from channels.chat import abuse
from channels.viber import render
from channels.viber.wire import TEXT_LIMIT, Look, encode, parse, signature, signature_ok, text_message
from intents.engine import Option, Reply

TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"
LOOK = Look(name="Соцзахист")
# Callback bodies as Viber's REST bot API documentation shows them.
DOCUMENTED = {
    "webhook": {
        "event": "webhook",
        "timestamp": 1457764197627,
        "chat_hostname": "SN-376_",
        "message_token": 241256543215,
    },
    "delivered": {
        "event": "delivered",
        "timestamp": 1457764197627,
        "message_token": 4912661846655238145,
        "user_id": "01234567890A=",
    },
    "seen": {
        "event": "seen",
        "timestamp": 1457764197627,
        "message_token": 4912661846655238145,
        "user_id": "01234567890A=",
    },
    "failed": {
        "event": "failed",
        "timestamp": 1457764197627,
        "message_token": 4912661846655238145,
        "user_id": "01234567890A=",
        "desc": "failure description",
    },
    "unsubscribed": {
        "event": "unsubscribed",
        "timestamp": 1457764197627,
        "user_id": "01234567890A=",
        "message_token": 4912661846655238145,
    },
}


def test_the_signature_is_checked_on_the_raw_bytes() -> None:
    body = json.dumps(DOCUMENTED["webhook"]).encode()
    good = signature(body, TOKEN)
    assert signature_ok(body, good, TOKEN)
    assert signature_ok(body, good.upper(), TOKEN)  # hex case does not matter
    assert not signature_ok(body + b" ", good, TOKEN)
    assert not signature_ok(body, good[:-1] + ("0" if good[-1] != "0" else "1"), TOKEN)
    assert not signature_ok(body, None, TOKEN)
    assert not signature_ok(body, "", TOKEN)
    assert not signature_ok(body, good, "")  # no token configured: nothing is trusted
    assert not signature_ok(body, "ключ", TOKEN)  # non-ASCII header: refused, not a crash


def test_documented_callbacks_parse_and_odd_ones_do_not_raise() -> None:
    for name, body in DOCUMENTED.items():
        event = parse(json.dumps(body).encode())
        assert event is not None and event.event == name
    failed = parse(b'{"event":"failed","timestamp":1,"message_token":9,"user_id":"u1","udid":null}')
    assert failed is not None and failed.desc is None and failed.who == "u1"
    assert parse(b'{"event":"client_status","timestamp":1}') is not None  # unknown, still an event
    assert parse(b"not json") is None
    assert parse(b"[1, 2]") is None
    assert parse(b'{"timestamp": 1}') is None


def test_the_profile_language_is_used_only_when_it_is_uk_or_ru() -> None:
    body = {
        "event": "conversation_started",
        "timestamp": 1,
        "message_token": 1,
        "type": "open",
        "user": {"id": "u", "name": "N", "language": "ru-RU"},
    }
    event = parse(json.dumps(body).encode())
    assert event is not None and event.user is not None and event.user.lang == "ru"
    body["user"] = {"id": "u", "language": "en"}
    event = parse(json.dumps(body).encode())
    assert event is not None and event.user is not None and event.user.lang is None


def test_a_menu_becomes_a_phone_sized_keyboard_with_back_menu_and_specialist() -> None:
    options = [
        Option("1", "Житлова субсидія", "subsidies"),
        Option("2", "Пільги", "benefits"),
        Option("3", "Малозабезпечені, матеріальна допомога", "low_income"),
        Option("4", "Сім'ї з дітьми <1>", "families"),
        Option("0", "Фахівець", "operator"),
    ]
    board = render.keyboard(options, "uk")
    buttons = board["Buttons"]
    assert [b["ActionBody"] for b in buttons] == [
        "subsidies",
        "benefits",
        "low_income",
        "families",
        "back",
        "menu",
        "operator",
    ]
    assert all(b["ActionType"] == "reply" and b["Rows"] == 1 for b in buttons)
    assert [b["Columns"] for b in buttons] == [3, 3, 6, 6, 2, 2, 2]  # every row fills the six columns
    assert buttons[3]["Text"] == "Сім'ї з дітьми &lt;1&gt;"
    assert [b["Text"] for b in buttons[-3:]] == ["Назад", "Меню", "Фахівець"]
    assert [b["Text"] for b in render.keyboard((), "ru")["Buttons"]] == ["Назад", "Меню", "Специалист"]


def test_rating_keyboard_fills_its_row() -> None:
    buttons = render.rating_keyboard("uk")["Buttons"]
    assert [b["ActionBody"] for b in buttons[:5]] == [f"rate:{n}" for n in range(1, 6)]
    assert sum(b["Columns"] for b in buttons[:5]) == 6


def test_long_answers_are_split_at_paragraphs_within_vibers_limit() -> None:
    paragraph = "Житлова субсидія призначається на опалювальний сезон. " * 40
    text = "\n\n".join([paragraph.strip()] * 6)
    pieces = render.split(text)
    assert len(pieces) > 1 and all(len(p) <= TEXT_LIMIT for p in pieces)
    assert all(p.endswith(".") for p in pieces)  # cut between paragraphs, not inside a word
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert render.split("x" * (TEXT_LIMIT + 5)) == ["x" * TEXT_LIMIT, "xxxxx"]
    assert render.split("  ") == []


def test_messages_carry_the_keyboard_and_stable_ids() -> None:
    reply = Reply(text="коротко", text_long="а" * (TEXT_LIMIT + 10))
    out = render.messages([reply], "uk", LOOK, receiver="u1", turn="viber:7", footer="Ви в черзі: 2-й.")
    assert [m.id for m in out] == ["viber:7:0", "viber:7:1"]
    assert all(m.body["receiver"] == "u1" and m.body["keyboard"]["Buttons"] for m in out)
    assert out[-1].body["text"].endswith("Ви в черзі: 2-й.")
    assert out[0].body["sender"] == {"name": "Соцзахист"}


def test_a_full_size_message_stays_under_vibers_30_kb() -> None:
    body = text_message("ї" * TEXT_LIMIT, render.keyboard((), "uk"), LOOK, "u1")
    assert len(encode(body)) < 30 * 1024  # UTF-8, not \\u escapes (which would be 42 KB)


def test_abusive_words_are_found_on_lemmas_and_masked() -> None:
    screened = abuse.screen("Ви всі ідіоти, коли прийде субсидія?! Идиотов набрали", "uk")
    assert screened.found == 2
    assert screened.masked == "Ви всі і*****, коли прийде субсидія?! И****** набрали"
    assert abuse.screen("Нахуй таку роботу", "uk").masked == "Н**** таку роботу"
    assert abuse.screen("заїбали вже", "uk").abusive


def test_ordinary_words_are_not_taken_for_abuse() -> None:
    for text in [
        "Страхування та застрахуємо",
        "Для тебе і для себе",
        "Мандарини, сукня, сучасний психолог",
        "Хулиган розбив вікно",
        "Скільки коштує ебонітова паличка",
        "Тварина в домі",
        "Потребление газа",
    ]:
        assert not abuse.screen(text, "uk").abusive, text
