"""The wire codec and the rendering, pure: updates as Telegram documents them, messages as it takes them."""

from __future__ import annotations

import json

from channels.chat.controls import split
from channels.telegram import render
from channels.telegram.wire import TEXT_LIMIT, Kind, lang_of, parse, secret_ok, utf16_length
from intents.engine import Expect, Option, Reply
from tests.telegram.conftest import member, message, new_user, press, start, text_update, update


def read(body: object) -> object:
    return parse(json.dumps(body, ensure_ascii=False).encode())


def test_the_secret_is_compared_whole() -> None:
    assert secret_ok("s3cret_-X", "s3cret_-X")
    assert not secret_ok("s3cret_-", "s3cret_-X") and not secret_ok(None, "s3cret_-X")
    assert not secret_ok("", "") and not secret_ok("x", "")  # no secret set: nothing passes
    assert not secret_ok("секрет", "s3cret")  # not ASCII: refused, not an error


def test_updates_become_what_the_channel_acts_on() -> None:
    user = new_user("ru-RU")
    assert read(start(user)).kind is Kind.START  # type: ignore[union-attr]
    assert read(update(message=message(user, "/start@SotszakhystBot promo"))).text == "promo"  # type: ignore[union-attr]
    said = read(text_update(user, "  субсидия\x00  "))
    assert (said.kind, said.text, said.lang, said.chat_id) == (Kind.TEXT, "субсидия", "ru", user["id"])  # type: ignore[union-attr]
    pressed = read(press(user, "menu"))
    assert (pressed.kind, pressed.text, bool(pressed.callback_id)) == (Kind.BUTTON, "menu", True)  # type: ignore[union-attr]
    assert read(member(user, "kicked")).kind is Kind.BLOCKED  # type: ignore[union-attr]
    assert read(member(user, "member")).kind is Kind.UNBLOCKED  # type: ignore[union-attr]
    voice = {"file_id": "AwAC", "file_unique_id": "AgAD", "duration": 7, "mime_type": "audio/ogg"}
    heard = read(update(message=message(user, voice=voice)))
    assert (heard.kind, heard.file_id, heard.seconds) == (Kind.VOICE, "AwAC", 7)  # type: ignore[union-attr]
    assert read(update(message=message(user, dice={"emoji": "🎲", "value": 3}))).what == "dice"  # type: ignore[union-attr]
    assert read(update(future_kind={"x": 1})).kind is Kind.IGNORED  # type: ignore[union-attr]


def test_languages() -> None:
    assert [lang_of(c) for c in ("uk", "ru", "ru-RU", "UK", "en", "be", "", None)] == ["uk", "ru", "ru", "uk"] + [
        None
    ] * 4


def test_long_answers_are_cut_under_telegrams_limit_counted_as_telegram_counts() -> None:
    paragraph = "Житлова субсидія 🏠 призначається на опалювальний період. " * 40
    text = "\n\n".join([paragraph] * 6)
    pieces = render.pieces(text)
    assert len(pieces) > 1 and all(utf16_length(p) <= TEXT_LIMIT for p in pieces)
    assert all(p.endswith(".") for p in pieces)  # cut between sentences, not inside a word
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    emoji = "🏠" * 3000  # 6,000 UTF-16 units in 3,000 characters: cut by units, never inside a pair
    assert [utf16_length(p) for p in render.pieces(emoji)] == [4096, 1904]
    assert split("a" * 10, 4) == ["aaaa", "aaaa", "aa"]


def test_a_reply_is_its_pieces_with_the_keyboard_under_the_last() -> None:
    long = "Документи для субсидії. " * 400
    reply = Reply(
        text="коротко",
        text_long=long,
        options=(Option("1", "Як подати заяву", "housing_subsidy_apply"),),
        intent="housing_subsidy_documents",
        expect=Expect.AFTER_ANSWER,
    )
    calls = render.messages([reply], "uk", chat_id=42, turn="tg:1", footer="Ви в черзі: 2-й.")
    assert [c.id for c in calls] == ["tg:1:0", "tg:1:1", "tg:1:2"]
    assert all(c.method == "sendMessage" and c.chat_id == 42 for c in calls)
    assert [("reply_markup" in c.body) for c in calls] == [False, False, True]
    assert calls[-1].body["text"].endswith("Ви в черзі: 2-й.")
    board = calls[-1].body["reply_markup"]["inline_keyboard"]
    assert board == [
        [{"text": "Як подати заяву", "callback_data": "housing_subsidy_apply"}],
        [{"text": "Назад", "callback_data": "back"}, {"text": "Головне меню", "callback_data": "menu"},
         {"text": "Фахівець", "callback_data": "operator"}],
    ]  # fmt: skip


def test_keyboards_pair_short_labels_and_leave_out_what_telegram_would_refuse() -> None:
    options = (
        Option("1", "Так", "yes"),
        Option("2", "Ні", "no"),
        Option("3", "Довідка про склад сім'ї", "family_certificate"),
        Option("4", "Задовга ціль", "x" * 65),
        Option("0", "Фахівець", "operator"),  # the last row has it already
    )
    rows = render.keyboard(options, "ru")["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in rows] == [
        ["yes", "no"], ["family_certificate"], ["back", "menu", "operator"]
    ]  # fmt: skip
    assert [b["text"] for b in rows[-1]] == ["Назад", "Главное меню", "Специалист"]
    assert all(len(b["callback_data"].encode()) <= 64 for row in rows for b in row)
