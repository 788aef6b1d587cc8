"""Personal data in a citizen's words, found and masked: `mask(text, lang)` keeps the kind, not the value.

"мій РНОКПП 2876543211, телефон 050 123 45 67" → "мій РНОКПП [РНОКПП], телефон [телефон]".

Pure and deterministic (no I/O, no clock), microseconds for a short message. What is found, and how:

| kind | how |
|---|---|
| РНОКПП | 10 digits whose control digit is right (python-stdnum), or any 10 digits after "РНОКПП"/"ІПН"/"код" |
| УНЗР | `YYYYMMDD-NNNNN` (or 13 digits) whose first eight are a real date |
| passport | 2 Cyrillic capitals and 6 digits (booklet); 9 digits (ID card) |
| phone | Ukrainian and international numbers the numbering plan allows (phonenumbers) |
| card | 13–19 digits passing the Luhn check |
| IBAN | an IBAN whose check digits are right (python-stdnum) |
| e-mail | name@domain |
| date of birth | a full date after "народження"/"рождения" or of a year up to 2008 |
| address | a street word (вул., проспект, улица…) with a name and a house number |
| name | `privacy.names`: pymorphy3's first names, surnames and patronymics |
| number | any other run of 7 or more digits: an account, an application, a certificate |

Numbers said as words (speech recognition writes them so) are read as digits first (`privacy.spoken`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import phonenumbers
from stdnum import iban, luhn
from stdnum.ua import rntrc

from intents.normalise import word_set
from privacy.names import names
from privacy.spoken import numbers


class Kind(StrEnum):
    RNOKPP = "rnokpp"
    UNZR = "unzr"
    PASSPORT = "passport"
    PHONE = "phone"
    CARD = "card"
    IBAN = "iban"
    EMAIL = "email"
    BIRTH_DATE = "birth_date"
    ADDRESS = "address"
    NAME = "name"
    NUMBER = "number"


LABELS: dict[str, dict[Kind, str]] = {
    "uk": {
        Kind.RNOKPP: "РНОКПП", Kind.UNZR: "УНЗР", Kind.PASSPORT: "паспорт", Kind.PHONE: "телефон",
        Kind.CARD: "картка", Kind.IBAN: "IBAN", Kind.EMAIL: "e-mail", Kind.BIRTH_DATE: "дата народження",
        Kind.ADDRESS: "адреса", Kind.NAME: "ім'я", Kind.NUMBER: "номер",
    },
    "ru": {
        Kind.RNOKPP: "РНОКПП", Kind.UNZR: "УНЗР", Kind.PASSPORT: "паспорт", Kind.PHONE: "телефон",
        Kind.CARD: "карта", Kind.IBAN: "IBAN", Kind.EMAIL: "e-mail", Kind.BIRTH_DATE: "дата рождения",
        Kind.ADDRESS: "адрес", Kind.NAME: "имя", Kind.NUMBER: "номер",
    },
}  # fmt: skip


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    kind: Kind


def mask(text: str, lang: str = "uk") -> str:
    """`text` with every piece of personal data replaced by its kind in brackets (`[телефон]`), labelled
    in `lang` (uk or ru: the language of whoever reads it)."""
    if not text:
        return text
    labels = LABELS.get(lang, LABELS["uk"])
    out: list[str] = []
    at = 0
    for found in find(text):
        out += [text[at : found.start], f"[{labels[found.kind]}]"]
        at = found.end
    out.append(text[at:])
    return "".join(out)


def find(text: str) -> list[Found]:
    """The personal data in `text`, in order, never overlapping (the first detector to claim a place wins)."""
    taken: list[Found] = []
    for found in _candidates(text):
        if all(found.end <= t.start or found.start >= t.end for t in taken):
            taken.append(found)
    return sorted(taken, key=lambda f: f.start)


def _candidates(text: str) -> Iterator[Found]:
    """Every detector in order of how sure it is."""
    yield from _matches(_EMAIL, text, Kind.EMAIL)
    yield from _ibans(text)
    yield from _matches(_UNZR, text, Kind.UNZR, lambda m: _real_date(m.group(1)))
    yield from _matches(_BOOKLET, text, Kind.PASSPORT)
    yield from _dates(text)
    yield from _addresses(text)
    yield from _typed_numbers(text)
    yield from _spoken_numbers(text)
    yield from (Found(start, end, Kind.NAME) for start, end in names(text))


def _matches(
    pattern: re.Pattern[str], text: str, kind: Kind, valid: Callable[[re.Match[str]], bool] | None = None
) -> Iterator[Found]:
    for match in pattern.finditer(text):
        if valid is None or valid(match):
            yield Found(match.start(), match.end(), kind)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}\b")
_UNZR = re.compile(r"\b(\d{8})[-–]\d{5}\b")
_BOOKLET = re.compile(r"\b[А-ЯҐЄІЇ]{2}[ ]?(?:№[ ]?)?\d{6}\b")


def _ibans(text: str) -> Iterator[Found]:
    for match in _IBAN.finditer(text):
        if iban.is_valid(match.group().upper()):
            yield Found(match.start(), match.end(), Kind.IBAN)


def _real_date(yyyymmdd: str) -> bool:
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return 1900 <= int(yyyymmdd[:4]) <= 2100


# --- dates of birth -------------------------------------------------------------------------------------

_MONTHS = sorted(
    word_set(
        """січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня
        января февраля марта апреля мая июня июля августа сентября октября ноября декабря"""
    )
)
_ORDINAL = r"(?:перш|друг|трет|четверт|п['’]?ят|шост|сьом|восьм|дев['’]?ят|десят|одинадцят|дванадцят|" \
    r"тринадцят|чотирнадцят|п['’]?ятнадцят|шістнадцят|сімнадцят|вісімнадцят|дев['’]?ятнадцят|двадцят|тридцят|" \
    r"перв|втор|седьм|девят|одиннадцат|двенадцат|тринадцат|четырнадцат|пятнадцат|шестнадцат|семнадцат|" \
    r"восемнадцат|девятнадцат|двадцат|тридцат)[а-яіїєґ]*"  # fmt: skip
_YEAR_WORDS = r"(?:(?:тисяч|тысяч|дев['’]?ятсот|девятьсот|дві|двох|двух|двухтысячн|двотисячн)[а-яіїєґ']*\s+)" \
    r"(?:[а-яіїєґ'’]+\s+){0,3}?(?:року|рік|году|года|г\.|р\.)"  # fmt: skip
_DIGIT_DATE = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})\b|\b(\d{4})-(\d{2})-(\d{2})\b")
_WORD_DATE = re.compile(
    rf"\b(?:\d{{1,2}}|{_ORDINAL}(?:\s+{_ORDINAL})?)\s+(?:{'|'.join(_MONTHS)})\s+"
    rf"(?:(\d{{4}})(?:\s*(?:року|рік|р\.|года|году|г\.))?|{_YEAR_WORDS})",
    re.IGNORECASE,
)
_BIRTH = re.compile(r"народж|народил|народив|рожден|родил|родив|\bд\.\s?н\.|\bд/н\b|\bдн\b|день народж|день рожд")
LATEST_ADULT_YEAR = 2008  # a date of this year or before, without a birth word, is taken as someone's birth
_CLAUSE = 60  # characters before a date where a birth word makes it a date of birth


def _dates(text: str) -> Iterator[Found]:
    for match in (*_DIGIT_DATE.finditer(text), *_WORD_DATE.finditer(text)):
        year = _year(match)
        if year is False:
            continue
        before = text[max(0, match.start() - _CLAUSE) : match.start()].lower()
        if _BIRTH.search(before) or (year is not None and year <= LATEST_ADULT_YEAR):
            yield Found(match.start(), match.end(), Kind.BIRTH_DATE)


def _year(match: re.Match[str]) -> int | bool | None:
    """The date's year (None when said in words), or False when the digits are no real date."""
    groups = match.groups()
    if match.re is _WORD_DATE:
        return int(groups[0]) if groups[0] else None
    day, month, year = (groups[0], groups[1], groups[2]) if groups[0] else (groups[5], groups[4], groups[3])
    full = int(year) + (1900 if len(year) == 2 and int(year) > 30 else 2000 if len(year) == 2 else 0)
    try:
        date(full, int(month), int(day))
    except ValueError:
        return False
    return full


# --- addresses ------------------------------------------------------------------------------------------

_STREET = (
    r"(?:вул(?:иця|иці|ицю|ицею)?|ул(?:ица|ице|ицу|ицей)?|просп(?:ект|екті|екте)?|пр-т|пров(?:улок|улку)?|"
    r"пер(?:еулок|еулке)?|бульв(?:ар|арі|аре)?|б-р|пл(?:оща|ощі|ощадь|ощади)?|шосе|шоссе|набережна|набережная|"
    r"узвіз|мкр|мікрорайон|микрорайон|проїзд|проезд|майдан)"
)
_HOUSE = r"(?:\d+[а-яіa-z]?(?:/\d+)?|[а-яіїєґ'’]+(?:\s+[а-яіїєґ'’]+){0,2})"
_ADDRESS = re.compile(
    rf"(?<![\w])(?:м\.\s*[А-ЯҐЄІЇ][\w'’-]+,?\s*)?{_STREET}\.?\s+(?:[\w'’-]+\.?,?\s+){{1,3}}?"
    rf"(?:(?:буд(?:инок|\.)?|будинку|дом|д\.|№),?\s*)?\d+[а-яіa-z]?(?:/\d+)?"
    rf"(?:,?\s*(?:кв(?:артира|\.)?|квартира)\s*(?:\d+|{_HOUSE}))?",
    re.IGNORECASE,
)
_SPOKEN_ADDRESS = re.compile(
    rf"(?<![\w]){_STREET}\.?\s+[\w'’-]+\s+(?:будинок|дом|номер)\s+{_HOUSE}"
    rf"(?:\s+(?:квартира)\s+{_HOUSE})?",
    re.IGNORECASE,
)


def _addresses(text: str) -> Iterator[Found]:
    yield from _matches(_ADDRESS, text, Kind.ADDRESS)
    yield from _matches(_SPOKEN_ADDRESS, text, Kind.ADDRESS)


# --- numbers --------------------------------------------------------------------------------------------

_TYPED = re.compile(r"(?<![\w+(])\+?\(?\d(?:\d|[ \-()]{1,3}(?=\d)){5,}(?!\w)")
_CONTEXT: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (Kind.RNOKPP, re.compile(r"рнокпп|іпн|инн|ідентифікац|идентификац|податков|налогов|\bкод")),
    (Kind.UNZR, re.compile(r"унзр|запис[уа]? в реєстр")),
    (Kind.PASSPORT, re.compile(r"паспорт|id[- ]?карт|айді|ід[- ]?карт|посвідк|удостоверен")),
    (Kind.CARD, re.compile(r"(?<!id)(?<!id-)(?<!id )(?<!ід)(?<!ід-)(?<!ід )(?:картк|карт[аиуыо]|карточк)")),
    (Kind.PHONE, re.compile(r"телеф|\bтел\b|мобіл|мобил|номер[ау]? для зв|зателефон|передзвон|перезвон|вайбер|viber")),
)
_CONTEXT_CHARS = 40
MIN_DIGITS = 7


def _typed_numbers(text: str) -> Iterator[Found]:
    for match in _TYPED.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if _two_years(match.group()):
            continue
        kind = classify(digits, _context(text, match.start()), plus=match.group().startswith("+"))
        if kind:
            yield Found(match.start(), match.end(), kind)


def _spoken_numbers(text: str) -> Iterator[Found]:
    for spoken in numbers(text):
        kind = classify(spoken.digits, _context(text, spoken.start))
        if kind:
            yield Found(spoken.start, spoken.end, kind)


def _two_years(raw: str) -> bool:
    """ "2024-2025", "1990 2000": a span of years, not an identifier."""
    groups = re.split(r"[ \-]+", raw.strip())
    return len(groups) == 2 and all(len(g) == 4 and g[:2] in ("19", "20") for g in groups)


def _context(text: str, start: int) -> Kind | None:
    """The kind of number the words just before it announce ("мій ІПН", "телефон"), if any."""
    before = text[max(0, start - _CONTEXT_CHARS) : start].lower()
    best: tuple[int, Kind] | None = None
    for kind, pattern in _CONTEXT:
        for match in pattern.finditer(before):
            if best is None or match.start() > best[0]:
                best = (match.start(), kind)
    return best[1] if best else None


def classify(digits: str, context: Kind | None = None, *, plus: bool = False) -> Kind | None:
    """What a run of digits is, given the kind the words before it announce; None for a short number."""
    size = len(digits)
    if size < MIN_DIGITS:
        return None
    if (context, size) in ((Kind.RNOKPP, 10), (Kind.PASSPORT, 9)):
        return context
    if size == 13 and _real_date(digits):
        return Kind.UNZR
    if 13 <= size <= 19 and luhn.is_valid(digits):
        return Kind.CARD
    if _phone(digits, plus):
        return Kind.PHONE
    if size == 10 and rntrc.is_valid(digits):
        return Kind.RNOKPP
    if size == 9 and context is None:
        return Kind.PASSPORT
    return context or Kind.NUMBER


def _phone(digits: str, plus: bool) -> bool:
    candidates = [f"+{digits}"] if plus else [digits, f"+{digits}"]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, "UA")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False
