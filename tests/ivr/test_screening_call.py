"""The screening questionnaire on the phone, through signed webhooks: keys and speech, a number typed with
its #, the result with a key per measure, and a specialist with the answers on the screen."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from specialist_queue import context
from tests.ivr.phone import Doc, Phone, events_of


def questionnaire(phone: Phone) -> Doc:
    """A call in Ukrainian to the questionnaire: consultations (7), then "what am I entitled to" (1)."""
    menu = phone.answer(phone.call(), Digits="1")
    section = phone.answer(menu, Digits="7")
    return phone.answer(section, Digits="1")


def test_a_number_is_typed_with_its_hash_or_said(client) -> None:
    phone = Phone(client)
    first = questionnaire(phone)
    said = " ".join(first.said)
    assert said.startswith("Кілька коротких запитань")
    assert "Скільки людей у вашій родині" in said
    assert "Наберіть число на клавіатурі й натисніть решітку або назвіть його." in said
    assert "Або скажіть: «не знаю», «назад», «зупинити опитування»." in said
    assert "Фахівець — 0." in said
    gather = first.gather
    assert (gather.get("numDigits"), gather.get("finishOnKey"), gather.get("input")) == ("2", "#", "dtmf speech")
    # Twilio posts the keys before the #; the next question is a yes/no one: one key, # is back again.
    children = phone.answer(first, Digits="4")
    assert "Чи є у родині діти до 18 років? Так — 1. Ні — 2. Не знаю — 3. Назад — решітка." in " ".join(children.said)
    assert (children.gather.get("numDigits"), children.gather.get("finishOnKey")) == ("1", "")
    back = phone.answer(children, Digits="#")
    assert "Скільки людей у вашій родині" in " ".join(back.said)
    spoken = phone.answer(back, SpeechResult="нас четверо", Confidence="0.82")
    assert "Чи є у родині діти до 18 років?" in " ".join(spoken.said)


def test_a_whole_questionnaire_by_keys_and_speech_to_a_specialist(client, sessions: sessionmaker[Session]) -> None:
    phone = Phone(client)
    doc = questionnaire(phone)
    for form in (
        {"Digits": "3"},  # three people
        {"SpeechResult": "так", "Confidence": "0.9"},  # children under 18
        {"SpeechResult": "двоє", "Confidence": "0.7"},
        {"Digits": "1"},  # one under 3
        {"Digits": "2"},  # not a single parent
        {"SpeechResult": "менший", "Confidence": "0.6"},
        {"Digits": "1"},  # no disability
        {"Digits": "1"},  # displaced
        {"Digits": "2"},  # no veteran
        {"Digits": "3"},  # pays without trouble
    ):
        doc = phone.answer(doc, **form)
    said = " ".join(doc.said)
    assert said.startswith("За вашими відповідями ваша родина, ймовірно, може мати право на таке.")
    assert "Допомога при народженні дитини: допомогу при народженні виплачують частинами" in said
    assert "Це попередня оцінка, а не рішення." in said
    assert (
        "Допомога при народженні дитини — 1. Допомога малозабезпеченим сім'ям — 2. "
        "Допомога на проживання ве-пе-о — 3. Головне меню — 9. Назад — решітка. Фахівець — 0."
    ) in said
    measure = phone.answer(doc, Digits="2")
    assert any("малозабезпечен" in s for s in measure.said)
    result = phone.answer(measure, Digits="#")
    assert " ".join(result.said).startswith("За вашими відповідями")
    queued = phone.answer(result, Digits="0")
    assert queued.first("Enqueue") is not None
    events = events_of(sessions, phone)
    answers = [e for e in events if e.kind == "screening_answers"]
    assert len(answers) == 1 and len(answers[0].data["answers"]) == 10
    assert not any("двоє" in e.text or "менший" in e.text for e in events)  # the answers' words are not logged
    with sessions() as session:
        shown = context.build(session, events[0].conversation_id, None, "uk")
    assert shown is not None and shown["screening"][2] == {"question": "Скільки дітей до 18 років?", "answer": "2"}
