"""Waiting in the queue: our specialist queue's place and estimate, the callback that keeps the caller's
place, the admins' callback policy, leaving, hanging up (abandoned in our queue), the end."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline import conversation_log
from hotline.admin import office
from hotline.db import transaction
from hotline.deps import Parts
from hotline.office_hours import OfficeHours, QueuePolicy
from hotline.queue_log import QueueEvent
from ivr.line import phone_of
from specialist_queue.model import EntryState, Kind
from specialist_queue.service import SpecialistQueue
from tests.ivr.conftest import close_office
from tests.ivr.phone import EMPTY, PUBLIC_URL, Doc, Phone, events_of, xml

UK = 'language="uk-UA" voice="Google.uk-UA-Standard-A"'
WAIT = f"{PUBLIC_URL}/twilio/wait?queue=benefits&lang=uk"
DONE = f"{PUBLIC_URL}/twilio/queue?queue=benefits&lang=uk"
LIVE = "benefits:uk"  # our queue of the same skill and language
HOLD = f"<Play>{PUBLIC_URL}/twilio/hold.wav</Play>"
OFFER = (
    f"<Say {UK}>Щоб не чекати на лінії, а отримати зворотний дзвінок, натисніть 1. "
    f"Ваше місце в черзі збережеться.</Say>{HOLD}"
)


@pytest.fixture
def queue(parts: Parts) -> Iterator[SpecialistQueue]:
    """Our live queue, emptied of earlier tests' callers (the app is shared by the module); the office's
    policy is put back after the test."""
    assert parts.specialists is not None
    live = parts.specialists.queue
    for name in live.store.queue_names():
        for conversation_id in live.store.waiting(name):
            live.abandon(conversation_id)
    yield live
    set_policy(parts, QueuePolicy())


def set_policy(parts: Parts, policy: QueuePolicy) -> None:
    """What the admin's queue settings page saves."""
    with transaction(parts.sessions) as session:
        office.save_policy(session, policy)
    parts.office.invalidate()


def conversation(parts: Parts, phone: Phone) -> str:
    record = phone_of(parts).calls.find(phone.sid)
    assert record is not None
    return record.conversation_id


def enqueued(phone: Phone, section: str = "2") -> Doc:
    """In the queue of a top-level section (2: benefits) after pressing 0 there."""
    menu = phone.answer(phone.answer(phone.call(), Digits="1"), Digits=section)
    doc = phone.answer(menu, Digits="0")
    assert doc.first("Enqueue").get("waitUrl").startswith(f"{PUBLIC_URL}/twilio/wait?queue=")
    return doc


def wait_round(phone: Phone, url: str = WAIT) -> Doc:
    """A waitUrl request with Twilio's own figures, which our queue's figures override."""
    twilio_says = {"QueuePosition": "7", "QueueTime": "30", "AvgQueueTime": "40", "CurrentQueueSize": "9"}
    return phone.twiml(url, {**twilio_says, "QueueSid": "QU" + "2" * 32}, wait=True)


def no_offer(doc: Doc) -> bool:
    """A wait round with the news (the first round's place and wait) and the hold audio, and no callback offer."""
    return doc.tags()[-1] == "Play" and "Gather" not in doc.tags() and doc.said[0] == "Ви перші в черзі."


def keys_gather(position: int, queue: str = "benefits", *, offer: bool = True) -> str:
    """The round's Gather that takes 1 for a callback; the offer is said with news, the key taken always."""
    action = f"{PUBLIC_URL}/twilio/wait/keys?queue={queue}&amp;lang=uk&amp;position={position}"
    inside = OFFER if offer else HOLD
    return f'<Gather action="{action}" input="dtmf" method="POST" numDigits="1" timeout="1">{inside}</Gather>'


def queue_events(sessions: sessionmaker[Session], conversation_id: str) -> list[str]:
    with sessions() as session:
        found = session.scalars(select(QueueEvent.event).where(QueueEvent.conversation_id == conversation_id))
        return list(found)


def test_the_place_and_the_estimate_come_from_our_queue_and_are_said_when_they_improve(
    client, parts: Parts, queue: SpecialistQueue
) -> None:
    first, second, caller = Phone(client), Phone(client), Phone(client)
    for phone in (first, second, caller):
        enqueued(phone)
    assert queue.store.waiting(LIVE) == [conversation(parts, p) for p in (first, second, caller)]
    # Third, nobody staffed: three default handling times of 300 s.
    assert wait_round(caller).xml == xml(
        f"<Say {UK}>Ваш номер у черзі — 3.</Say><Say {UK}>Орієнтовний час очікування — 15 хвилин.</Say>"
        + keys_gather(3)
    )
    assert wait_round(caller).xml == xml(keys_gather(3, offer=False))  # no better: nothing said twice
    first.twiml("/twilio/status", {"CallStatus": "completed", "CallDuration": "50"})  # hung up while waiting
    assert wait_round(caller).said[:2] == ["Ваш номер у черзі — 2.", "Орієнтовний час очікування — 10 хвилин."]
    second.twiml(DONE, {"QueueResult": "hangup", "QueueTime": "70"})
    # At the head of the queue: that is news too.
    assert wait_round(caller).said[:2] == ["Ви перші в черзі.", "Орієнтовний час очікування — 5 хвилин."]
    assert wait_round(caller).xml == xml(keys_gather(1, offer=False))


def test_the_first_caller_in_the_queue_hears_the_place_and_the_wait_once(client, queue: SpecialistQueue) -> None:
    phone = Phone(client)
    enqueued(phone)
    first = wait_round(phone)
    assert first.xml == xml(
        f"<Say {UK}>Ви перші в черзі.</Say><Say {UK}>Орієнтовний час очікування — 5 хвилин.</Say>" + keys_gather(1)
    )
    assert wait_round(phone).xml == xml(keys_gather(1, offer=False))


def test_a_callback_request_keeps_the_place_and_leaves_the_queue(
    client, parts: Parts, queue: SpecialistQueue, sessions: sessionmaker[Session]
) -> None:
    # Another section's queue: the callback stays there after the test, away from the other tests' callers.
    ahead, phone, behind = Phone(client), Phone(client), Phone(client)
    for caller in (ahead, phone, behind):
        enqueued(caller, section="4")
    gather = wait_round(phone, f"{PUBLIC_URL}/twilio/wait?queue=low_income&lang=uk").gather
    mine = conversation(parts, phone)
    place = queue.store.entry(mine).seq
    other_key = phone.twiml(gather.get("action"), {"Digits": "5"}, wait=True)
    assert other_key.xml == EMPTY
    left = phone.twiml(gather.get("action"), {"Digits": "1"}, wait=True)
    assert left.xml == xml("<Leave />")
    assert phone.twiml(gather.get("action"), {"Digits": "1"}, wait=True).xml == left.xml  # a retry
    done = phone.twiml(
        f"{PUBLIC_URL}/twilio/queue?queue=low_income&lang=uk", {"QueueResult": "leave", "QueueTime": "75"}
    )
    assert done.xml == xml(
        f"<Say {UK}>Дякуємо! Фахівець передзвонить вам на цей номер у порядку черги. До побачення.</Say><Hangup />"
    )
    phone.twiml("/twilio/status", {"CallStatus": "completed", "CallDuration": "131"})
    # In our queue: a callback with the caller's own place (its number in the queue), due now, kept after
    # the call ended.
    entry = queue.store.entry(mine)
    assert entry is not None and entry.kind is Kind.CALLBACK and entry.phone == phone.number
    assert entry.seq == place and entry.due is not None and entry.due <= time.time()
    assert queue_events(sessions, mine) == ["entered", "callback_requested"]
    events = _call_events(sessions, phone)
    assert events["callback_requested"].data == {
        "phone": phone.number,
        "queue": "low_income",
        "lang": "uk",
        "position": 2,
        "call_sid": phone.sid,
    }
    assert events["queue_left"].data == {"result": "leave", "queue_time": "75", "queue": "low_income"}
    assert events["call_ended"].data == {
        "status": "completed",
        "duration": 131,
        "abandoned": False,
        "left_at": None,
        "from": phone.number,
    }


def test_a_caller_who_hangs_up_in_the_queue_abandoned_it(
    client, parts: Parts, queue: SpecialistQueue, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client)
    enqueued(phone)
    wait_round(phone)
    phone.twiml("/twilio/status", {"CallStatus": "completed", "CallDuration": "95"})
    mine = conversation(parts, phone)
    # Out of our queue at once: no specialist is offered a caller who is gone.
    assert queue.store.waiting(LIVE) == [] and queue.store.entry(mine).state is EntryState.CLOSED
    # Twilio's report from the queue may come after the status callback: it changes nothing then.
    assert phone.twiml(DONE, {"QueueResult": "hangup", "QueueTime": "80"}).xml == EMPTY
    assert queue_events(sessions, mine) == ["entered", "abandoned"]
    events = _call_events(sessions, phone)
    assert events["call_ended"].data["abandoned"] is True
    assert events["call_ended"].data["duration"] == 95


def test_the_queue_s_own_hangup_report_abandons_before_the_status_callback(
    client, parts: Parts, queue: SpecialistQueue, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client)
    enqueued(phone)
    assert phone.twiml(DONE, {"QueueResult": "hangup", "QueueTime": "12"}).xml == EMPTY
    assert queue.store.waiting(LIVE) == []
    phone.twiml("/twilio/status", {"CallStatus": "completed", "CallDuration": "30"})
    assert queue_events(sessions, conversation(parts, phone)) == ["entered", "abandoned"]


def test_a_served_caller_did_not_abandon_and_hears_goodbye(client, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    enqueued(phone)
    done = phone.twiml(DONE, {"QueueResult": "bridged", "QueueTime": "40"})
    assert done.xml == xml(f"<Say {UK}>Дякуємо за дзвінок. До побачення.</Say><Hangup />")
    phone.twiml("/twilio/status", {"CallStatus": "completed", "CallDuration": "300"})
    phone.twiml("/twilio/status", {"CallStatus": "completed", "CallDuration": "300"})  # a retry
    events = _call_events(sessions, phone)
    assert events["call_ended"].data["abandoned"] is False
    assert [event.kind for event in events_of(sessions, phone)].count("call_ended") == 1
    with sessions() as session:
        conversation_row = session.scalars(select(conversation_log.Conversation).filter_by(external_id=phone.sid)).one()
        assert conversation_row.ended is True


def test_a_call_that_never_queued_ends_without_abandoning(client, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    phone.answer(phone.call(), Digits="1")
    phone.twiml("/twilio/status", {"CallStatus": "ringing"})
    assert "call_ended" not in _call_events(sessions, phone)
    phone.twiml("/twilio/status", {"CallStatus": "completed", "CallDuration": "42"})
    assert _call_events(sessions, phone)["call_ended"].data["abandoned"] is False


def test_a_failed_queue_offers_a_callback_or_a_message(client) -> None:
    phone = Phone(client)
    enqueued(phone)
    doc = phone.twiml(DONE, {"QueueResult": "queue-full", "QueueTime": "0"})
    assert doc.said == [
        "Вибачте, зараз не вдається з'єднати вас із фахівцем.",
        "Щоб замовити зворотний дзвінок, натисніть 1. Щоб залишити голосове повідомлення — 2.",
    ]
    assert doc.gather.get("action") == f"{PUBLIC_URL}/twilio/choices?queue=benefits&lang=uk&attempt=1"


def test_without_callbacks_in_the_admins_policy_none_is_offered_or_taken(
    client, parts: Parts, queue: SpecialistQueue, sessions: sessionmaker[Session]
) -> None:
    set_policy(parts, dataclasses.replace(QueuePolicy(), callback_enabled=False))
    phone = Phone(client)
    enqueued(phone)
    assert no_offer(wait_round(phone))
    keys = f"{PUBLIC_URL}/twilio/wait/keys?queue=benefits&lang=uk&position=1"
    assert phone.twiml(keys, {"Digits": "1"}, wait=True).xml == EMPTY  # an old offer's key: keep waiting
    failed = phone.twiml(DONE, {"QueueResult": "error", "QueueTime": "3"})
    assert failed.said[-1] == "Щоб залишити голосове повідомлення, натисніть 2."
    assert phone.answer(failed, Digits="1").gather.get("action").endswith("attempt=2")  # 1 is no choice now
    assert "callback_requested" not in _call_events(sessions, phone)
    assert queue.store.entry(conversation(parts, phone)).kind is Kind.CALL


def test_a_callback_is_offered_only_when_the_wait_is_longer_than_the_admins_threshold(
    client, parts: Parts, queue: SpecialistQueue
) -> None:
    set_policy(parts, dataclasses.replace(QueuePolicy(), callback_offer_after_seconds=400))
    first, second = Phone(client), Phone(client)
    enqueued(first)
    enqueued(second)
    assert wait_round(first).said == ["Ви перші в черзі.", "Орієнтовний час очікування — 5 хвилин."]  # 300 s
    assert wait_round(second).said == [  # 600 s
        "Ваш номер у черзі — 2.",
        "Орієнтовний час очікування — 10 хвилин.",
        "Щоб не чекати на лінії, а отримати зворотний дзвінок, натисніть 1. Ваше місце в черзі збережеться.",
    ]


def test_a_hidden_number_is_not_offered_a_callback(client, queue: SpecialistQueue) -> None:
    phone = Phone(client, number="anonymous")
    enqueued(phone)
    assert no_offer(wait_round(phone))


def test_no_callback_is_offered_to_a_crisis_caller_or_at_night(client, parts: Parts, queue: SpecialistQueue) -> None:
    crisis = Phone(client)
    doc = crisis.answer(crisis.answer(crisis.call(), Digits="1"), SpeechResult="мені погано не хочу жити")
    assert doc.first("Enqueue").text == "crisis-uk"
    assert no_offer(wait_round(crisis, f"{PUBLIC_URL}/twilio/wait?queue=crisis&lang=uk"))
    # At night a callback would be due in the morning: the choices offered it before the caller chose to wait.
    close_office(parts, OfficeHours(week={}))
    duty = Phone(client)
    offer = duty.answer(duty.answer(duty.call(), Digits="1"), Digits="0")
    assert duty.answer(offer, Digits="0").first("Enqueue").text == "general-uk"
    general = f"{PUBLIC_URL}/twilio/wait?queue=general&lang=uk"
    assert no_offer(wait_round(duty, general))
    keys = f"{PUBLIC_URL}/twilio/wait/keys?queue=general&lang=uk&position=1"
    assert duty.twiml(keys, {"Digits": "1"}, wait=True).xml == EMPTY


def test_the_hold_audio_is_served(client) -> None:
    response = client.get("/twilio/hold.wav")
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert response.content[:4] == b"RIFF" and response.content[8:12] == b"WAVE"


def _call_events(sessions: sessionmaker[Session], phone: Phone) -> dict[str, conversation_log.ConversationEvent]:
    return {event.kind: event for event in events_of(sessions, phone)}
