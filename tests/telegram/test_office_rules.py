"""The office's rules on Telegram, through the webhook and the fake Bot API: a Saturday evening with the
demo office hours (the phone's choices, as buttons), and what a waiting citizen writes (for the specialist,
with no notice sent back each time)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hotline.office_hours import OfficeHours, parse_week
from hotline.settings import Settings
from specialist_queue import chat
from specialist_queue.model import Kind
from tests.fakes.telegram_api import FakeTelegramApi
from tests.telegram.conftest import buttons, line_of, new_user, post, press, start, text_update

KYIV = ZoneInfo("Europe/Kyiv")
SATURDAY_EVENING = datetime(2026, 12, 5, 19, 30, tzinfo=KYIV)
DEMO_HOURS = OfficeHours(week=parse_week(Settings.model_fields["office_hours"].default))


@pytest.fixture
def saturday(telegram_client: TestClient) -> Iterator[Any]:
    """The demo office hours, on a Saturday evening, for this test only."""
    parts: Any = telegram_client.app.state.parts  # type: ignore[attr-defined]
    rules = parts.dialogue.office
    hours, clock = rules.hours, rules.clock
    rules.hours, rules.clock = (lambda: DEMO_HOURS), (lambda: SATURDAY_EVENING.astimezone(UTC))
    yield parts
    rules.hours, rules.clock = hours, clock


def test_on_a_saturday_evening_telegram_says_when_specialists_work_and_takes_a_callback(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, saturday: Any
) -> None:
    user = new_user("ru")
    post(telegram_client, start(user))
    post(telegram_client, press(user, "operator"))
    offer = fake_telegram.wait_for(2, chat_id=user["id"])[1]
    assert "Сейчас специалисты не работают. Они будут отвечать в понедельник в 08:00." in offer.text
    assert "Соединяю" not in offer.text and "очереди" not in offer.text
    assert buttons(offer.body) == ["callback", "message", "wait", "back", "menu", "operator"]
    assert not [word for word in ("— 1", "— 0", "нажмите") if word in offer.text]  # no keypad wording

    post(telegram_client, press(user, "callback"))
    assert "номер телефона" in fake_telegram.wait_for(3, chat_id=user["id"])[2].text
    post(telegram_client, text_update(user, "+380 67 765 43 21"))
    assert "позвонит вам на номер +380677654321" in fake_telegram.wait_for(4, chat_id=user["id"])[3].text
    conversation_id = line_of(telegram_client).flows.conversation_of(user["id"])
    entry = saturday.specialists.queue.store.entry(conversation_id)
    assert entry is not None and entry.kind is Kind.CALLBACK and entry.phone == "+380677654321"


def test_what_a_waiting_citizen_writes_goes_to_the_specialist_and_no_notice_comes_back(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user()
    post(telegram_client, start(user))
    post(telegram_client, press(user, "operator"))
    assert "Ви в черзі до фахівця: 1-й" in fake_telegram.wait_for(2, chat_id=user["id"])[1].text
    for text in ("Добрий вечір, тут хтось є?", "Скільки чекати?", "Алло"):
        post(telegram_client, text_update(user, text))
    time.sleep(0.5)
    assert len(fake_telegram.texts(user["id"])) == 2  # no "not understood", no stack of "please wait"
    conversation_id = line_of(telegram_client).flows.conversation_of(user["id"])
    assert conversation_id is not None
    with sessions_of() as session:
        written = [(m.sender, m.text) for m in chat.since(session, conversation_id=conversation_id)]
    assert written == [("citizen", t) for t in ("Добрий вечір, тут хтось є?", "Скільки чекати?", "Алло")]


def test_a_crisis_written_while_waiting_moves_the_chat_first_into_the_crisis_queue(
    telegram_client: TestClient, fake_telegram: FakeTelegramApi
) -> None:
    user = new_user()
    post(telegram_client, start(user))
    post(telegram_client, press(user, "operator"))
    assert "Ви в черзі до фахівця" in fake_telegram.wait_for(2, chat_id=user["id"])[1].text
    conversation_id = line_of(telegram_client).flows.conversation_of(user["id"])
    assert conversation_id is not None
    queue = telegram_client.app.state.parts.specialists.queue  # type: ignore[attr-defined]
    came = queue.store.entry(conversation_id)
    assert (came.queue, came.priority) == ("general:uk", "normal")

    post(telegram_client, text_update(user, "не хочу жити"))
    fake_telegram.wait_for(3, chat_id=user["id"])  # the robot's crisis answer

    moved = queue.store.entry(conversation_id)
    assert (moved.queue, moved.priority, moved.klass, moved.enqueued) == ("crisis:uk", "emergency", 0, came.enqueued)
    assert queue.store.waiting("crisis:uk")[0] == conversation_id
    assert queue.abandon(conversation_id)  # the line's queue serves the next tests
