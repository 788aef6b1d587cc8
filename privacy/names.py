"""People's names in Ukrainian and Russian text, found with pymorphy3's dictionaries.

Both languages' dictionaries tag first names (Name), surnames (Surn) and patronymics (Patr). A name
is a run of such words that cannot be anything else: a patronymic with the words beside it
("Олена Петрівна", "шевченко марія іванівна"), two or more capitalised name words ("Ганна
Мельник"), the words after "мене звати" / "меня зовут" / "прізвище" / "ПІБ", or one capitalised
first name inside a sentence ("передайте Олені"). Only dictionary words count: pymorphy3 guesses
"surname" for many unknown words, which would mask half a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from intents.normalise import analyzer, word_set

NAME, SURNAME, PATRONYMIC = "Name", "Surn", "Patr"
_WORD = re.compile(r"[А-ЯҐЄІЇЁа-яґєіїё]+(?:['’ʼ-][А-ЯҐЄІЇЁа-яґєіїё]+)*")
# Words after which the next few words are the person's name, whatever they look like.
_CUES = word_set(
    """звати звуть зовут звать прізвище прізвища прізвищем фамилия фамилии фамилией піб фио ім'я имя імені
    имени отчество батькові по-батькові"""
)
_MAX_AFTER_CUE = 3
_SENTENCE_END = re.compile(r"[.!?…]\s*$")


@lru_cache(maxsize=65536)
def roles(word: str) -> frozenset[str]:
    """Which of first name, surname, patronymic a word can be in either language's dictionary."""
    key = word.lower().replace("’", "'").replace("ʼ", "'")
    found: set[str] = set()
    for lang in ("uk", "ru"):
        morph = analyzer(lang)
        if morph.word_is_known(key):
            found.update(g for p in morph.parse(key) for g in (NAME, SURNAME, PATRONYMIC) if g in p.tag.grammemes)
    return frozenset(found)


def _capital(word: str) -> bool:
    return word[:1].isupper() and not word.isupper()


def names(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each person's name in `text`."""
    words = list(_WORD.finditer(text))
    taken = -1  # index of the last word already inside a span
    for i in range(len(words)):
        if i <= taken:
            continue
        span = _after_cue(words, i) or _run(text, words, i)
        if span:
            first, last = span
            taken = last
            yield words[first].start(), words[last].end()


def _after_cue(words: list[re.Match[str]], i: int) -> tuple[int, int] | None:
    """The words after a cue ("мене звати"): up to three that are names or capitalised."""
    if i == 0 or words[i - 1].group().lower().replace("’", "'") not in _CUES:
        return None
    last = i - 1
    for j in range(i, min(i + _MAX_AFTER_CUE, len(words))):
        word = words[j].group()
        if not (roles(word) or _capital(word)) or (j > i and not _adjacent(words[j - 1], words[j])):
            break
        last = j
    return (i, last) if last >= i else None


def _adjacent(left: re.Match[str], right: re.Match[str]) -> bool:
    """Only spaces (or a comma) between two words: a name is not split by a sentence's punctuation."""
    between = left.string[left.end() : right.start()]
    return between.strip(" ,") == "" and "\n" not in between


def _run(text: str, words: list[re.Match[str]], i: int) -> tuple[int, int] | None:
    """Adjacent name words starting at `i` that make a name: with a patronymic, or two capitalised, or
    one capitalised first name inside a sentence."""
    last = i
    while last + 1 < len(words) and _adjacent(words[last], words[last + 1]) and _name_like(words[last + 1].group()):
        last += 1
    run = [w.group() for w in words[i : last + 1]]
    if not _name_like(run[0]):
        return None
    if any(PATRONYMIC in roles(w) for w in run) and len(run) >= 2:
        return i, last
    capitals = [w for w in run if _capital(w) and roles(w)]
    if len(capitals) >= 2:
        return i, last
    inside = not _SENTENCE_END.search(text[: words[i].start()]) and words[i].start() > 0
    if len(run) == 1 and _capital(run[0]) and NAME in roles(run[0]) and inside:
        return i, i
    return None


def _name_like(word: str) -> bool:
    return bool(roles(word))
