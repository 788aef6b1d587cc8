"""Hand-off to a person, with the real specialist queue: place and wait, the specialist's messages out
to Viber in order, the citizen's in to the console (masked if abusive), closing, the rating."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from channels.chat import service as chat_records
from channels.viber.line import ViberLine
from hotline import users
from hotline.db import transaction
from specialist_queue import chat, keys
from specialist_queue.store import OperatorState
from tests.fakes.viber_api import FakeViberApi
from tests.viber.conftest import button_bodies, conversation_started, new_user, post, text_message, viber_settings


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


def test_a_specialist_takes_over_and_hands_back_with_a_rating(
    viber_client: TestClient, fake_viber: FakeViberApi, sessions_of: sessionmaker[Session]
) -> None:
    parts: Any = viber_client.app.state.parts  # type: ignore[attr-defined]
    desk = parts.specialists.desk
    user = new_user()
    post(viber_client, conversation_started(user))
    post(viber_client, text_message(user, "operator"))
    waiting = fake_viber.sent_to(user["id"])[-1]
    # Nobody is on shift yet: told so honestly, in the queue all the same, and offered a callback or a message.
    assert "жоден фахівець на зміні" in waiting["text"] and "Ви в черзі до фахівця: 1-й" in waiting["text"]
    assert "З'єдную" not in waiting["text"]
    assert button_bodies(waiting) == ["callback", "message", "back", "menu", "operator"]
    conversation_id = parts.channels.part(ViberLine).flows.conversation_of(user["id"])

    operator_id = _operator(viber_client)
    desk.set_state(operator_id, OperatorState.AVAILABLE)
    asyncio.run(desk.accept(operator_id, conversation_id))
    joined = fake_viber.wait_for(user["id"], 2)
    assert "приєднався фахівець Олена" in joined[-1]["text"]

    post(viber_client, text_message(user, "Мені не нарахували субсидію"))
    post(viber_client, text_message(user, "Ви там ідіоти?"))
    assert _chat(sessions_of, conversation_id) == [
        ("citizen", "Мені не нарахували субсидію"),
        ("citizen", "Ви там і*****?"),  # the specialist reads it masked
    ]
    assert "без лайки" in fake_viber.wait_for(user["id"], 3)[-1]["text"]  # the robot said nothing else

    for n in range(1, 4):
        desk.send(operator_id, conversation_id, f"Відповідь фахівця {n}")
    relayed = fake_viber.wait_for(user["id"], 6)
    assert [m["text"] for m in relayed[3:6]] == [f"Відповідь фахівця {n}" for n in range(1, 4)]

    desk.close(operator_id, conversation_id)
    closing = fake_viber.wait_for(user["id"], 7)[-1]
    assert "Оцініть" in closing["text"] and button_bodies(closing)[:5] == [f"rate:{n}" for n in range(1, 6)]
    post(viber_client, text_message(user, "rate:5"))
    thanks = fake_viber.sent_to(user["id"])[-1]
    assert "Дякуємо за оцінку" in thanks["text"] and "subsidies" in button_bodies(thanks)
    with sessions_of() as session:
        rating = chat_records.get_rating(session, conversation_id=conversation_id)
    assert rating is not None and rating.score == 5

    post(viber_client, text_message(user, "Як оформити житлову субсидію"))  # the robot answers again
    assert "субсид" in fake_viber.sent_to(user["id"])[-1]["text"].lower()
    assert len(fake_viber.sent_to(user["id"])) == 9
    post(viber_client, text_message(user, "operator"))  # and a person can be asked for again
    assert "Ви в черзі до фахівця: 1-й" in fake_viber.sent_to(user["id"])[-1]["text"]


def test_viber_s_seen_event_of_a_specialist_s_message_shows_on_the_console(
    viber_client: TestClient, fake_viber: FakeViberApi, sessions_of: sessionmaker[Session]
) -> None:
    parts: Any = viber_client.app.state.parts  # type: ignore[attr-defined]
    desk, presence = parts.specialists.desk, parts.specialists.queue.presence
    user = new_user()
    post(viber_client, conversation_started(user))
    post(viber_client, text_message(user, "operator"))
    conversation_id = parts.channels.part(ViberLine).flows.conversation_of(user["id"])
    operator_id = _operator(viber_client)
    desk.set_state(operator_id, OperatorState.AVAILABLE)
    while (offered := parts.specialists.queue.store.operator(operator_id).offer) != conversation_id:
        asyncio.run(desk.accept(operator_id, offered))  # what the other tests left waiting goes first
        desk.close(operator_id, offered)
        desk.wrap_up(operator_id, offered, disposition="other", note="")
    asyncio.run(desk.accept(operator_id, conversation_id))
    first = desk.send(operator_id, conversation_id, "Перша відповідь")
    second = desk.send(operator_id, conversation_id, "Друга відповідь")
    sent = fake_viber.wait_for(user["id"], 4)
    assert [m["text"] for m in sent[-2:]] == ["Перша відповідь", "Друга відповідь"]
    first_token, second_token = fake_viber.tokens_to(user["id"])[-2:]

    def seen(message_token: int) -> None:
        event = {"event": "seen", "timestamp": 1457764197627, "message_token": message_token, "user_id": user["id"]}
        assert post(viber_client, event).status_code == 200

    seen(first_token)
    assert presence.last_seen(conversation_id, "citizen") == first.id
    seen(second_token)
    seen(first_token)  # Viber repeats a callback, or reports an older one late: seen only moves forward
    assert presence.last_seen(conversation_id, "citizen") == second.id
    seen(123456789)  # a token of no specialist's message (the robot's, or forgotten): nothing
    assert presence.last_seen(conversation_id, "citizen") == second.id
    desk.close(operator_id, conversation_id)


def test_a_citizen_waiting_hears_their_place_again_once_it_moved(
    tmp_path: Path, redis_url: str, fake_viber: FakeViberApi
) -> None:
    from hotline.app import create_app

    settings = viber_settings(
        f"sqlite:///{tmp_path / 'hotline.sqlite3'}", redis_url, tmp_path / "var", fake_viber.url,
        queue_place_every_seconds=0.5,  # a look every 0.05 s; told again at most every 0.5 s
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        parts: Any = client.app.state.parts  # type: ignore[attr-defined]
        operator_id = _operator(client)
        parts.specialists.desk.set_state(operator_id, OperatorState.AVAILABLE)  # someone on shift may take them
        ahead, behind = new_user(), new_user()
        for user in (ahead, behind):
            post(client, conversation_started(user))
            post(client, text_message(user, "operator"))
        assert "Ви в черзі до фахівця: 2-й" in fake_viber.sent_to(behind["id"])[-1]["text"]
        flows = parts.channels.part(ViberLine).flows
        first, waiting = flows.conversation_of(ahead["id"]), flows.conversation_of(behind["id"])
        told = keys.told_place(parts.specialists.queue.store.prefix, waiting)
        noted = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 10
        while not noted.exists(told):  # the first look notes what the hand-off said (and says nothing)
            assert time.monotonic() < deadline, "the place was never looked at"
            time.sleep(0.05)
        noted.close()
        before = len(fake_viber.sent_to(behind["id"]))
        asyncio.run(parts.specialists.desk.accept(operator_id, first))
        moved = fake_viber.wait_for(behind["id"], before + 1)
        assert [m["text"] for m in moved[before:]] == ["Ви в черзі до фахівця: 1-й. Орієнтовний час очікування — 5 хв."]
