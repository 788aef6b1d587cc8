"""Normalisation and lemmatisation of Ukrainian, Russian and mixed text."""

from __future__ import annotations

import pytest

from intents.normalise import (
    apostrophe_variants,
    content_tokens,
    is_function_word,
    latin_variants,
    lemma,
    lemma_set,
    lemmas,
    normalise,
    tokens,
)


@pytest.mark.parametrize("raw", ["сім'я", "сім’я", "сімʼя", "сім`я", "сім‘я", "сім′я"])
def test_every_apostrophe_becomes_one(raw: str) -> None:
    assert normalise(raw, "uk") == "сім'я"


def test_case_yo_punctuation_and_emoji() -> None:
    assert normalise("Ребёнок ЁЛКА!!! 😡 ??", "ru") == "ребенок елка"
    assert normalise("Субсидія, пільги; (ВПО)…", "uk") == "субсидія пільги впо"


def test_apostrophes_at_word_edges_are_dropped() -> None:
    assert normalise("'субсидія' ‘пільга’", "uk") == "субсидія пільга"


def test_latin_lookalikes_inside_cyrillic_words() -> None:
    assert normalise("Пiльги дiтям вiйни", "uk") == "пільги дітям війни"
    assert normalise("BПO", "uk") == "впо"  # all three letters Latin, but with no Cyrillic: left alone
    assert normalise("ВПO субсидiя", "uk") == "впо субсидія"
    assert normalise("hello viber", "uk") == "hello viber"


def test_stretched_letters_collapse_but_real_doubles_stay() -> None:
    assert normalise("субсидіяяяя", "uk") == "субсидія"
    assert normalise("ссууубсидія", "uk") == "ссубсидія"
    assert normalise("життяяя", "uk") == "життя"
    assert normalise("навчання", "uk") == "навчання"


@pytest.mark.parametrize(
    ("raw", "lang", "expected"),
    [
        ("нуль", "uk", "0"), ("ноль", "ru", "0"), ("два", "uk", "2"), ("дві", "uk", "2"), ("две", "ru", "2"),
        ("десять", "uk", "10"), ("двадцять", "uk", "20"), ("двадцать", "ru", "20"),
        ("п'ять", "uk", "5"), ("пять", "ru", "5"), ("сім", "uk", "7"), ("семь", "ru", "7"),
        ("одинадцять", "uk", "11"), ("одиннадцать", "ru", "11"),
    ],
)
def test_cardinal_number_words(raw: str, lang: str, expected: str) -> None:
    assert normalise(raw, lang) == expected


@pytest.mark.parametrize(
    ("raw", "lang", "expected"),
    [
        ("перший", "uk", "1"), ("перша", "uk", "1"), ("другий", "uk", "2"), ("друга", "uk", "2"),
        ("друге", "uk", "2"), ("третій", "uk", "3"), ("третя", "uk", "3"), ("четвертий", "uk", "4"),
        ("п'ятий", "uk", "5"), ("десятий", "uk", "10"), ("первый", "ru", "1"), ("второй", "ru", "2"),
        ("вторая", "ru", "2"), ("третий", "ru", "3"), ("пятый", "ru", "5"), ("седьмой", "ru", "7"),
        ("second", "uk", "2"), ("third", "ru", "3"),
    ],
)
def test_ordinal_number_words(raw: str, lang: str, expected: str) -> None:
    assert normalise(raw, lang) == expected


def test_number_words_stay_words_where_they_mean_something_else() -> None:
    # Russian "друга" is "of a friend", "другой" is "other"; Ukrainian "сім'я" is a family.
    assert normalise("позови друга другой", "ru") == "позови друга другой"
    assert normalise("сім'я", "uk") == "сім'я"


def test_digits_stand_apart_from_letters() -> None:
    assert normalise("75% УБД 2гр", "uk") == "75 убд 2 гр"


def test_tokens_keep_everything_content_tokens_drop_stop_words() -> None:
    text = "Доброго дня, підкажіть будь ласка, як мені оформити житлову субсидію?"
    assert tokens(text, "uk")[:3] == ("доброго", "дня", "підкажіть")
    assert content_tokens(text, "uk") == ("оформити", "житлову", "субсидію")
    ru = "Здравствуйте, подскажите пожалуйста как мне оформить субсидию"
    assert content_tokens(ru, "ru") == ("оформить", "субсидию")


def test_lemmas_ukrainian() -> None:
    assert lemmas("Як мені оформити житлову субсидію?", "uk") == ("оформити", "житловий", "субсидія")
    assert lemmas("допомогу на поховання", "uk") == ("допомога", "поховання")
    assert lemma("дитини", "uk") == "дитина"


def test_lemmas_russian_with_yo_folded() -> None:
    assert lemmas("Пособие на рождение ребёнка", "ru") == ("пособие", "рождение", "ребенок")
    assert lemma("путёвку", "ru") == "путевка"


def test_mixed_text_falls_back_to_the_other_language() -> None:
    # A Russian word in a Ukrainian conversation and the other way round.
    assert lemmas("субсидию на комуналку", "uk") == ("субсидия", "комуналка")
    assert lemmas("довідка впо", "ru") == ("довідка", "впо")


def test_ukrainian_word_that_is_its_own_lemma_wins_over_an_odd_first_parse() -> None:
    # pymorphy3's Ukrainian dictionary has no frequencies; "мати" first parses as "мата".
    assert lemma("мати", "uk") == "мати"
    assert {"війна", "війнути"} <= lemma_set("війни", "uk")


def test_a_word_both_languages_know_gets_both_lemmas() -> None:
    assert {"оформити", "оформить"} <= lemma_set("оформить", "ru")


def test_latin_spellings_of_cyrillic_words() -> None:
    assert "субсидия" in latin_variants("subsidiya")
    assert "пришла" in latin_variants("prishla")
    assert "оформити" in latin_variants("jajhvbnb")  # typed with the English layout on
    assert latin_variants("впо") == ()


def test_ukrainian_words_typed_without_the_apostrophe() -> None:
    assert apostrophe_variants("сімя") == ("сім'я",)
    assert apostrophe_variants("зєднайте") == ("з'єднайте",)
    assert apostrophe_variants("сім'я") == ()
    assert apostrophe_variants("субсидія") == ()


@pytest.mark.parametrize(
    ("word", "lang", "function"),
    [
        ("теж", "uk", True), ("щоб", "uk", True), ("тепер", "uk", True), ("всю", "uk", True),
        ("такой", "ru", True), ("тоже", "ru", True), ("почти", "ru", True), ("слышала", "ru", True),
        ("ато", "uk", False),  # "учасник АТО": an operation, not a particle
        ("субсидію", "uk", False), ("безкоштовно", "uk", False), ("вместо", "ru", False),
    ],
)
def test_function_words_are_told_by_form_lemma_or_part_of_speech(word: str, lang: str, function: bool) -> None:
    assert is_function_word(word, lang) is function
