"""Speech-recogniser slips repaired before matching: spelled abbreviations and split words.

A recogniser writes what it hears: "у бе де" for УБД, "ве пе о" for ВПО, "пе еф у" for ПФУ, and it
splits long words it is unsure of ("суб сидію", "пере селенцям", "по хороны"). Both are undone on
the normalised words. A split is joined only when the joined word is one the tree knows (six
letters at least), so ordinary neighbours stay apart. Number words
are already digits (intents/normalise.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# Letter names as Ukrainian and Russian speakers say them, to the letter.
_CONSONANTS = {
    **dict.fromkeys(("бе", "бэ"), "б"),
    **dict.fromkeys(("ве", "вэ"), "в"),
    **dict.fromkeys(("ге", "гэ"), "г"),
    **dict.fromkeys(("де", "дэ"), "д"),
    **dict.fromkeys(("же", "жэ"), "ж"),
    **dict.fromkeys(("зе", "зэ"), "з"),
    "ка": "к",
    **dict.fromkeys(("ел", "ель", "эл", "эль"), "л"),
    **dict.fromkeys(("ем", "эм"), "м"),
    **dict.fromkeys(("ен", "эн"), "н"),
    **dict.fromkeys(("пе", "пэ"), "п"),
    **dict.fromkeys(("ер", "эр"), "р"),
    **dict.fromkeys(("ес", "эс"), "с"),
    **dict.fromkeys(("те", "тэ"), "т"),
    **dict.fromkeys(("еф", "эф"), "ф"),
    "ха": "х",
    **dict.fromkeys(("це", "цэ"), "ц"),
    **dict.fromkeys(("че", "чэ"), "ч"),
    "ша": "ш",
}
_VOWELS = {v: v for v in ("а", "е", "є", "и", "і", "о", "у", "ю", "я", "э")}
MIN_CONSONANTS = 2  # "у бе де" is УБД; a lone "де" is the word "where"
MIN_JOINED = 6  # shorter joins are more often two words than one split

Known = Callable[[str], bool]


def repair(words: Sequence[str], known_to_tree: Known) -> list[str]:
    """`words` with spelled abbreviations joined into one and split words joined back."""
    return _join_splits(_join_spelled(words), known_to_tree)


def _join_spelled(words: Sequence[str]) -> list[str]:
    if _CONSONANTS.keys().isdisjoint(words):
        return list(words)  # nothing spelled (nearly every message): spare the walk word by word
    out: list[str] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and (words[j] in _CONSONANTS or words[j] in _VOWELS):
            j += 1
        run = words[i:j]
        if sum(w in _CONSONANTS for w in run) >= MIN_CONSONANTS:
            out.append("".join(_CONSONANTS.get(w) or _VOWELS[w] for w in run))
            i = j
        else:
            out.append(words[i])
            i += 1
    return out


def _join_splits(words: list[str], known_to_tree: Known) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words) and _split(words[i], words[i + 1], known_to_tree):
            out.append(words[i] + words[i + 1])
            i += 2
        else:
            out.append(words[i])
            i += 1
    return out


def _split(first: str, second: str, known_to_tree: Known) -> bool:
    if not (first.isalpha() and second.isalpha()) or len(first + second) < MIN_JOINED:
        return False
    # Two real words join only into a word of the tree ("мало обеспеченным", "соц захист", "тер центр").
    return known_to_tree(first + second)
