"""A menu's words as a Vosk grammar: only what the caller may say here, and the model's unknown-word token.

Pure: the model is reached through `Vocabulary`. Vosk's JSON parser does not decode `\\uXXXX`, so the
grammar is written with `ensure_ascii=False`; a word the model does not know would only be dropped by
Vosk with a warning on stderr, so it is dropped here, and logged, before the recogniser sees it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)
# Letters of any script and the apostrophe inside Ukrainian words (з'єднайте); everything else splits.
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'"})
# Vosk's own models call the unknown word `[unk]`; some repacks use `<UNK>`.
UNKNOWN_TOKENS = ("[unk]", "<UNK>")


class Vocabulary(Protocol):
    """What a grammar needs to know about a model."""

    def knows(self, word: str) -> bool: ...

    @property
    def unknown_token(self) -> str | None: ...


@dataclass(frozen=True)
class Grammar:
    phrases: tuple[str, ...]
    dropped: tuple[str, ...]

    def to_json(self, unknown_token: str | None) -> str:
        """The recogniser's grammar: the phrases, and the unknown token so other words are not forced in."""
        phrases = [*self.phrases, unknown_token] if unknown_token else list(self.phrases)
        return json.dumps(phrases, ensure_ascii=False)


def words(text: str) -> list[str]:
    """The words of a phrase as a recogniser writes them: lower case, no punctuation or digits."""
    return _WORD.findall(text.translate(_APOSTROPHES).lower())


def build(phrases: Iterable[str], vocabulary: Vocabulary, *, name: str = "menu") -> Grammar:
    """The phrases in the model's words; unknown words dropped (logged once), empty phrases left out."""
    kept: dict[str, None] = {}
    dropped: dict[str, None] = {}
    for phrase in phrases:
        known = []
        for word in words(phrase):
            if vocabulary.knows(word):
                known.append(word)
            else:
                dropped.setdefault(word, None)
        if known:
            kept.setdefault(" ".join(known), None)
    if dropped:
        log.info(
            "grammar %s: %d words not in the model's vocabulary dropped: %s", name, len(dropped), " ".join(dropped)
        )
    return Grammar(phrases=tuple(kept), dropped=tuple(dropped))
