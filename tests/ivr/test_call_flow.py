"""A call through the webhooks, turn by turn, with the exact TwiML Twilio gets on the main paths."""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session, sessionmaker

from hotline.admin import office
from hotline.db import transaction
from hotline.deps import Parts
from hotline.office_hours import OfficeHours, QueuePolicy, parse_week
from hotline.pronunciation import Pronouncer
from intents.pack import DEMO_PACK, load_pack
from tests.ivr.conftest import close_office
from tests.ivr.phone import EMPTY, PUBLIC_URL, Doc, Phone, events_of, xml

UK = 'language="uk-UA" voice="Google.uk-UA-Standard-A"'
RU = 'language="ru-RU" voice="Google.ru-RU-Standard-A"'
TREE = load_pack(DEMO_PACK)
MENU_ITEMS = (
    "Житлова субсидія — 1. Пільги — 2. Сім'ї з дітьми — 3. Малозабезпечені, матеріальна допомога — 4. "
    "Інвалідність і догляд — 5. Переселенці (ве-пе-о) — 6. Консультація, довідки, прийом — 7. "
    "Статус заяви, виплати, скарги — 8. Безпека: кризові ситуації, шахраї — 9. Фахівець — 0."
)
# The office is open in these tests and nobody is on shift: a caller is put in the queue and told so, not "connecting".
NOBODY_ON_SHIFT = (
    "Зараз жоден фахівець на зміні не може прийняти ваше звернення. "
    "Ви в черзі: вам відповідять, щойно фахівець з'явиться."
)
# After an answer the phone reads the same options a chat shows as buttons, each with its key.
AFTER_ANSWER_KEYS = "Повторити — 1. Головне меню — 2. Назад — решітка. Фахівець — 0."
LISTEN = (
    'actionOnEmptyResult="true" bargeIn="true" finishOnKey="" hints="{hints}" input="dtmf speech" '
    'language="{language}" method="POST" numDigits="1" speechTimeout="3" timeout="6"'
)


def gather_attributes(step: int, hints: str, language: str = "uk-UA") -> dict[str, str]:
    listen = LISTEN.format(hints=hints, language=language)
    pairs = dict(part.split("=", 1) for part in listen.split('" '))
    attributes = {name: value.strip('"') for name, value in pairs.items()}
    return {"action": f"{PUBLIC_URL}/twilio/gather?step={step}", **attributes}


def in_ukrainian(phone: Phone) -> Doc:
    return phone.answer(phone.call(), Digits="1")


def test_an_incoming_call_asks_for_the_language_in_both_voices(client) -> None:
    doc = Phone(client).call()
    listen = LISTEN.format(hints="українська, русский, російська, украинский", language="uk-UA")
    assert doc.xml == xml(
        f'<Gather action="{PUBLIC_URL}/twilio/gather?step=1&amp;ask=language" {listen}>'
        f"<Say {UK}>Оберіть мову: українська — 1.</Say>"
        f"<Say {RU}>Выберите язык: русский — 2.</Say>"
        "</Gather>"
    )


def test_a_caller_silent_at_the_language_question_twice_is_taken_on_in_ukrainian(client) -> None:
    phone = Phone(client)
    again = phone.answer(phone.call())
    assert again.gather.get("action") == f"{PUBLIC_URL}/twilio/gather?step=2&ask=language"
    assert again.said == ["Оберіть мову: українська — 1.", "Выберите язык: русский — 2."]
    menu = phone.answer(again)
    assert menu.gather.get("language") == "uk-UA"
    assert menu.said[0].startswith(TREE.welcome["uk"])


def test_key_1_chooses_ukrainian_and_reads_the_menu_inside_a_gather(client) -> None:
    doc = in_ukrainian(Phone(client))
    gather = doc.gather
    hints = gather.get("hints").split(", ")
    assert dict(gather.attrib) == gather_attributes(2, gather.get("hints"))
    # The menu's titles first, then the phrases of each category, at most 60, no commas inside one.
    assert hints[:3] == ["житлова субсидія", "пільги", "сім'ї з дітьми"]
    assert "субсидія на комуналку" in hints and len(hints) <= 60
    assert doc.xml.endswith(f"<Say {UK}>{TREE.welcome['uk']} {MENU_ITEMS}</Say></Gather></Response>")


def test_saying_the_language_chooses_russian(client) -> None:
    phone = Phone(client)
    doc = phone.answer(phone.call(), SpeechResult="русский", Confidence="0.8")
    assert doc.gather.get("language") == "ru-RU"
    assert doc.said[0].startswith(TREE.welcome["ru"])
    assert "Жилищная субсидия — 1." in doc.said[0]
    assert all(say.get("voice") == "Google.ru-RU-Standard-A" for say in doc.root.iter("Say"))


def test_a_spoken_question_is_answered_in_short_with_the_after_answer_keys(client) -> None:
    phone = Phone(client)
    doc = phone.answer(in_ukrainian(phone), SpeechResult="Як мені оформити житлову субсидію", Confidence="0.92")
    short = Pronouncer().say(TREE.index["housing_subsidy_apply"].text("uk").short, "uk")  # "ЦНАП" as said
    assert dict(doc.gather.attrib) == gather_attributes(3, doc.gather.get("hints"))
    assert doc.gather.get("hints").startswith("повторити, головне меню, назад, зв'язатися з фахівцем")
    assert doc.xml.endswith(f"<Say {UK}>{short} {AFTER_ANSWER_KEYS}</Say></Gather></Response>")
    again = phone.answer(doc, Digits="1")
    assert again.said == doc.said


def test_low_speech_confidence_asks_which_was_meant(client) -> None:
    phone = Phone(client)
    doc = phone.answer(in_ukrainian(phone), SpeechResult="субсидія документи", Confidence="0.3")
    assert doc.said == ["Ви питаєте про «Документи для субсидії»? Так — 1. Ні — 2. Фахівець — 0."]
    answer = phone.answer(doc, Digits="1")
    assert answer.said[0].startswith(Pronouncer().say(TREE.index["housing_subsidy_documents"].text("uk").short, "uk"))


def test_silence_gets_the_prompt_again_then_the_menu_then_a_person(client) -> None:
    phone = Phone(client)
    menu = phone.answer(in_ukrainian(phone), Digits="1")
    first = phone.answer(menu)
    # The menu's own prompt again, so the caller hears the same labels as the first time.
    assert (
        first.said
        == [f"Вибачте, я вас не почув. {TREE.index['subsidies'].text('uk').prompt}"]
        == [f"Вибачте, я вас не почув. {menu.said[0]}"]
    )
    second = phone.answer(first)
    assert second.said == menu.said
    third = phone.answer(second)
    assert third.xml == xml(
        f"<Say {UK}>Вибачте, я не зрозумів.</Say><Say {UK}>{NOBODY_ON_SHIFT}</Say>"
        f'<Enqueue action="{PUBLIC_URL}/twilio/queue?queue=subsidies&amp;lang=uk" method="POST" '
        f'waitUrl="{PUBLIC_URL}/twilio/wait?queue=subsidies&amp;lang=uk" waitUrlMethod="POST">subsidies-uk</Enqueue>'
    )


def test_zero_enqueues_into_the_queue_of_the_category_and_language(client, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    menu = phone.answer(in_ukrainian(phone), Digits="2")
    doc = phone.answer(menu, Digits="0")
    assert doc.xml == xml(
        f"<Say {UK}>{NOBODY_ON_SHIFT}</Say>"
        f'<Enqueue action="{PUBLIC_URL}/twilio/queue?queue=benefits&amp;lang=uk" method="POST" '
        f'waitUrl="{PUBLIC_URL}/twilio/wait?queue=benefits&amp;lang=uk" waitUrlMethod="POST">benefits-uk</Enqueue>'
    )
    kinds = [event.kind for event in events_of(sessions, phone)]
    assert kinds[-2:] == ["handoff_requested", "call_enqueued"]


def test_a_crisis_is_put_through_at_night_too(client, closed: Parts) -> None:
    phone = Phone(client)
    doc = phone.answer(in_ukrainian(phone), SpeechResult="мені погано не хочу жити", Confidence="0.9")
    assert "112" in doc.said[0] and "102" in doc.said[0]
    assert doc.tags() == ["Response", "Say", "Enqueue"]
    assert doc.first("Enqueue").text == "crisis-uk"


def test_out_of_hours_a_person_is_not_offered_but_a_callback_or_a_message(client, closed: Parts, duty: int) -> None:
    phone = Phone(client)
    doc = phone.answer(in_ukrainian(phone), Digits="0")
    assert doc.xml == xml(
        f'<Gather action="{PUBLIC_URL}/twilio/choices?queue=general&amp;lang=uk&amp;attempt=1" '
        'actionOnEmptyResult="true" finishOnKey="" input="dtmf" method="POST" numDigits="1" timeout="6">'
        f"<Say {UK}>Зараз фахівці не працюють.</Say>"
        f"<Say {UK}>Щоб замовити зворотний дзвінок, натисніть 1. Щоб залишити голосове повідомлення — 2.</Say>"
        f"<Say {UK}>Щоб дочекатися на лінії чергового фахівця — 0.</Say>"
        "</Gather>"
    )


def test_out_of_hours_the_caller_hears_when_specialists_answer_again(client, parts: Parts, duty: int) -> None:
    close_office(parts, OfficeHours(week=parse_week("mon-sun 00:00-00:00:01")))
    phone = Phone(client)
    doc = phone.answer(in_ukrainian(phone), Digits="0")
    assert doc.said[0] in {
        f"Зараз фахівці не працюють. Вони відповідатимуть {day} о 00:00." for day in ("завтра", "сьогодні")
    }


def test_a_callback_request_out_of_hours(client, closed: Parts, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    offer = phone.answer(phone.answer(in_ukrainian(phone), Digits="1"), Digits="0")
    doc = phone.answer(offer, Digits="1")
    assert doc.xml == xml(
        f"<Say {UK}>Дякуємо! Фахівець передзвонить вам на цей номер у порядку черги. До побачення.</Say><Hangup />"
    )
    [event] = [event for event in events_of(sessions, phone) if event.kind == "callback_requested"]
    assert event.data == {
        "phone": phone.number,
        "queue": "subsidies",
        "lang": "uk",
        "position": None,
        "call_sid": phone.sid,
    }


def test_out_of_hours_zero_waits_for_the_duty_specialist_only_where_there_is_one(
    client, closed: Parts, duty: int
) -> None:
    phone = Phone(client)
    offer = phone.answer(in_ukrainian(phone), Digits="0")
    queued = phone.answer(offer, Digits="0")
    assert queued.said == ["Залишайтеся на лінії, вам відповість черговий фахівець."]
    assert queued.first("Enqueue").text == "general-uk"

    assert closed.dialogue.office is not None
    closed.dialogue.office.after_hours_wait = False  # no duty specialist: the office's rules for every channel
    other = Phone(client)
    offer = other.answer(in_ukrainian(other), Digits="0")
    assert "Щоб дочекатися на лінії чергового фахівця — 0." not in offer.said
    again = other.answer(offer, Digits="0")
    assert again.tags()[:2] == ["Response", "Gather"] and again.first("Enqueue") is None
    assert again.gather.get("action").endswith("attempt=2")
    assert other.answer(again).xml == xml(
        f"<Say {UK}>Будь ласка, зателефонуйте в робочий час. До побачення.</Say><Hangup />"
    )


def test_a_voice_message_is_recorded_and_stored_with_its_transcription(
    client, closed: Parts, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client)
    offer = phone.answer(in_ukrainian(phone), Digits="0")
    doc = phone.answer(offer, Digits="2")
    assert doc.xml == xml(
        f"<Say {UK}>Після сигналу назвіть своє ім'я, номер телефону і коротко питання. "
        "Щоб закінчити, натисніть решітку.</Say>"
        f'<Record action="{PUBLIC_URL}/twilio/recorded?queue=general&amp;lang=uk" finishOnKey="#" maxLength="120" '
        f'method="POST" playBeep="true" '
        f'recordingStatusCallback="{PUBLIC_URL}/twilio/recording?queue=general&amp;lang=uk" '
        f'recordingStatusCallbackMethod="POST" transcribeCallback="{PUBLIC_URL}/twilio/transcription" />'
    )
    record = doc.first("Record")
    recording = {"RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingSid": "RE1", "RecordingDuration": "14"}
    status = phone.twiml(record.get("recordingStatusCallback"), {**recording, "RecordingStatus": "completed"})
    assert status.xml == EMPTY
    done = phone.twiml(record.get("action"), recording)
    assert done.said == [
        "Дякуємо, ваше повідомлення збережено. Фахівець зв'яжеться з вами в робочий час. До побачення."
    ]
    text = {"TranscriptionText": "Прошу передзвонити щодо субсидії", "TranscriptionStatus": "completed"}
    phone.twiml(record.get("transcribeCallback"), {**text, "RecordingUrl": recording["RecordingUrl"]})
    events = {event.kind: event for event in events_of(sessions, phone)}
    assert events["voicemail"].data == {
        "url": "https://api.twilio.com/rec/RE1",
        "sid": "RE1",
        "duration": "14",
        "from": phone.number,
    }
    assert events["voicemail_transcription"].text == "Прошу передзвонити щодо субсидії"
    assert [e.kind for e in events_of(sessions, phone)].count("voicemail") == 1


def test_zero_at_the_language_question_puts_the_caller_through(client) -> None:
    phone = Phone(client)
    doc = phone.answer(phone.call(), Digits="0")
    assert doc.said == [NOBODY_ON_SHIFT]
    assert doc.first("Enqueue").text == "general-uk"


def test_after_an_answer_silence_repeats_what_the_keys_mean_there(client) -> None:
    phone = Phone(client)
    answer = phone.answer(phone.answer(in_ukrainian(phone), Digits="1"), Digits="1")
    again = phone.answer(answer)
    assert again.said == [f"Вибачте, я вас не почув. {AFTER_ANSWER_KEYS}"]
    assert phone.answer(again, Digits="1").said == answer.said  # and 1 still repeats the answer


def test_out_of_hours_an_answer_that_hands_over_does_not_promise_a_person(client, closed: Parts, duty: int) -> None:
    phone = Phone(client)
    doc = phone.answer(phone.answer(in_ukrainian(phone), Digits="8"), Digits="3")  # a complaint
    said = " ".join(doc.said)
    assert "Нам шкода, що виникла проблема." in said and "з'єдную" not in said.lower()
    assert doc.said[-3:-1] == [
        "Зараз фахівці не працюють.",
        "Щоб замовити зворотний дзвінок, натисніть 1. Щоб залишити голосове повідомлення — 2.",
    ]


def test_out_of_hours_without_callbacks_only_a_voice_message_is_offered(
    client, closed: Parts, sessions: sessionmaker[Session], duty: int
) -> None:
    with transaction(sessions) as session:
        office.save_policy(session, dataclasses.replace(QueuePolicy(), callback_when_closed=False))
    closed.office.invalidate()
    try:
        phone = Phone(client)
        offer = phone.answer(in_ukrainian(phone), Digits="0")
        assert offer.said[1:] == [
            "Щоб залишити голосове повідомлення, натисніть 2.",
            "Щоб дочекатися на лінії чергового фахівця — 0.",
        ]
        again = phone.answer(offer, Digits="1")  # not a choice now
        assert again.gather.get("action").endswith("attempt=2")
        assert phone.answer(again, Digits="2").first("Record") is not None
    finally:
        with transaction(sessions) as session:
            office.save_policy(session, QueuePolicy())
        closed.office.invalidate()
