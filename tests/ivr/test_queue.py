"""Waiting in the queue (the waitUrl rounds), the callback that keeps the caller's place, leaving, the end."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline import conversation_log
from tests.ivr.phone import EMPTY, PUBLIC_URL, Doc, Phone, events_of, xml

UK = 'language="uk-UA" voice="Google.uk-UA-Standard-A"'
WAIT = f"{PUBLIC_URL}/twilio/wait?queue=benefits&lang=uk"
DONE = f"{PUBLIC_URL}/twilio/queue?queue=benefits&lang=uk"
OFFER = (
    f"<Say {UK}>Щоб не чекати на лінії, а отримати зворотний дзвінок, натисніть 1. "
    "Ваше місце в черзі збережеться.</Say>"
    f"<Play>{PUBLIC_URL}/twilio/hold.wav</Play>"
)


def enqueued(phone: Phone) -> Doc:
    menu = phone.answer(phone.answer(phone.call(), Digits="1"), Digits="2")
    doc = phone.answer(menu, Digits="0")
    assert doc.first("Enqueue").get("waitUrl") == WAIT
    return doc


def wait_round(phone: Phone, position: int, waited: int = 0, average: int = 300) -> Doc:
    figures = {
        "QueuePosition": str(position),
        "QueueTime": str(waited),
        "AvgQueueTime": str(average),
        "CurrentQueueSize": "5",
        "QueueSid": "QU" + "2" * 32,
    }
    return phone.twiml(WAIT, figures, wait=True)


def keys_gather(position: int) -> str:
    action = f"{PUBLIC_URL}/twilio/wait/keys?queue=benefits&amp;lang=uk&amp;position={position}"
    return f'<Gather action="{action}" input="dtmf" method="POST" numDigits="1" timeout="1">{OFFER}</Gather>'


def test_the_place_and_the_estimate_are_announced_only_when_they_improve(client) -> None:
    phone = Phone(client)
    enqueued(phone)
    assert wait_round(phone, 4, waited=60, average=300).xml == xml(
        f"<Say {UK}>Ваш номер у черзі — 4.</Say><Say {UK}>Орієнтовний час очікування — 4 хвилини.</Say>"
        + keys_gather(4)
    )
    assert wait_round(phone, 4, waited=90).xml == xml(keys_gather(4))
    assert wait_round(phone, 5, waited=100).xml == xml(keys_gather(5))
    assert wait_round(phone, 3, waited=120, average=0).said == [
        "Ваш номер у черзі — 3.",
        "Щоб не чекати на лінії, а отримати зворотний дзвінок, натисніть 1. Ваше місце в черзі збережеться.",
    ]
    # At the head of the queue the caller is next: no announcement, just the offer and the hold audio.
    assert wait_round(phone, 1, waited=150).xml == xml(keys_gather(1))


def test_a_callback_request_keeps_the_place_and_leaves_the_queue(client, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    enqueued(phone)
    gather = wait_round(phone, 3).gather
    other_key = phone.twiml(gather.get("action"), {"Digits": "5"}, wait=True)
    assert other_key.xml == EMPTY
    left = phone.twiml(gather.get("action"), {"Digits": "1"}, wait=True)
    assert left.xml == xml("<Leave />")
    done = phone.twiml(DONE, {"QueueResult": "leave", "QueueTime": "75"})
    assert done.xml == xml(
        f"<Say {UK}>Дякуємо! Фахівець передзвонить вам на цей номер у порядку черги. До побачення.</Say><Hangup />"
    )
    phone.twiml("/twilio/status", {"CallStatus": "completed", "CallDuration": "131"})
    events = _call_events(sessions, phone)
    assert events["callback_requested"].data == {
        "phone": phone.number,
        "queue": "benefits",
        "lang": "uk",
        "position": 3,
        "call_sid": phone.sid,
    }
    assert events["queue_left"].data == {"result": "leave", "queue_time": "75", "queue": "benefits"}
    assert events["call_ended"].data == {
        "status": "completed",
        "duration": 131,
        "abandoned": False,
        "from": phone.number,
    }


def test_a_caller_who_hangs_up_in_the_queue_abandoned_it(client, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    enqueued(phone)
    wait_round(phone, 2)
    phone.twiml("/twilio/status", {"CallStatus": "completed", "CallDuration": "95"})
    # Twilio's report from the queue may come after the status callback: it changes nothing then.
    assert phone.twiml(DONE, {"QueueResult": "hangup", "QueueTime": "80"}).xml == EMPTY
    events = _call_events(sessions, phone)
    assert events["call_ended"].data["abandoned"] is True
    assert events["call_ended"].data["duration"] == 95


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
        conversation = session.scalars(select(conversation_log.Conversation).filter_by(external_id=phone.sid)).one()
        assert conversation.ended is True


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


def test_the_hold_audio_is_served(client) -> None:
    response = client.get("/twilio/hold.wav")
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert response.content[:4] == b"RIFF" and response.content[8:12] == b"WAVE"


def _call_events(sessions: sessionmaker[Session], phone: Phone) -> dict[str, conversation_log.ConversationEvent]:
    return {event.kind: event for event in events_of(sessions, phone)}
