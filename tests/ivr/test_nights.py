"""Out of office hours and the live queue: only a caller who really waits for a person is in it (and may
abandon it); a voice message becomes a callback request the console shows with its recording and, once
Twilio posts it, its transcription. Web chat still enters the queue at its handoff, and a crisis at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline import users
from hotline.conversation_log import ConversationEvent
from hotline.db import transaction
from hotline.deps import Parts
from hotline.queue_log import QueueEvent
from ivr.line import phone_of
from specialist_queue.model import EntryState, Kind
from specialist_queue.service import SpecialistQueue
from tests.helpers import staff_login
from tests.ivr.phone import EMPTY, PUBLIC_URL, Doc, Phone, events_of, xml

UK = 'language="uk-UA" voice="Google.uk-UA-Standard-A"'
RU = 'language="ru-RU" voice="Google.ru-RU-Standard-A"'
RECORDING = {"RecordingUrl": "https://api.twilio.com/rec/RE5", "RecordingSid": "RE5", "RecordingDuration": "14"}


@pytest.fixture
def queue(parts: Parts) -> SpecialistQueue:
    assert parts.specialists is not None
    return parts.specialists.queue


def conversation(parts: Parts, phone: Phone) -> str:
    record = phone_of(parts).calls.find(phone.sid)
    assert record is not None
    return record.conversation_id


def queue_events(sessions: sessionmaker[Session], conversation_id: str) -> list[QueueEvent]:
    with sessions() as session:
        found = session.scalars(
            # In the order they happened (a log written from several threads need not get its ids in that order).
            select(QueueEvent)
            .where(QueueEvent.conversation_id == conversation_id)
            .order_by(QueueEvent.at, QueueEvent.id)
        )
        return list(found)


def kinds(sessions: sessionmaker[Session], conversation_id: str) -> list[str]:
    return [event.event for event in queue_events(sessions, conversation_id)]


def call_events(sessions: sessionmaker[Session], phone: Phone) -> dict[str, ConversationEvent]:
    return {event.kind: event for event in events_of(sessions, phone)}


def night_choices(phone: Phone, lang_key: str = "1", section: str | None = None) -> Doc:
    """The out-of-hours choices after 0, at the top menu or in a section."""
    menu = phone.answer(phone.call(), Digits=lang_key)
    if section:
        menu = phone.answer(menu, Digits=section)
    doc = phone.answer(menu, Digits="0")
    assert doc.gather.get("action").startswith(f"{PUBLIC_URL}/twilio/choices?queue=")
    assert doc.first("Enqueue") is None
    return doc


def hang_up(phone: Phone, seconds: int = 20) -> None:
    assert phone.twiml("/twilio/status", {"CallStatus": "completed", "CallDuration": str(seconds)}).xml == EMPTY


def test_a_caller_who_hangs_up_at_the_choices_never_waited_and_abandoned_nothing(
    client, night: Parts, queue: SpecialistQueue, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client)
    night_choices(phone)
    mine = conversation(night, phone)
    assert queue.store.entry(mine) is None  # hearing the choices is not waiting for a person
    hang_up(phone)
    assert kinds(sessions, mine) == []
    events = call_events(sessions, phone)
    assert events["after_hours_choices"].data == {"queue": "general", "lang": "uk", "reason": "operator_requested"}
    assert events["call_ended"].data == {
        "status": "completed",
        "duration": 20,
        "abandoned": False,
        "left_at": "after_hours_choices",
        "from": phone.number,
    }
    assert "call_enqueued" not in events

    # Silent at the choices twice: told to call in office hours, and still nobody's abandoned call.
    other = Phone(client)
    again = other.answer(night_choices(other))
    assert other.answer(again).xml == xml(
        f"<Say {UK}>Будь ласка, зателефонуйте в робочий час. До побачення.</Say><Hangup />"
    )
    hang_up(other)
    assert kinds(sessions, conversation(night, other)) == []
    assert call_events(sessions, other)["call_ended"].data["left_at"] == "after_hours_choices"


def test_the_duty_wait_enters_the_queue_and_hanging_up_there_abandons_it(
    client, night: Parts, queue: SpecialistQueue, sessions: sessionmaker[Session], duty: int
) -> None:
    phone = Phone(client)
    mine_doc = phone.answer(night_choices(phone), Digits="0")
    assert mine_doc.xml == xml(
        f"<Say {UK}>Залишайтеся на лінії, вам відповість черговий фахівець.</Say>"
        f'<Enqueue action="{PUBLIC_URL}/twilio/queue?queue=general&amp;lang=uk" method="POST" '
        f'waitUrl="{PUBLIC_URL}/twilio/wait?queue=general&amp;lang=uk" waitUrlMethod="POST">general-uk</Enqueue>'
    )
    mine = conversation(night, phone)
    entry = queue.store.entry(mine)
    assert entry is not None and entry.kind is Kind.CALL and entry.queue == "general:uk"
    assert kinds(sessions, mine) == ["entered", "offered"]  # to the duty specialist at once
    gone = phone.twiml(f"{PUBLIC_URL}/twilio/queue?queue=general&lang=uk", {"QueueResult": "hangup", "QueueTime": "9"})
    assert gone.xml == EMPTY
    hang_up(phone)
    assert kinds(sessions, mine) == ["entered", "offered", "abandoned"]
    ended = call_events(sessions, phone)["call_ended"].data
    assert (ended["abandoned"], ended["left_at"]) == (True, None)


def test_with_nobody_on_duty_the_caller_hears_so_and_may_still_wait(
    client, night: Parts, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client)
    choices = night_choices(phone)
    assert "Чергового фахівця зараз немає на зміні" in " ".join(choices.said)
    doc = phone.answer(choices, Digits="0")
    assert doc.said == [
        "Зараз жоден фахівець на зміні не може прийняти ваше звернення. "
        "Ви в черзі: вам відповідять, щойно фахівець з'явиться."
    ]
    assert doc.first("Enqueue").text == "general-uk"  # no promise of a duty specialist who is not there
    phone.twiml(f"{PUBLIC_URL}/twilio/queue?queue=general&lang=uk", {"QueueResult": "hangup", "QueueTime": "9"})
    hang_up(phone)
    assert kinds(sessions, conversation(night, phone)) == ["entered", "abandoned"]  # waited in the queue, for nobody


def test_a_crisis_at_night_enters_the_queue_at_once_and_a_web_chat_gets_the_phones_choices(
    client, night: Parts, queue: SpecialistQueue, sessions: sessionmaker[Session], duty: int
) -> None:
    crisis = Phone(client)
    doc = crisis.answer(crisis.answer(crisis.call(), Digits="1"), SpeechResult="мені погано не хочу жити")
    assert doc.first("Enqueue").text == "crisis-uk"
    entry = queue.store.entry(conversation(night, crisis))
    assert entry is not None and entry.priority == "emergency"
    assert (entry.state, entry.operator) == (EntryState.OFFERED, duty)  # to the duty specialist at once
    hang_up(crisis)  # (every specialist is offered a crisis call: it must not stay for the next tests)
    assert kinds(sessions, entry.conversation_id) == ["entered", "offered", "abandoned"]

    chat = client.post("/api/chat/sessions", json={"lang": "uk"})
    assert chat.status_code in {200, 201}, chat.text
    chat_id = chat.json()["session_id"]
    answered = client.post(f"/api/chat/sessions/{chat_id}/messages", json={"button": "operator"})
    assert answered.status_code == 200, answered.text
    [offer] = answered.json()["replies"]
    # The same office rules as the phone's: nobody is promised, nothing is queued, the same choices are offered.
    assert offer["handoff"] is None and offer["text_long"].startswith("Зараз фахівці не працюють. Вони відповідатимуть")
    assert [b["id"] for b in offer["buttons"]] == ["callback", "message", "wait", "menu"]
    assert kinds(sessions, chat_id) == []
    waiting = client.post(f"/api/chat/sessions/{chat_id}/messages", json={"button": "wait"})
    assert waiting.json()["replies"][0]["handoff"]["state"] == "waiting"
    assert kinds(sessions, chat_id) == ["entered", "offered"]  # the duty wait, chosen: the duty specialist has it


def test_a_voice_message_is_a_callback_the_console_shows_with_recording_and_later_transcription(
    client, night: Parts, queue: SpecialistQueue, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client, number="+380671234500")
    record = phone.answer(night_choices(phone, lang_key="2"), Digits="2").first("Record")
    assert record.get("action") == f"{PUBLIC_URL}/twilio/recorded?queue=general&lang=ru"
    assert record.get("recordingStatusCallback") == f"{PUBLIC_URL}/twilio/recording?queue=general&lang=ru"
    mine = conversation(night, phone)
    assert queue.store.entry(mine) is None  # listening to the prompt is not waiting either
    done = phone.twiml(record.get("action"), RECORDING)
    assert done.xml == xml(
        f"<Say {RU}>Спасибо, ваше сообщение сохранено. Специалист свяжется с вами в рабочее время. "
        "До свидания.</Say><Hangup />"
    )
    # Twilio's recording status callback (and a retry of it) adds nothing: one request, one message.
    for _ in range(2):
        phone.twiml(record.get("recordingStatusCallback"), {**RECORDING, "RecordingStatus": "completed"})
    hang_up(phone, 40)

    entry = queue.store.entry(mine)
    assert entry is not None and entry.kind is Kind.CALLBACK and entry.phone == phone.number
    assert entry.queue == "general:ru" and entry.state is not EntryState.CLOSED
    opens = night.office_hours().next_opening(datetime.now(UTC))
    assert entry.due == opens.timestamp()  # in the morning, as an out-of-hours callback request
    [requested] = queue_events(sessions, mine)
    assert requested.event == "callback_requested" and requested.data["phone"] == phone.number
    events = call_events(sessions, phone)
    assert events["callback_requested"].data == {
        "phone": phone.number,
        "queue": "general",
        "lang": "ru",
        "position": None,
        "call_sid": phone.sid,
        "voice_message": True,
    }
    assert events["call_ended"].data["abandoned"] is False and events["call_ended"].data["left_at"] is None

    # In the morning the callback is offered to a Russian-speaking specialist, whose console shows the message.
    queue.tick(now=opens.timestamp())  # the morning
    olena = operator(client, "olena-night", languages=["ru"])
    olena.post("/api/operator/state", {"state": "available"})
    assert queue.store.operator(olena.user_id).offer == mine
    view = olena.get(f"/api/operator/conversations/{mine}?lang=ru")
    assert (view["kind"], view["phone"], view["channel"]) == ("callback", phone.number, "phone")
    assert view["voice_message"] == {
        "url": f"/api/operator/conversations/{mine}/recording",  # ours: fetched from Twilio when played
        "duration": "14",
        "transcription": None,
        "transcription_status": None,
    }
    text = {"TranscriptionText": "Перезвоните по поводу субсидии", "TranscriptionStatus": "completed"}
    assert phone.twiml(record.get("transcribeCallback") or f"{PUBLIC_URL}/twilio/transcription", text).xml == EMPTY
    later = olena.get(f"/api/operator/conversations/{mine}?lang=ru")["voice_message"]
    assert (later["transcription"], later["transcription_status"]) == (text["TranscriptionText"], "completed")


def test_a_hidden_number_s_voice_message_reaches_the_specialists_to_listen_to(
    client, night: Parts, queue: SpecialistQueue, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client, number="anonymous")
    offer = night_choices(phone, section="2")
    assert "Щоб замовити зворотний дзвінок" not in " ".join(offer.said)  # no number: no callback offered
    record = phone.answer(offer, Digits="2").first("Record")
    recording = {**RECORDING, "RecordingUrl": "javascript:alert(1)"}  # never a link in the console
    phone.twiml(record.get("action"), recording)
    mine = conversation(night, phone)
    entry = queue.store.entry(mine)
    assert entry is not None and entry.kind is Kind.CALLBACK and entry.phone == ""
    assert entry.queue == "benefits:uk"
    assert call_events(sessions, phone)["callback_requested"].data["phone"] == ""

    queue.tick(now=night.office_hours().next_opening(datetime.now(UTC)).timestamp())  # the morning
    taras = operator(client, "taras-night", skills=["benefits"], languages=["uk"])
    taras.post("/api/operator/state", {"state": "available"})
    assert queue.store.operator(taras.user_id).offer == mine
    view = taras.get(f"/api/operator/conversations/{mine}?lang=uk")
    assert (view["kind"], view["phone"]) == ("callback", "")
    assert view["voice_message"]["url"] == f"/api/operator/conversations/{mine}/recording"  # ours, never theirs


def test_in_hours_zero_enters_the_queue_at_once(
    client, queue: SpecialistQueue, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client)
    doc = phone.answer(phone.answer(phone.call(), Digits="1"), Digits="0")
    assert doc.first("Enqueue").text == "general-uk"
    mine = conversation(client.app.state.parts, phone)
    assert kinds(sessions, mine) == ["entered"]
    assert "after_hours_choices" not in call_events(sessions, phone)


class Operator:
    """A specialist logged in on a client of their own, with the session's CSRF token."""

    def __init__(self, client: TestClient, user_id: int, csrf: str) -> None:
        self.client = client
        self.user_id = user_id
        self.csrf = csrf

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(path, json=body, headers={"X-CSRF-Token": self.csrf})
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()


def operator(app: TestClient, name: str, **fields: object) -> Operator:
    with transaction(app.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        user = users.create(session, username=name, password="s3cret-pass", role=users.Role.OPERATOR)
        for field, value in fields.items():
            setattr(user, field, value)
        user_id = user.id
    browser = TestClient(app.app, base_url=PUBLIC_URL)
    assert staff_login(browser, name, "s3cret-pass").status_code == 303
    token = re.search(r'data-csrf="([^"]+)"', browser.get("/operator").text)
    assert token
    return Operator(browser, user_id, token.group(1))
