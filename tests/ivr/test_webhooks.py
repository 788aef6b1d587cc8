"""What every webhook guarantees: Twilio's signature or 403, one advance per step, TwiML even on a fault."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channels.state_store import state_key
from hotline.conversation_log import Conversation
from hotline.deps import Parts
from ivr.line import phone_of
from tests.ivr.phone import EMPTY, PUBLIC_URL, TOKEN, Doc, Phone, events_of, sign, xml

UK = 'language="uk-UA" voice="Google.uk-UA-Standard-A"'
RU = 'language="ru-RU" voice="Google.ru-RU-Standard-A"'


def conversations_of(sessions: sessionmaker[Session], phone: Phone) -> int:
    with sessions() as session:
        query = select(func.count()).select_from(Conversation).where(Conversation.external_id == phone.sid)
        return int(session.scalar(query) or 0)


def test_a_missing_or_wrong_signature_is_refused_and_changes_nothing(client, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    url = f"{PUBLIC_URL}/twilio/voice"
    refused = [
        phone.post(url, signature=""),
        phone.post(url, signature="bm90IGEgc2lnbmF0dXJl"),
        phone.post(url, signature=sign(url, phone.params(), token="another-token")),
        # Signed for the host the app runs on, not for the public URL Twilio calls.
        phone.post(url, signature=sign("http://testserver/twilio/voice", phone.params())),
        # A parameter changed after signing.
        client.post(
            url, data=phone.params({"From": "+380999999999"}), headers={"X-Twilio-Signature": sign(url, phone.params())}
        ),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert refused[0].json()["message"] == "invalid or missing X-Twilio-Signature"
    assert conversations_of(sessions, phone) == 0


def test_a_signed_step_with_a_wrong_signature_does_not_advance(client, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    first = phone.call()
    action = first.gather.get("action")
    assert phone.post(action, {"Digits": "2"}, signature="forged").status_code == 403
    # The language question is still open: 2 now chooses Russian.
    assert phone.answer(first, Digits="2").gather.get("language") == "ru-RU"
    assert [e.kind for e in events_of(sessions, phone)].count("citizen_digit") == 1


def test_another_account_is_refused(client) -> None:
    phone = Phone(client)
    url = f"{PUBLIC_URL}/twilio/voice"
    params = phone.params({"AccountSid": "AC" + "9" * 32})
    response = client.post(url, data=params, headers={"X-Twilio-Signature": sign(url, params)})
    assert response.status_code == 403


def test_without_an_auth_token_every_webhook_is_refused(client, parts: Parts) -> None:
    validator, phone_of(parts).validator = phone_of(parts).validator, None
    try:
        response = Phone(client).post("/twilio/voice")
    finally:
        phone_of(parts).validator = validator
    assert response.status_code == 403
    assert "no Twilio auth token" in response.json()["message"]


def test_a_retried_step_answers_the_same_and_advances_once(client, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    menu = phone.answer(phone.call(), Digits="1")
    action = menu.gather.get("action")
    first = phone.twiml(action, {"Digits": "1"})
    retried = phone.twiml(action, {"Digits": "1"})
    assert retried.xml == first.xml
    assert retried.gather.get("action") == f"{PUBLIC_URL}/twilio/gather?step=3"
    assert [e.kind for e in events_of(sessions, phone)] == [
        "citizen_start",
        "bot",
        "citizen_digit",
        "bot",
        "citizen_digit",
        "bot",
    ]
    # The next step goes on from where the first answer left the call (the subsidies menu).
    assert phone.answer(first, Digits="3").said[0].startswith("Для субсидії")


def test_a_retried_incoming_call_hears_the_same_and_starts_one_conversation(
    client, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client)
    first = phone.call()
    assert phone.call().xml == first.xml
    assert conversations_of(sessions, phone) == 1


def test_a_callsid_used_again_after_its_call_went_on_is_a_new_call(client, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    phone.answer(phone.answer(phone.call(), Digits="2"), Digits="1")
    again = phone.call()
    assert again.said[0] == "Оберіть мову: українська — 1."
    assert again.gather.get("action") == f"{PUBLIC_URL}/twilio/gather?step=1&ask=language"
    assert conversations_of(sessions, phone) == 2
    assert phone.answer(again, Digits="1").gather.get("language") == "uk-UA"


def test_an_internal_error_apologises_and_puts_the_caller_through(client, parts: Parts) -> None:
    phone = Phone(client)
    menu = phone.answer(phone.call(), Digits="1")
    # The call now points at a conversation that exists nowhere: the engine cannot go on.
    parts.redis.client.set(f"{parts.settings.redis_prefix}:call:{phone.sid}", "f" * 32)
    response = phone.post(menu.gather.get("action"), {"Digits": "1"})
    assert response.status_code == 200
    assert Doc(response.text).xml == xml(
        f"<Say {UK}>Вибачте, сталася технічна помилка. З'єдную вас із фахівцем.</Say>"
        f"<Say {RU}>Извините, произошла техническая ошибка. Соединяю вас со специалистом.</Say>"
        f'<Enqueue action="{PUBLIC_URL}/twilio/queue?queue=general&amp;lang=uk" method="POST" '
        f'waitUrl="{PUBLIC_URL}/twilio/wait?queue=general&amp;lang=uk" waitUrlMethod="POST">general-uk</Enqueue>'
    )


def test_reports_about_unknown_calls_are_answered_with_empty_twiml(client) -> None:
    stranger = Phone(client)
    for url, form in [
        ("/twilio/queue?queue=general&lang=uk", {"QueueResult": "hangup"}),
        ("/twilio/recording", {"RecordingUrl": "https://api.twilio.com/rec/RE9", "RecordingStatus": "completed"}),
        ("/twilio/status", {"CallStatus": "completed", "CallDuration": "3"}),
    ]:
        assert stranger.twiml(url, form).xml == EMPTY


def test_a_gather_for_a_call_we_never_answered_answers_it_now(client, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    doc = phone.twiml("/twilio/gather?step=4", {"Digits": "1"})
    assert doc.said[0] == "Оберіть мову: українська — 1."
    assert conversations_of(sessions, phone) == 1


def test_bad_query_parameters_are_a_clear_4xx(client) -> None:
    phone = Phone(client)
    for url in (
        "/twilio/gather?step=x",
        "/twilio/wait?queue=general&lang=de",
        "/twilio/choices?queue=Bad%20Queue&lang=uk",
    ):
        response = phone.post(url)
        assert response.status_code == 422, url
        assert response.json()["message"]


def test_the_signature_is_checked_against_the_public_url_with_its_query(client) -> None:
    """Twilio signs the URL it calls, query included: the same form for another step does not pass."""
    phone = Phone(client)
    phone.call()
    params = phone.params({"Digits": "1"})
    signature = sign(f"{PUBLIC_URL}/twilio/gather?step=1", params)
    assert (
        client.post(
            f"{PUBLIC_URL}/twilio/gather?step=2", data=params, headers={"X-Twilio-Signature": signature}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{PUBLIC_URL}/twilio/gather?step=1", data=params, headers={"X-Twilio-Signature": signature}
        ).status_code
        == 200
    )
    assert TOKEN  # the token the app was configured with signs these


def test_a_fault_in_a_turn_still_puts_the_caller_in_our_queue(client, parts: Parts) -> None:
    phone = Phone(client)
    menu = phone.answer(phone.call(), Digits="1")
    record = phone_of(parts).calls.find(phone.sid)
    assert record is not None
    # The conversation's state is unreadable: the engine cannot go on.
    parts.redis.client.set(state_key(parts.settings.redis_prefix, record.conversation_id), "{not json")
    doc = phone.answer(menu, Digits="1")
    assert doc.first("Enqueue").text == "general-uk" and doc.said[0].startswith("Вибачте, сталася технічна помилка.")
    # The apology promised a person: the call waits where specialists are offered calls.
    assert parts.specialists is not None
    entry = parts.specialists.queue.store.entry(record.conversation_id)
    assert entry is not None and entry.queue == "general:uk" and entry.state.value == "waiting"
    phone.twiml(
        "/twilio/status", {"CallStatus": "completed", "CallDuration": "20"}
    )  # and it leaves when the caller does
    assert parts.specialists.queue.store.entry(record.conversation_id).state.value == "closed"


def test_a_fault_in_the_queue_callback_and_report_webhooks_is_never_a_500(client, parts: Parts) -> None:
    phone = Phone(client)
    phone.answer(phone.call(), Digits="1")
    # The call now points at a conversation that exists nowhere.
    parts.redis.client.set(f"{parts.settings.redis_prefix}:call:{phone.sid}", "f" * 32)
    hold = xml(f"<Play>{PUBLIC_URL}/twilio/hold.wav</Play>")
    keys = phone.post("/twilio/wait/keys?queue=general&lang=uk&position=2", {"Digits": "1"})
    assert keys.status_code == 200 and Doc(keys.text, wait=True).xml == hold  # the wait goes on
    for url, form in [
        ("/twilio/wait?queue=general&lang=uk", {"QueuePosition": "2"}),
        ("/twilio/queue?queue=general&lang=uk", {"QueueResult": "hangup"}),
        ("/twilio/choices?queue=general&lang=uk", {"Digits": "1"}),
        ("/twilio/recorded?lang=uk", {"RecordingUrl": "https://api.twilio.com/rec/RE7"}),
        ("/twilio/recording", {"RecordingUrl": "https://api.twilio.com/rec/RE7", "RecordingStatus": "completed"}),
        ("/twilio/transcription", {"TranscriptionText": "текст", "TranscriptionStatus": "completed"}),
        ("/twilio/status", {"CallStatus": "completed", "CallDuration": "9"}),
    ]:
        response = phone.post(url, form)
        assert response.status_code == 200, (url, response.text)
        Doc(response.text, wait=url.startswith("/twilio/wait"))
