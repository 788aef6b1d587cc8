"""Personal-data detection and masking: the labelled samples' precision and recall, and each kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from privacy.evaluation import load, score
from privacy.masking import Kind, find, mask

HERE = Path(__file__).parent
# The floors docs/PRIVACY.md promises; the measured figures are written there by bench/privacy_bench.py.
FLOORS = {"personal_data_sample.tsv": (0.97, 0.95), "personal_data_holdout.tsv": (0.95, 0.95)}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_the_labelled_samples_are_found_and_little_else(name: str) -> None:
    examples = load(HERE / name)
    scores = score(examples)
    precision, recall = FLOORS[name]
    assert len(examples) > 30 and scores.overall.marked > 30
    assert scores.overall.precision >= precision, scores.false_alarms
    assert scores.overall.recall >= recall, scores.misses
    for kind in (Kind.RNOKPP, Kind.PHONE, Kind.CARD, Kind.EMAIL):  # the identifiers a check digit or a plan decides
        assert scores.kind(kind).recall == 1.0, (kind, scores.misses)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("мій РНОКПП 2876543211", "мій РНОКПП [РНОКПП]"),
        ("УНЗР 19780412-01234", "УНЗР [УНЗР]"),
        ("паспорт СА 123456", "паспорт [паспорт]"),
        ("ID-картка 001234567", "ID-картка [паспорт]"),
        ("телефон +38 (050) 123-45-67.", "телефон [телефон]."),
        ("картка 4149 4936 6712 7683", "картка [картка]"),
        ("UA213223130000026007233566001", "[IBAN]"),
        ("пишіть на olena.k@ukr.net", "пишіть на [e-mail]"),
        ("дата народження 12.04.1978", "дата народження [дата народження]"),
        ("живу вул. Соборна, 12, кв. 5", "живу [адреса]"),
        ("мене звати Олена Петрівна", "мене звати [ім'я]"),
        ("номер справи 7654321", "номер справи [номер]"),
    ],
)
def test_each_kind_is_masked_with_its_label(text: str, masked: str) -> None:
    assert mask(text, "uk") == masked


def test_labels_speak_the_readers_language() -> None:
    masked = mask("дата рождения 22.07.1949, карта 5375 4142 6846 5639", "ru")
    assert masked == "дата рождения [дата рождения], карта [карта]"


def test_numbers_said_as_words_are_read_as_digits() -> None:
    spoken = "мій код два вісім сім шість п'ять чотири три два один один"
    assert mask(spoken) == "мій код [РНОКПП]"
    assert mask("телефон нуль п'ятдесят сто двадцять три сорок п'ять шістдесят сім") == "телефон [телефон]"


def test_a_wrong_control_digit_is_no_tax_number_unless_the_words_say_so() -> None:
    assert [f.kind for f in find("замовлення 2876543212")] == [Kind.NUMBER]
    assert [f.kind for f in find("мій ІПН 2876543212")] == [Kind.RNOKPP]


@pytest.mark.parametrize(
    "text",
    [
        "Як оформити допомогу на дитину до 3 років? Маю 2 дітей.",
        "пенсія 4 500 грн, субсидія на 2024-2025 роки",
        "подала заяву 02.09.2025, досі немає відповіді",
        "Добрий день! Надія тільки на вас.",
        "",
    ],
)
def test_ordinary_questions_are_left_alone(text: str) -> None:
    assert mask(text) == text
