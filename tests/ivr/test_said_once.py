"""What a caller hears is said once and the same way each time: one greeting, a question asked again with
the very labels of its first asking, one promise of a person, the place in the queue once per change."""

from __future__ import annotations

import re

import pytest

from tests.ivr.phone import Doc, Phone

WELCOME = "Вітаємо!"
SECTIONS = [str(key) for key in range(1, 10)]


def _labels(said: str) -> list[str]:
    """The options a question reads out with their keys ("Житлова субсидія — 1", "Назад — решітка")."""
    return re.findall(r"([^.—]+?) — (?:натисніть )?(\d|решітка)", said)


def _asked(doc: Doc) -> str:
    return " ".join(doc.said)


def test_the_greeting_is_said_once_from_the_first_ring_to_the_menu(client) -> None:
    phone = Phone(client)
    question = phone.call()
    menu = phone.answer(question, Digits="1")
    heard = [*question.said, *menu.said]
    assert sum(said.count(WELCOME) for said in heard) == 1
    assert not any(WELCOME in said for said in question.said)  # the language question greets nobody
    again = phone.answer(menu)  # silence: the menu again, without a second welcome
    assert WELCOME not in _asked(again)


def test_the_top_menu_asked_again_uses_the_labels_of_its_first_asking(client) -> None:
    phone = Phone(client)
    menu = phone.answer(phone.call(), Digits="1")
    unheard = phone.answer(menu)
    assert unheard.said[0].startswith("Вибачте, я вас не почув.")
    assert _labels(_asked(unheard)) == _labels(_asked(menu))
    repeated = phone.answer(unheard, Digits="*")
    assert _labels(_asked(repeated)) == _labels(_asked(menu))


@pytest.mark.parametrize("section", SECTIONS)
def test_each_section_asked_again_uses_the_labels_of_its_first_asking(client, section: str) -> None:
    phone = Phone(client)
    first = phone.answer(phone.answer(phone.call(), Digits="1"), Digits=section)
    if first.first("Gather") is None:  # a section that puts the caller through at once
        return
    asked = _asked(first)
    for answer in ({}, {"SpeechResult": "ква ква ква", "Confidence": "0.9"}):
        again = phone.answer(first, **answer)
        assert _labels(_asked(again)) == _labels(asked), (section, answer, _asked(again))


def test_a_crisis_answer_promises_a_person_once(client) -> None:
    phone = Phone(client)
    menu = phone.answer(phone.call(), Digits="1")
    put_through = phone.answer(menu, SpeechResult="мене б'є чоловік допоможіть", Confidence="0.9")
    assert put_through.first("Enqueue") is not None
    said = _asked(put_through).lower()
    assert said.count("з'єдную") == 1, said
    keys = Phone(client)
    crisis = keys.answer(keys.answer(keys.answer(keys.call(), Digits="1"), Digits="9"), Digits="1")
    assert _asked(crisis).lower().count("з'єдную") == 1
