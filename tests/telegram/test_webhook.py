"""The Telegram webhook on the whole app (SQLite and PostgreSQL, real Redis), the Bot API faked at the network."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channels.telegram import render
from hotline import conversation_log
from tests.fakes.telegram_api import FakeTelegramApi
from tests.telegram.conftest import (
    buttons,
    callback_data,
    events,
    in_place,
    line_of,
    member,
    message,
    new_user,
    post,
    press,
    start,
    text_update,
    update,
)


def conversations(sessions: sessionmaker[Session], chat_id: int) -> list[conversation_log.Conversation]:
    with sessions() as session:
        return conversation_log.of_citizen(session, external_id=str(chat_id))


def citizen_said(sessions: sessionmaker[Session], chat_id: int) -> list[tuple[str, str]]:
    found = []
    for conversation in conversations(sessions, chat_id):
        with sessions() as session:
            found += [(e.kind, e.text) for e in conversation_log.events(session, conversation_id=conversation.id)]
    return [(kind, text) for kind, text in found if kind.startswith("citizen_")]


def test_without_or_with_a_wrong_secret_nothing_is_read_or_written(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user()
    with sessions_of() as session:
        before = session.scalar(select(func.count()).select_from(conversation_log.Conversation))
    for secret in (None, "wrong-secret", "", "test-secret_Tg-"):
        answer = post(telegram_client, start(user), secret=secret)
        assert answer.status_code == 403
        assert "secret token" in answer.json()["message"]
    # Not even parsed: a body that is no update at all is refused the same way, before it is read.
    assert post(telegram_client, b"\x00not json" * 1000, secret=None).status_code == 403
    time.sleep(0.3)
    assert fake_telegram.calls(chat_id=user["id"]) == []
    with sessions_of() as session:
        assert session.scalar(select(func.count()).select_from(conversation_log.Conversation)) == before


def test_start_welcomes_in_the_citizens_language_with_the_top_menu_as_inline_buttons(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    for lang, word, operator in (("uk", "опишіть", "Фахівець"), ("ru", "опишите", "Специалист")):
        user = new_user(lang)
        assert post(telegram_client, start(user)).status_code == 200
        welcome = fake_telegram.wait_for(1, chat_id=user["id"])[0].body
        assert word in welcome["text"].lower()
        assert "parse_mode" not in welcome  # plain text: nothing the tree says is taken for markup
        data = buttons(welcome)
        assert "subsidies" in data and data[-3:] == ["back", "menu", "operator"]
        labels = [b["text"] for row in welcome["reply_markup"]["inline_keyboard"] for b in row]
        assert operator in labels
        (conversation,) = conversations(sessions_of, user["id"])
        assert (conversation.channel, conversation.lang) == ("telegram", lang)


def test_start_in_another_language_asks_which_one(telegram_client: TestClient, fake_telegram: FakeTelegramApi) -> None:
    for language in ("en", None):
        user = new_user(language)
        post(telegram_client, start(user))
        asked = fake_telegram.wait_for(1, chat_id=user["id"])[0].body
        assert buttons(asked)[:2] == ["lang:uk", "lang:ru"]
        post(telegram_client, press(user, "lang:ru"))
        menu = fake_telegram.wait_for(2, chat_id=user["id"])[1].body
        assert "subsidies" in buttons(menu)
        assert "Специалист" in str(menu["reply_markup"])


def test_a_question_delivered_twice_is_answered_once(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user()
    post(telegram_client, start(user))
    fake_telegram.wait_for(1, chat_id=user["id"])
    question = text_update(user, "Як мені оформити житлову субсидію")
    assert [post(telegram_client, question).status_code for _ in range(3)] == [200, 200, 200]
    answer = fake_telegram.wait_for(2, chat_id=user["id"])[1]
    assert "субсид" in answer.text.lower()
    time.sleep(0.5)  # a second answer would have arrived by now
    assert len(fake_telegram.texts(user["id"])) == 2
    assert citizen_said(sessions_of, user["id"]).count(("citizen_text", "Як мені оформити житлову субсидію")) == 1


def test_a_button_press_is_answered_and_stops_spinning(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi
) -> None:
    user = new_user()
    post(telegram_client, start(user))
    fake_telegram.wait_for(1, chat_id=user["id"])
    pressed = press(user, "subsidies")
    assert post(telegram_client, pressed).status_code == 200
    (answered,) = fake_telegram.wait_for(1, "answerCallbackQuery")[-1:]
    assert any(
        c.body["callback_query_id"] == pressed["callback_query"]["id"]
        for c in fake_telegram.calls("answerCallbackQuery")
    )
    submenu = fake_telegram.wait_for(2, chat_id=user["id"])[1].body
    assert "housing_subsidy_apply" in buttons(submenu)
    assert answered.at <= fake_telegram.calls("sendMessage", user["id"])[1].at  # the spinner stops first


def test_from_menu_to_menu_the_message_changes_in_place_and_answers_come_anew(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi
) -> None:
    user = new_user()
    post(telegram_client, start(user))
    welcome = fake_telegram.wait_for(1, chat_id=user["id"])[0].body
    assert in_place(welcome) and buttons(welcome)[0] == "subsidies"
    post(telegram_client, press(user, callback_data(welcome)[0], message_id=501))
    (edit,) = fake_telegram.wait_for(1, "editMessageText", chat_id=user["id"])
    assert edit.body["message_id"] == 501 and "housing_subsidy_apply" in buttons(edit.body) and in_place(edit.body)
    post(telegram_client, press(user, "~housing_subsidy_apply", message_id=501))
    answer = fake_telegram.wait_for(2, chat_id=user["id"])[1]  # an answer is a message of its own, kept
    assert "субсид" in answer.text.lower() and not in_place(answer.body)
    post(telegram_client, press(user, "back", message_id=502))  # a button under the answer: the answer stays
    assert "housing_subsidy_apply" in buttons(fake_telegram.wait_for(3, chat_id=user["id"])[2].body)
    assert len(fake_telegram.calls("editMessageText", user["id"])) == 1


def test_a_menu_telegram_will_not_edit_comes_as_a_new_message(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi
) -> None:
    user = new_user("ru")
    post(telegram_client, start(user))
    fake_telegram.wait_for(1, chat_id=user["id"])
    fake_telegram.refuse_next(1, code=400, description="Bad Request: message can't be edited", method="editMessageText")
    post(telegram_client, press(user, "~benefits", message_id=77))
    menu = fake_telegram.wait_for(2, chat_id=user["id"])[1]
    assert "benefits_veterans" in buttons(menu.body)
    fake_telegram.refuse_next(1, code=400, description="Bad Request: message is not modified", method="editMessageText")
    post(telegram_client, press(user, "~benefits", message_id=77))  # pressed again: it shows that menu already
    time.sleep(0.5)
    assert len(fake_telegram.texts(user["id"])) == 2 and fake_telegram.calls("editMessageText", user["id"]) == []


def test_an_edited_message_is_answered_as_its_new_text(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user("ru")
    post(telegram_client, start(user))
    edited = message(user, "как оформить жилищную субсидию", edit_date=int(time.time()))
    assert post(telegram_client, update(edited_message=edited)).status_code == 200
    answer = fake_telegram.wait_for(2, chat_id=user["id"])[1]
    assert "субсид" in answer.text.lower()
    assert ("citizen_text", "как оформить жилищную субсидию") in citizen_said(sessions_of, user["id"])


def test_stickers_photos_locations_and_documents_get_a_polite_answer_and_are_recorded(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user("ru")
    sticker = {"file_id": "CAACAgIAAxkBAAE", "file_unique_id": "AgAD", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
    photo = [{"file_id": "AgACAgIAAxk", "file_unique_id": "AQAD", "width": 90, "height": 67, "file_size": 1200}]
    kinds = {
        "sticker": {"sticker": sticker},
        "photo": {"photo": photo, "caption": "ось"},
        "location": {"location": {"latitude": 50.4501, "longitude": 30.5234}},
        "document": {"document": {"file_id": "BQACAgI", "file_unique_id": "AgADx", "file_name": "довідка.pdf"}},
        "contact": {"contact": {"phone_number": "+380501234567", "first_name": "Олена"}},
    }
    for extra in kinds.values():
        assert post(telegram_client, update(message=message(user, **extra))).status_code == 200
    notes = fake_telegram.wait_for(len(kinds), chat_id=user["id"])
    assert all("понимаю текстовые" in n.text.lower() or "понимаю только текст" in n.text.lower() for n in notes)
    assert [kind for kind, _ in events(sessions_of, user["id"])] == ["unsupported_message"] * len(kinds)
    assert [detail for _, detail in events(sessions_of, user["id"])] == list(kinds)


def test_a_voice_message_without_speech_recognition_is_asked_for_in_writing(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi
) -> None:
    user = new_user()
    voice = {"file_id": "AwACAgIAAxkBAAI", "file_unique_id": "AgADvw", "duration": 3, "mime_type": "audio/ogg"}
    assert post(telegram_client, update(message=message(user, voice=voice))).status_code == 200
    (note,) = fake_telegram.wait_for(1, chat_id=user["id"])
    assert "лише текст" in note.text
    assert fake_telegram.calls("getFile") == []  # nothing fetched that nobody would hear


def test_blocked_stops_sending_and_unblocked_resumes(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user()
    post(telegram_client, start(user))
    fake_telegram.wait_for(1, chat_id=user["id"])
    assert post(telegram_client, member(user, "kicked")).status_code == 200
    line = line_of(telegram_client)  # the sender is what stops: anything for this chat now goes nowhere
    call = render.note("Фахівець відповів", "uk", chat_id=user["id"], turn=f"test:{user['id']}")
    assert [d.outcome.value for d in telegram_client.portal.call(line.send, [call])] == ["unsubscribed"]  # type: ignore[union-attr]
    assert post(telegram_client, member(user, "member")).status_code == 200
    again = render.note("Фахівець відповів", "uk", chat_id=user["id"], turn=f"test2:{user['id']}")
    assert [d.outcome.value for d in telegram_client.portal.call(line.send, [again])] == ["sent"]  # type: ignore[union-attr]
    assert fake_telegram.texts(user["id"])[-1] == "Фахівець відповів"
    kinds = [kind for kind, _ in events(sessions_of, user["id"])]
    assert kinds == ["blocked", "blocked", "unblocked"]  # the update, the message not sent, the update


def test_telegram_refusing_with_403_marks_the_chat_blocked(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user()
    fake_telegram.refuse_next(1)
    post(telegram_client, start(user))
    deadline = time.monotonic() + 10
    while "blocked" not in [k for k, _ in events(sessions_of, user["id"])] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [k for k, _ in events(sessions_of, user["id"])] == ["blocked"]
    post(telegram_client, text_update(user, "субсидія"))  # they wrote: they hear us again
    assert fake_telegram.wait_for(1, chat_id=user["id"])


def test_updates_that_are_not_a_citizens_private_chat_are_ignored(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user()
    group = {"id": -1001234567890, "type": "supergroup", "title": "Мешканці"}
    channel_post = {
        "message_id": 5,
        "chat": {"id": -1009, "type": "channel", "title": "Новини"},
        "date": 1,
        "text": "x",
    }
    odd = [
        update(message={**message(user, "субсидія"), "chat": group}),
        update(channel_post=channel_post),
        update(poll_answer={"poll_id": "1", "user": user, "option_ids": [0]}),
        update(message=message({**user, "is_bot": True}, "/start")),
        update(message=message({**user, "id": 2**70}, "/start")),  # no Telegram id is this large
        update(message={"chat": {"id": 1}}),
        {"update_id": 2**80, "message": message(user, "x")},
        {"update_id": "7", "message": message(user, "x")},
        [1, 2],
    ]
    for body in odd:
        assert post(telegram_client, body).status_code == 200  # type: ignore[arg-type]
    assert post(telegram_client, b"{not json").status_code == 200
    time.sleep(0.3)
    assert fake_telegram.calls(chat_id=user["id"]) == [] and fake_telegram.calls(chat_id=group["id"]) == []
    assert conversations(sessions_of, user["id"]) == []


def test_the_longest_message_is_answered(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user()
    assert post(telegram_client, text_update(user, "субсидія")).status_code == 200
    fake_telegram.wait_for(1, chat_id=user["id"])
    longest = post(telegram_client, text_update(user, "субсидія " * 455))  # 4,095 characters, Telegram's most
    assert longest.status_code == 200, longest.text
    assert len(fake_telegram.wait_for(2, chat_id=user["id"])) >= 2
    said = [text for _, text in citizen_said(sessions_of, user["id"])]
    assert "субсидія" in said and all(len(text) <= 2000 for text in said)
