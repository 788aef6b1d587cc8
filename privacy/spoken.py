"""Numbers said as words, as speech recognition writes them: "нуль п'ятдесят сто двадцять три" → "050123".

A run of number words becomes the digits a person meant by reading them out in groups: each group
(hundreds, tens, units) is written out and the groups are put side by side, so a phone number, a
tax number or a card said in pairs, triples or single digits comes out as one string of digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_UNITS = {
    0: "нуль ноль нуля ноля",
    1: "один одна одне одно одну",
    2: "два дві две",
    3: "три",
    4: "чотири четыре",
    5: "п'ять пять",
    6: "шість шесть",
    7: "сім семь",
    8: "вісім восемь",
    9: "дев'ять девять",
    10: "десять",
    11: "одинадцять одиннадцать",
    12: "дванадцять двенадцать",
    13: "тринадцять тринадцать",
    14: "чотирнадцять четырнадцать",
    15: "п'ятнадцять пятнадцать",
    16: "шістнадцять шестнадцать",
    17: "сімнадцять семнадцать",
    18: "вісімнадцять восемнадцать",
    19: "дев'ятнадцять девятнадцать",
}
_TENS = {
    20: "двадцять двадцать",
    30: "тридцять тридцать",
    40: "сорок",
    50: "п'ятдесят пятьдесят",
    60: "шістдесят шестьдесят",
    70: "сімдесят семьдесят",
    80: "вісімдесят восемьдесят",
    90: "дев'яносто девяносто",
}
_HUNDREDS = {
    100: "сто",
    200: "двісті двести",
    300: "триста",
    400: "чотириста четыреста",
    500: "п'ятсот пятьсот",
    600: "шістсот шестьсот",
    700: "сімсот семьсот",
    800: "вісімсот восемьсот",
    900: "дев'ятсот девятьсот",
}


def _table(values: dict[int, str]) -> dict[str, int]:
    return {word: value for value, words in values.items() for word in words.split()}


UNITS, TENS, HUNDREDS = _table(_UNITS), _table(_TENS), _table(_HUNDREDS)
WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*|\d+")


@dataclass(frozen=True)
class SpokenNumber:
    """A run of number words (digits may stand among them) in a text, and the digits it says."""

    start: int
    end: int
    digits: str


def _value(word: str) -> tuple[str, int] | None:
    """("h" | "t" | "u", value) of a number word, or None for any other word."""
    key = word.lower().replace("’", "'").replace("ʼ", "'")
    for kind, table in (("h", HUNDREDS), ("t", TENS), ("u", UNITS)):
        if key in table:
            return kind, table[key]
    return None


def _fits(place: str, kind: str, number: int) -> bool:
    """Whether a word continues the group so far: tens or units after hundreds, a unit after tens."""
    if place == "h":
        return kind in ("t", "u") and number > 0
    return place == "t" and kind == "u" and 0 < number < 10


def _groups(words: list[tuple[str, int]]) -> str:
    """Number words composed in groups ("сто двадцять три" → "123"); a word that cannot continue a group
    starts the next one ("нуль п'ятдесят" → "0" "50")."""
    out: list[str] = []
    value, place = 0, ""
    for kind, number in words:
        if place and _fits(place, kind, number):
            value += number
        else:
            if place:
                out.append(str(value))
            value = number
        place = kind
    if place:
        out.append(str(value))
    return "".join(out)


def _said(words: list[str]) -> str:
    out: list[str] = []
    pending: list[tuple[str, int]] = []
    for word in words:
        if word.isdigit():
            out += [_groups(pending), word]
            pending = []
        elif (value := _value(word)) is not None:
            pending.append(value)
    return "".join(out) + _groups(pending)


def numbers(text: str) -> Iterator[SpokenNumber]:
    """Each run of number words in `text` (with any digits among them) and the digits it says."""
    words: list[re.Match[str]] = []
    for match in [*WORD.finditer(text), None]:
        if match is not None and (match.group().isdigit() or _value(match.group()) is not None):
            words.append(match)
            continue
        if any(not w.group().isdigit() for w in words):
            yield SpokenNumber(words[0].start(), words[-1].end(), _said([w.group() for w in words]))
        words = []
