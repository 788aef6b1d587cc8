"""Hand-off to a person with the real specialist queue: the place and wait, the citizen's words to the
specialist (not the robot) while one holds the conversation, a new /start while waiting, and leaving the
queue when the citizen blocks the bot."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from channels.chat import service as chat_records
from channels.chat.service import Citizen
from hotline import users
from hotline.db import transaction
from specialist_queue import chat, keys
from specialist_queue.store import OperatorState
from tests.fakes.telegram_api import FakeTelegramApi
from tests.helpers import staff_login, staff_logout
from tests.telegram.conftest import (
    app_client,
    buttons,
    line_of,
    member,
    new_user,
    post,
    press,
    start,
    telegram_settings,
    text_update,
)


def _operator(client: TestClient) -> int:
    parts = client.app.state.parts  # type: ignore[attr-defined]
    with transaction(parts.sessions) as session:
        user = users.create(
            session,
            username=f"op-{time.monotonic_ns()}",
            password="s3cret-pass",
            role=users.Role.OPERATOR,
            display_name="Олена",
        )
        return user.id


def _chat(sessions: sessionmaker[Session], conversation_id: str) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(m.sender, m.text) for m in chat.since(session, conversation_id=conversation_id)]


def test_a_specialist_holds_the_conversation_and_reads_what_the_citizen_writes(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    parts: Any = telegram_client.app.state.parts  # type: ignore[attr-defined]
    user = new_user()
    post(telegram_client, start(user))
    post(telegram_client, press(user, "operator"))
    waiting = fake_telegram.wait_for(2, chat_id=user["id"])[1]
    assert "Ви в черзі до фахівця: 1-й" in waiting.text
    assert buttons(waiting.body)[-3:] == ["back", "menu", "operator"]
    conversation_id = line_of(telegram_client).flows.conversation_of(user["id"])
    assert conversation_id is not None

    post(telegram_client, start(user))  # a new start while waiting keeps the place
    again = fake_telegram.wait_for(3, chat_id=user["id"])[2]
    assert "вже передано фахівцю" in again.text and "1-й" in again.text
    assert line_of(telegram_client).flows.conversation_of(user["id"]) == conversation_id

    operator_id = _operator(telegram_client)
    parts.specialists.desk.set_state(operator_id, OperatorState.AVAILABLE)
    asyncio.run(parts.specialists.desk.accept(operator_id, conversation_id))
    assert "приєднався фахівець Олена" in fake_telegram.wait_for(4, chat_id=user["id"])[3].text  # pushed by follow
    post(telegram_client, text_update(user, "Мені не нарахували субсидію"))
    post(telegram_client, press(user, "~subsidies"))  # an old menu's button: the specialist has the chat
    post(telegram_client, text_update(user, "Ви там ідіоти?"))
    assert _chat(sessions_of, conversation_id) == [
        ("citizen", "Мені не нарахували субсидію"),
        ("citizen", "Ви там і*****?"),  # the specialist reads it masked
    ]
    said = fake_telegram.wait_for(6, chat_id=user["id"])[4:]
    assert "веде фахівець" in said[0].text and "reply_markup" not in said[0].body
    assert "без лайки" in said[1].text

    for n in range(1, 4):
        parts.specialists.desk.send(operator_id, conversation_id, f"Відповідь фахівця {n}")
    relayed = fake_telegram.wait_for(9, chat_id=user["id"])[6:]
    assert [m.text for m in relayed] == [f"Відповідь фахівця {n}" for n in range(1, 4)]  # in order, once each

    parts.specialists.desk.close(operator_id, conversation_id)
    closing = fake_telegram.wait_for(10, chat_id=user["id"])[9]
    assert "Оцініть" in closing.text and buttons(closing.body)[:5] == [f"rate:{n}" for n in range(1, 6)]
    post(telegram_client, press(user, "rate:5"))
    post(telegram_client, press(user, "rate:1"))  # the first score stands
    thanks = fake_telegram.wait_for(12, chat_id=user["id"])[10]
    assert "Дякуємо за оцінку" in thanks.text and "subsidies" in buttons(thanks.body)
    with sessions_of() as session:
        rating = chat_records.get_rating(session, conversation_id=conversation_id)
        assert rating is not None and (rating.channel, rating.user_id, rating.score) == ("telegram", str(user["id"]), 5)
    post(telegram_client, text_update(user, "графік роботи"))  # back with the robot, in a new conversation
    fake_telegram.wait_for(13, chat_id=user["id"])  # the robot's answer
    assert line_of(telegram_client).flows.conversation_of(user["id"]) != conversation_id
    time.sleep(0.3)
    assert len(fake_telegram.texts(user["id"])) == 13  # nothing twice, nothing the specialist was sent


def test_abuse_is_warned_once_then_the_citizen_is_blocked(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user("ru", name="Пётр")
    post(telegram_client, start(user))
    post(telegram_client, text_update(user, "вы там идиоты"))
    assert "без брани" in fake_telegram.wait_for(2, chat_id=user["id"])[1].text
    post(telegram_client, text_update(user, "сволочи"))
    assert "доступ к чату ограничен" in fake_telegram.wait_for(3, chat_id=user["id"])[2].text
    post(telegram_client, text_update(user, "как оформить субсидию"))  # blocked: nobody answers
    post(telegram_client, start(user))
    assert "доступ к чату ограничен" in fake_telegram.wait_for(4, chat_id=user["id"])[3].text
    time.sleep(0.3)
    assert len(fake_telegram.texts(user["id"])) == 4
    with sessions_of() as session:
        (block,) = [b for b in chat_records.list_blocks(session) if b.user_id == str(user["id"])]
        assert (block.channel, block.name) == ("telegram", "Пётр")
        masked = [a.masked for a in chat_records.abuse_of(session, citizen=Citizen("telegram", str(user["id"])))]
    assert masked == ["вы там и*****", "с******"]  # never the words themselves


def test_blocking_the_bot_while_waiting_leaves_the_queue(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi
) -> None:
    parts: Any = telegram_client.app.state.parts  # type: ignore[attr-defined]
    user = new_user("ru")
    post(telegram_client, text_update(user, "соедините с оператором"))
    assert "Вы в очереди к специалисту" in fake_telegram.wait_for(1, chat_id=user["id"])[0].text
    conversation_id = line_of(telegram_client).flows.conversation_of(user["id"])
    assert conversation_id is not None and parts.specialists.queue.wait_figures(conversation_id) is not None
    post(telegram_client, member(user, "kicked"))
    assert parts.specialists.queue.wait_figures(conversation_id) is None


def test_statistics_count_telegram_as_a_channel_of_its_own(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi
) -> None:
    parts: Any = telegram_client.app.state.parts  # type: ignore[attr-defined]
    user = new_user()
    post(telegram_client, text_update(user, "Як мені оформити житлову субсидію"))
    fake_telegram.wait_for(1, chat_id=user["id"])
    name = f"admin-{time.monotonic_ns()}"
    with transaction(parts.sessions) as session:
        users.create(session, username=name, password="s3cret-pass", role=users.Role.ADMIN)
    assert staff_login(telegram_client, name, "s3cret-pass").status_code == 303
    try:
        rows = telegram_client.get("/api/admin/stats").json()["rows"]
    finally:
        staff_logout(telegram_client)
    (total,) = [row for row in rows if row[:2] == ["total", "telegram"]]
    assert total[2] >= 1  # conversations
    assert parts.channels.label("telegram", "uk") == "Telegram"


def test_the_specialist_typing_shows_as_telegram_s_typing_once_however_often_it_is_said(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    parts: Any = telegram_client.app.state.parts  # type: ignore[attr-defined]
    user = new_user()
    post(telegram_client, start(user))
    post(telegram_client, press(user, "operator"))
    fake_telegram.wait_for(2, chat_id=user["id"])
    conversation_id = line_of(telegram_client).flows.conversation_of(user["id"])
    assert conversation_id is not None
    operator_id = _operator(telegram_client)
    parts.specialists.desk.set_state(operator_id, OperatorState.AVAILABLE)
    asyncio.run(parts.specialists.desk.accept(operator_id, conversation_id))
    fake_telegram.wait_for(3, chat_id=user["id"])  # "a specialist joined"

    frame = f'{{"type": "typing", "conversation_id": "{conversation_id}"}}'
    for _ in range(5):  # every keystroke's burst of the console, within the throttle
        parts.specialists.desk.heard(operator_id, frame)
    action = fake_telegram.wait_for(1, "sendChatAction", chat_id=user["id"])[0]
    assert action.body == {"chat_id": user["id"], "action": "typing"}
    parts.specialists.desk.send(operator_id, conversation_id, "Відповідь")
    fake_telegram.wait_for(4, chat_id=user["id"])
    assert len(fake_telegram.calls("sendChatAction", user["id"])) == 1  # once, not per report nor per worker
    parts.specialists.desk.heard(operator_id + 1000, frame)  # not held by them: ignored
    assert _chat(sessions_of, conversation_id) == [("operator", "Відповідь")]  # typing is never stored
    parts.specialists.desk.close(operator_id, conversation_id)


def test_a_citizen_waiting_hears_their_place_again_once_it_moved(
    tmp_path: Path, redis_url: str, fake_telegram: FakeTelegramApi
) -> None:
    settings = telegram_settings(
        f"sqlite:///{tmp_path / 'hotline.sqlite3'}", redis_url, tmp_path / "var", fake_telegram.url,
        queue_place_every_seconds=0.5,  # a look every 0.05 s; told again at most every 0.5 s
    )  # fmt: skip
    with app_client(settings) as client:
        parts: Any = client.app.state.parts  # type: ignore[attr-defined]
        operator_id = _operator(client)
        parts.specialists.desk.set_state(operator_id, OperatorState.AVAILABLE)  # someone on shift may take them
        ahead, behind = new_user("uk"), new_user("uk")  # one queue: general:uk
        post(client, text_update(ahead, "з'єднайте з оператором"))
        fake_telegram.wait_for(1, chat_id=ahead["id"])  # in line first
        post(client, text_update(behind, "з'єднайте з оператором"))
        assert "Ви в черзі до фахівця: 2-й" in fake_telegram.wait_for(1, chat_id=behind["id"])[0].text
        first = line_of(client).flows.conversation_of(ahead["id"])
        waiting = line_of(client).flows.conversation_of(behind["id"])
        assert first is not None and waiting is not None
        told = keys.told_place(parts.specialists.queue.store.prefix, waiting)
        noted = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 10
        while not noted.exists(told):  # the first look notes what the hand-off said (and says nothing)
            assert time.monotonic() < deadline, "the place was never looked at"
            time.sleep(0.05)
        noted.close()
        asyncio.run(parts.specialists.desk.accept(operator_id, first))
        moved = fake_telegram.wait_for(2, chat_id=behind["id"])[1]
        assert moved.text == "Ви в черзі до фахівця: 1-й. Орієнтовний час очікування — 5 хв."
        assert buttons(moved.body) == [] and len(fake_telegram.texts(behind["id"])) == 2
