"""The office's rules on Viber, through the signed webhook and the fake Viber API: a Saturday evening with
the demo office hours (the same choices as the phone's), and what a waiting citizen writes (for the
specialist, with no notice sent back each time)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from channels.viber.line import ViberLine
from hotline.office_hours import OfficeHours, parse_week
from hotline.settings import Settings
from specialist_queue import chat
from specialist_queue.model import Kind
from tests.fakes.viber_api import FakeViberApi
from tests.viber.conftest import button_bodies, conversation_started, new_user, post, text_message

KYIV = ZoneInfo("Europe/Kyiv")
SATURDAY_EVENING = datetime(2026, 12, 5, 19, 30, tzinfo=KYIV)
DEMO_HOURS = OfficeHours(week=parse_week(Settings.model_fields["office_hours"].default))


@pytest.fixture
def saturday(viber_client: TestClient) -> Iterator[Any]:
    """The demo office hours, on a Saturday evening, for this test only."""
    parts: Any = viber_client.app.state.parts  # type: ignore[attr-defined]
    rules = parts.dialogue.office
    hours, clock = rules.hours, rules.clock
    rules.hours, rules.clock = (lambda: DEMO_HOURS), (lambda: SATURDAY_EVENING.astimezone(UTC))
    yield parts
    rules.hours, rules.clock = hours, clock


def test_on_a_saturday_evening_viber_says_when_specialists_work_and_takes_a_callback(
    viber_client: TestClient, fake_viber: FakeViberApi, saturday: Any
) -> None:
    user = new_user(language="ru")
    post(viber_client, conversation_started(user))
    post(viber_client, text_message(user, "operator"))
    offer = fake_viber.sent_to(user["id"])[-1]
    assert "Сейчас специалисты не работают. Они будут отвечать в понедельник в 08:00." in offer["text"]
    assert "Соединяю" not in offer["text"] and "очереди" not in offer["text"]
    assert "Дежурного специалиста сейчас нет на смене" in offer["text"]  # nobody on shift in this test
    assert button_bodies(offer) == ["callback", "message", "wait", "back", "menu", "operator"]
    assert not [word for word in ("— 1", "— 0", "нажмите") if word in offer["text"]]  # no keypad wording

    post(viber_client, text_message(user, "callback"))
    assert "номер телефона" in fake_viber.sent_to(user["id"])[-1]["text"]
    post(viber_client, text_message(user, "+380 67 765 43 21"))
    taken = fake_viber.sent_to(user["id"])[-1]
    assert "позвонит вам на номер +380677654321" in taken["text"]
    conversation_id = saturday.channels.part(ViberLine).flows.conversation_of(user["id"])
    entry = saturday.specialists.queue.store.entry(conversation_id)
    assert entry is not None and entry.kind is Kind.CALLBACK and entry.phone == "+380677654321"


def test_what_a_waiting_citizen_writes_goes_to_the_specialist_and_no_notice_comes_back(
    viber_client: TestClient, fake_viber: FakeViberApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user()
    post(viber_client, conversation_started(user))
    post(viber_client, text_message(user, "operator"))
    sent = len(fake_viber.sent_to(user["id"]))
    assert "Ви в черзі до фахівця: 1-й" in fake_viber.sent_to(user["id"])[-1]["text"]
    for text in ("Добрий вечір, тут хтось є?", "Скільки чекати?", "Алло"):
        post(viber_client, text_message(user, text))
    assert len(fake_viber.sent_to(user["id"])) == sent  # no "not understood", no stack of "please wait"
    parts: Any = viber_client.app.state.parts  # type: ignore[attr-defined]
    conversation_id = parts.channels.part(ViberLine).flows.conversation_of(user["id"])
    with sessions_of() as session:
        written = [(m.sender, m.text) for m in chat.since(session, conversation_id=conversation_id)]
    assert written == [("citizen", t) for t in ("Добрий вечір, тут хтось є?", "Скільки чекати?", "Алло")]
