"""How the phone's voice says what is written: abbreviations and numbers as people say them, phone numbers
digit by digit.

Text-to-speech reads "УБД" or "ЦНАП" letter by letter (not as people say them), and "0 800 500 335" as
"вісімсот п'ятсот…". `DEFAULTS` say how the abbreviations and short lines of the demo answers are
spoken; the admins extend and override them on `/admin/pronunciation` (audited), rows in SQL; a number
that starts with 0 or + and has at least seven digits is a phone number and is said one digit at a time,
in groups. It applies to what the phone says (every `<Say>`, `ivr.twiml.spoken`), never to chat text,
which people read.

The admins' table lives in SQL rather than in the content pack: it is about the line's voice, not about
the tree (the phone's own phrases — queue places, night choices — are said through it too), and a change
must be heard at once, without publishing a new version of the tree. `PronunciationSource` keeps it in
each process and re-reads it when it changed.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from time import monotonic

from sqlalchemy import String, UniqueConstraint, delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from hotline.admin.errors import AdminError
from hotline.db import Base, utcnow

log = logging.getLogger(__name__)
LANGUAGES = ("uk", "ru")
MAX_WRITTEN = 60
MAX_SPOKEN = 200
DIGITS = {
    "uk": ("нуль", "один", "два", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять"),
    "ru": ("ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"),
}
PLUS = {"uk": "плюс", "ru": "плюс"}
# How the demo answers' abbreviations and short lines are said; an admin's row of the same written form wins.
DEFAULTS: Mapping[str, Mapping[str, str]] = {
    "uk": {
        "УБД": "у-бе-де",
        "ВПО": "ве-пе-о",
        "ПФУ": "пе-еф-у",
        "ЦНАП": "цнап",
        "РНОКПП": "ер-ен-о-ка-пе-пе",
        "ТЦК": "те-це-ка",
        "НСЗУ": "ен-ес-зе-у",
        "ДМС": "де-ем-ес",
        "ОСББ": "о-ес-бе-бе",
        "ДПС": "де-пе-ес",
        "1545": "п'ятнадцять сорок п'ять",
        "7333": "сім три три три",
        "116 123": "один один шість, один два три",
        "116 111": "один один шість, один один один",
    },
    "ru": {
        "УБД": "у-бэ-дэ",
        "ВПО": "вэ-пэ-о",
        "ВПЛ": "вэ-пэ-эл",
        "ПФУ": "пэ-эф-у",
        "ЦНАП": "цнап",
        "РНОКПП": "эр-эн-о-ка-пэ-пэ",
        "ТЦК": "тэ-цэ-ка",
        "НСЗУ": "эн-эс-зэ-у",
        "ГМС": "гэ-эм-эс",
        "ОСМД": "о-эс-эм-дэ",
        "ГНС": "гэ-эн-эс",
        "1545": "пятнадцать сорок пять",
        "7333": "семь три три три",
        "116 123": "один один шесть, один два три",
        "116 111": "один один шесть, один один один",
    },
}
# A phone number: + or 0 first, digits in groups (spaces, hyphens, brackets between), seven digits at least;
# amounts ("2 100 гривень") and years never start with 0.
_PHONE = re.compile(r"(?<![\w+])(?:\+|(?=0))[\d(][\d ()\-]{5,}\d(?!\w)")
_MIN_PHONE_DIGITS = 7
# The endings an abbreviation takes in a sentence ("до ЦНАПу", "у ЦНАПі"): said after its spoken form.
_ENDING = r"(?P<ending>[а-яіїєґё'’ʼ]{0,3})"


class Pronunciation(Base):
    """One written form (an abbreviation, a word, a number) and how the voice says it, per language."""

    __tablename__ = "pronunciations"
    __table_args__ = (UniqueConstraint("lang", "written", name="uq_pronunciations_lang_written"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(String(2))
    written: Mapped[str] = mapped_column(String(MAX_WRITTEN))
    spoken: Mapped[str] = mapped_column(String(MAX_SPOKEN))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class Entry:
    lang: str
    written: str
    spoken: str


class Pronouncer:
    """The defaults and the admins' rows compiled: `say(text, lang)` is the text as the voice should read it."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        by_lang = {lang: dict(DEFAULTS.get(lang, {})) for lang in LANGUAGES}
        for entry in entries:
            by_lang.setdefault(entry.lang, {})[entry.written] = entry.spoken
        self.spoken = by_lang
        self.patterns = {lang: _pattern(table) for lang, table in by_lang.items()}

    def say(self, text: str, lang: str) -> str:
        pattern, table = self.patterns.get(lang), self.spoken.get(lang, {})
        if pattern is not None:
            text = pattern.sub(lambda m: _spoken(m, table), text)
        return _PHONE.sub(lambda m: _digit_by_digit(m.group(), lang), text)


def _spoken(found: re.Match[str], table: Mapping[str, str]) -> str:
    """The spoken form, with the ending an abbreviation took in the sentence; a word with an ending is
    another word ("соцзахист" is in the table, "соцзахисту" is not) and stays as written."""
    written, ending = found.group("written"), found.group("ending")
    if ending and not written.isupper():
        return found.group()
    return table[written] + ending


def _pattern(table: Mapping[str, str]) -> re.Pattern[str] | None:
    """One alternation of every written form, longest first (so "довідка ВПО" wins over "ВПО"), whole words."""
    if not table:
        return None
    forms = "|".join(re.escape(written) for written in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?P<written>{forms}){_ENDING}(?!\w)")


def _digit_by_digit(number: str, lang: str) -> str:
    """ "0 800 500 335" → "нуль, вісім нуль нуль, п'ять нуль нуль, три три п'ять": each group a short pause."""
    if sum(c.isdigit() for c in number) < _MIN_PHONE_DIGITS:
        return number
    names = DIGITS.get(lang, DIGITS["uk"])
    groups = [" ".join(names[int(d)] for d in group) for group in re.findall(r"\d+", number)]
    said = ", ".join(groups)
    return f"{PLUS.get(lang, PLUS['uk'])} {said}" if number.startswith("+") else said


# -- the table in SQL ----------------------------------------------------------------------------------


def entries(session: Session) -> list[Pronunciation]:
    """The admins' rows, by language and written form."""
    order = (Pronunciation.lang, Pronunciation.written)
    return list(session.scalars(select(Pronunciation).order_by(*order)))


def save(session: Session, *, lang: str, written: str, spoken: str) -> tuple[Pronunciation, str | None]:
    """Add the written form, or change how it is said; returns the row and what was said before (None: new)."""
    written, spoken = " ".join(written.split()), " ".join(spoken.split())
    if lang not in LANGUAGES:
        raise AdminError("bad_language", f"unknown language {lang!r}")
    if not written or not spoken:
        raise AdminError("pronunciation_empty", "both the written and the spoken form are needed")
    if len(written) > MAX_WRITTEN or len(spoken) > MAX_SPOKEN:
        raise AdminError("pronunciation_too_long", "the written or the spoken form is too long")
    if not re.match(r"\w", written) or not re.search(r"\w$", written):
        raise AdminError("pronunciation_word", "the written form begins and ends with a letter or digit")
    found = session.scalar(select(Pronunciation).where(Pronunciation.lang == lang, Pronunciation.written == written))
    if found is None:
        found = Pronunciation(lang=lang, written=written, spoken=spoken)
        session.add(found)
        session.flush()
        return found, None
    before, found.spoken = found.spoken, spoken
    session.flush()
    return found, before


def remove(session: Session, *, entry_id: int) -> Pronunciation:
    """Delete a row (LookupError when there is none)."""
    found = session.get(Pronunciation, entry_id)
    if found is None:
        raise LookupError(entry_id)
    session.execute(delete(Pronunciation).where(Pronunciation.id == entry_id))
    return found


def load(session: Session) -> tuple[tuple[int, datetime | None], Pronouncer]:
    return revision(session), Pronouncer(Entry(e.lang, e.written, e.spoken) for e in entries(session))


def revision(session: Session) -> tuple[int, datetime | None]:
    """What changes with any change of the table: how many rows, and the latest edit."""
    count, latest = session.execute(select(func.count(), func.max(Pronunciation.updated_at))).one()
    return int(count), latest


class PronunciationSource:
    """The table as last read, kept in the process: the revision (one tiny query) is looked at no more
    than every `recheck_seconds`, so an admin's change is heard on every worker within that time."""

    def __init__(
        self, sessions: sessionmaker[Session], recheck_seconds: float = 5.0, clock: Callable[[], float] = monotonic
    ) -> None:
        self.sessions = sessions
        self.recheck = recheck_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._snapshot: tuple[tuple[int, datetime | None], Pronouncer] | None = None
        self._next_check = 0.0

    def __call__(self) -> Pronouncer:
        snapshot = self._snapshot
        if snapshot is not None and self.clock() < self._next_check:
            return snapshot[1]
        with self._lock:
            if self._snapshot is None or self.clock() >= self._next_check:
                self._next_check = self.clock() + self.recheck
                try:
                    with self.sessions() as session:
                        if self._snapshot is None or revision(session) != self._snapshot[0]:
                            self._snapshot = load(session)
                except SQLAlchemyError:  # the line goes on speaking: as last read, or with the defaults
                    log.warning("the pronunciation table could not be read; the voice goes on as it was")
            return self._snapshot[1] if self._snapshot is not None else Pronouncer()

    def invalidate(self) -> None:
        """Forget the snapshot: the next call reads SQL again."""
        with self._lock:
            self._snapshot = None
