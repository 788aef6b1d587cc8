"""Global commands, the language question and guessing the language of free text."""

from __future__ import annotations

import pytest

from intents.commands import Command, command_of, guess_language, language_of_choice


@pytest.mark.parametrize(
    ("text", "lang", "command"),
    [
        ("оператор", "uk", Command.OPERATOR),
        ("Оператор!!!", "uk", Command.OPERATOR),
        ("людина", "uk", Command.OPERATOR),
        ("з'єднайте з людиною", "uk", Command.OPERATOR),
        ("зʼєднайте з оператором будь ласка", "uk", Command.OPERATOR),
        ("зєднайте з оператором", "uk", Command.OPERATOR),  # the apostrophe left out
        ("живой человек", "ru", Command.OPERATOR),
        ("соедините с оператором", "ru", Command.OPERATOR),
        ("хочу поговорити з живою людиною", "uk", Command.OPERATOR),
        ("нуль", "uk", Command.OPERATOR),
        ("повторіть", "uk", Command.REPEAT),
        ("ще раз", "uk", Command.REPEAT),
        ("повтори", "uk", Command.REPEAT),
        ("повторите пожалуйста", "ru", Command.REPEAT),
        ("не почула", "uk", Command.REPEAT),
        ("назад", "uk", Command.BACK),
        ("попереднє меню", "uk", Command.BACK),
        ("меню", "uk", Command.MENU),
        ("головне меню", "uk", Command.MENU),
        ("в начало", "ru", Command.MENU),
        ("на початок", "uk", Command.MENU),
        ("так", "uk", Command.YES),
        ("да", "ru", Command.YES),
        ("ага", "uk", Command.YES),
        ("так, правильно", "uk", Command.YES),
        ("ні", "uk", Command.NO),
        ("нет", "ru", Command.NO),
        ("ні, не треба", "uk", Command.NO),
    ],
)
def test_short_commands(text: str, lang: str, command: Command) -> None:
    assert command_of(text, lang) is command


def test_an_action_beats_yes_or_no_in_the_same_utterance() -> None:
    assert command_of("ні, з'єднайте з оператором", "uk") is Command.OPERATOR
    assert command_of("так, повторіть", "uk") is Command.REPEAT


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("дайте будь ласка оператора", "uk"),
        ("ничего не понятно дайте специалиста", "ru"),
        ("мені це все складно з'єднайте мене з оператором", "uk"),
    ],
)
def test_an_explicit_request_for_a_person_inside_a_sentence(text: str, lang: str) -> None:
    assert command_of(text, lang) is Command.OPERATOR


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("чому оператор не відповідає на мою скаргу", "uk"),
        ("хочу поскаржитися на працівника", "uk"),
        ("як оформити субсидію", "uk"),
        ("так а що з субсидією", "uk"),
        ("да мне не начислили субсидию", "ru"),
        ("назад мені повернули документи на субсидію", "uk"),
        ("меню в столовій соцзахисту", "uk"),
        ("2", "uk"),
        ("", "uk"),
    ],
)
def test_not_a_command(text: str, lang: str) -> None:
    assert command_of(text, lang) is None


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("українська", "uk"), ("українською", "uk"), ("Українською, будь ласка", "uk"), ("укр", "uk"),
        ("русский", "ru"), ("по-русски", "ru"), ("російська", "ru"), ("рус", "ru"), ("на русском пожалуйста", "ru"),
    ],
)
def test_language_of_choice(text: str, lang: str) -> None:
    assert language_of_choice(text) == lang


@pytest.mark.parametrize("text", ["1", "2", "як оформити субсидію", "", "english"])
def test_no_language_named(text: str) -> None:
    assert language_of_choice(text) is None


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("як оформити субсидію", "uk"),
        ("Пiльги дiтям вiйни є?", "uk"),
        ("допомога на дитину", "uk"),
        ("как оформить субсидию", "ru"),
        ("Льготный проезд для пенсионеров", "ru"),
        ("пособие на ребёнка", "ru"),
        ("субсидия", "ru"),
        ("Опекунские выплаты", "ru"),
    ],
)
def test_guess_language(text: str, lang: str) -> None:
    assert guess_language(text) == lang


@pytest.mark.parametrize("text", ["1", "hello", "", "???"])
def test_guess_language_without_evidence(text: str) -> None:
    assert guess_language(text) is None
