"""Obscene and abusive words in Ukrainian and Russian: found on lemmas, masked for whoever reads them.

Pure. Insults are matched on their lemmas (`intents.normalise`), so every inflection counts
("ідіоти", "идиотов" → ідіот/идиот). Obscene words are matched on their roots at the start of a
word, after an optional verbal prefix, because they form endless derivatives no dictionary lists;
anchoring the root is what keeps "страхування" or "тебе" clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intents.normalise import lemma_set, tokens, word_set

INSULTS = word_set(
    """
    ідіот ідіотка дебіл дебілка кретин придурок придурка дурень дурепа недоумок виродок покидьок
    падлюка паскуда сволота сволоч мерзотник гнида ублюдок тварюка скотина бидло чмо курва сука сучка
    мразь мудак мудило кончений довбойоб
    идиот идиотка дебил дебилка кретин придурок дурак дура недоумок выродок урод уродина подонок
    падла паскуда сволочь мерзавец гнида ублюдок тварь скотина быдло чмо курва сука сучка мразь
    мудак мудила конченый конченный долбоеб
    """
)
# Roots of obscene words (after ё → е), and the prefixes they take ("за-", "на-", "від-").
_ROOTS = word_set(
    """
    хуй хуе хуя хуи хуї пизд пізд ебат ебал ебан ебаш ебну ебл ебуч ебу еби ебок їба їбу їби їбл їбн йоба
    йобан бляд блят залуп гандон гондон пидор пидар підор підар пидр шлюх мудак мудил мудо дроч
    """
)
_PREFIXES = word_set(
    """
    на за по от од вы ви у о об до при раз роз с з под під пере недо про вз из із від отъ подъ съ разъ
    """
)
_OBSCENE = re.compile(
    "^(?:" + "|".join(sorted(map(re.escape, _PREFIXES), key=len, reverse=True)) + ")?"
    "(?:" + "|".join(sorted(map(re.escape, _ROOTS), key=len, reverse=True)) + ")"
)
_STANDALONE = word_set("бля хер")  # short words the root list would over-reach to find
# Ordinary words that share a form with an abusive one ("сук", a bough, is also "сука" in the plural).
_INNOCENT = word_set("сук себе себя себу")
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ`][^\W\d_]+)*")


def is_abusive_word(word: str, lang: str = "uk") -> bool:
    """Whether one written word is obscene or an insult, in any of its forms."""
    for token in tokens(word, lang):
        if token in _INNOCENT:
            continue
        if token in _STANDALONE or _OBSCENE.match(token):
            return True
        if token in INSULTS or not INSULTS.isdisjoint(lemma_set(token, lang)):
            return True
    return False


@dataclass(frozen=True)
class Screened:
    """A message as the staff may read it: abusive words masked (first letter kept), and how many."""

    masked: str
    found: int

    @property
    def abusive(self) -> bool:
        return self.found > 0


def screen(text: str, lang: str | None = "uk") -> Screened:
    """The text with every abusive word masked; `lang` None: abusive in either language (a transcript)."""
    found = 0
    langs = (lang,) if lang else ("uk", "ru")

    def mask(match: re.Match[str]) -> str:
        nonlocal found
        word = match.group()
        if not any(is_abusive_word(word, one) for one in langs):
            return word
        found += 1
        return word[0] + "*" * (len(word) - 1)

    return Screened(masked=_WORD.sub(mask, text), found=found)
