"""The one way text tables are written (`{key: (uk, ru)}`) and read (`{key: {"uk": …, "ru": …}}`)."""

from __future__ import annotations

from hotline.admin.texts import TEXTS
from hotline.bilingual import by_language
from hotline.pages import STAFF_TEXT


def test_a_pair_becomes_a_text_per_language_in_the_table_s_order() -> None:
    table = by_language({"yes": ("так", "да"), "no": ("ні", "нет")}, prefix="answer_")
    assert table == {"answer_yes": {"uk": "так", "ru": "да"}, "answer_no": {"uk": "ні", "ru": "нет"}}
    assert list(table) == ["answer_yes", "answer_no"]


def test_every_staff_and_admin_text_is_in_both_languages() -> None:
    for key, text in {**STAFF_TEXT, **TEXTS}.items():
        assert set(text) == {"uk", "ru"} and all(text.values()), key
