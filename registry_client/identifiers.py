"""A citizen's identifiers: РНОКПП (tax number), УНЗР (demographic-register number), passport or ID card.

Pure functions: they normalise what an operator typed, refuse what cannot be right (with a sentence
that says why), and mask a value for the places that must not show it whole.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from enum import StrEnum


class IdKind(StrEnum):
    RNOKPP = "rnokpp"
    UNZR = "unzr"
    PASSPORT = "passport"


class InvalidIdentifier(ValueError):
    """The identifier cannot be right; the message says why, `key` names the reason for translated pages."""

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message)
        self.key = key


# The control digit of a РНОКПП: weighted sum of the first nine digits, mod 11, mod 10.
_RNOKPP_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
_UNZR = re.compile(r"^(\d{8})-?(\d{5})$")
_BOOKLET = re.compile(r"^([А-ЯҐЄІЇ]{2})\s*(\d{6})$")
_ID_CARD = re.compile(r"^\d{9}$")
# Latin letters that look like Cyrillic ones, as people type passport series on a Latin keyboard.
_LOOKALIKES = str.maketrans("ABCEHIKMOPTX", "АВСЕНІКМОРТХ")


def rnokpp_check_digit(first_nine: str) -> int:
    return sum(w * int(d) for w, d in zip(_RNOKPP_WEIGHTS, first_nine, strict=True)) % 11 % 10


def normalise(kind: IdKind, value: str, *, birth_date: date | None = None) -> str:
    """The identifier in its stored form, or `InvalidIdentifier`."""
    compact = value.strip().upper()
    if kind is IdKind.RNOKPP:
        digits = re.sub(r"\s", "", compact)
        if not re.fullmatch(r"\d{10}", digits):
            raise InvalidIdentifier("РНОКПП must be 10 digits", key="rnokpp_digits")
        if rnokpp_check_digit(digits[:9]) != int(digits[9]):
            raise InvalidIdentifier("РНОКПП has a wrong control digit: check for a typo", key="rnokpp_control")
        return digits
    if kind is IdKind.UNZR:
        found = _UNZR.match(compact.replace(" ", ""))
        if not found:
            raise InvalidIdentifier("УНЗР must look like YYYYMMDD-NNNNN", key="unzr_format")
        born = _date_of(found.group(1))
        if birth_date is not None and born != birth_date:
            raise InvalidIdentifier("the date in the УНЗР is not the date of birth", key="unzr_birth")
        return f"{found.group(1)}-{found.group(2)}"
    passport = compact.translate(_LOOKALIKES)
    if _ID_CARD.match(passport):
        return passport
    booklet = _BOOKLET.match(passport)
    if booklet:
        return f"{booklet.group(1)}{booklet.group(2)}"
    raise InvalidIdentifier(
        "a passport is 2 Cyrillic letters and 6 digits (АБ 123456), an ID card 9 digits", key="passport_format"
    )


def _date_of(yyyymmdd: str) -> date:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        raise InvalidIdentifier("the date in the УНЗР does not exist", key="unzr_date") from None


def mask(value: str) -> str:
    """Enough to tell two people apart on a screen, not enough to use: `12******90`."""
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def fingerprint(kind: IdKind, value: str, *, key: str) -> str:
    """A keyed hash, so the audit can find every request about one person without storing the number."""
    return hmac.new(key.encode(), f"{kind.value}:{value}".encode(), hashlib.sha256).hexdigest()
