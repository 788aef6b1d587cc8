"""Small talk: thanks, greetings, goodbyes, "are you a robot?" said on their own.

Politeness inside a question ("добрий день, як оформити субсидію") is padding, and the matcher drops
it; only an utterance made of small-talk words alone is small talk. Which one it is, is the closest of
the small-talk intents' phrases (typos forgiven: "добрий денб", "до побаченя").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rapidfuzz import fuzz, process

from intents import clauses
from intents.normalise import STOP_WORDS, tokens
from intents.tree import Action, Node

MAX_WORDS = 8  # longer than this, an utterance says more than hello
WORD_FIT = 75.0  # a word this close to a small-talk word is that word misspelt
PHRASE_FIT = 75.0  # the utterance this close to a phrase is that phrase
MIN_FUZZY = 4


class SmallTalk:
    """The small-talk intents of one tree and every word their phrases use."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.phrases: dict[str, str] = {}  # normalised phrase → slug
        for node in nodes:
            for lang, text in node.texts.items():
                for phrase in (*text.phrases, *text.keywords):
                    self.phrases.setdefault(" ".join(tokens(phrase, lang)), node.slug)
        self.words = frozenset(w for phrase in self.phrases for w in phrase.split())
        self._long = sorted(w for w in self.words if len(w) >= MIN_FUZZY)

    @classmethod
    def of(cls, intents: Sequence[Node]) -> SmallTalk:
        return cls([n for n in intents if n.action is Action.SMALLTALK])

    def sure(self, text: str, lang: str, elsewhere: Callable[[str], bool]) -> str | None:
        """Small talk before any question is looked for: a small-talk phrase word for word, or small-talk
        words only with one no question uses ("ви робот?"; but "жива людина" asks for a person)."""
        words = tokens(text, lang)
        said = " ".join(words)
        if said in self.phrases:
            return self.phrases[said]
        if any(w in self.words and not elsewhere(w) for w in words):
            return self._whole(text, lang)  # typos forgiven ("спасибо огромнео"), other words not
        return None

    def match(self, text: str, lang: str) -> str | None:
        """The small-talk intent an utterance is (or its first sentence: "Дякую, тепер усе ясно. …")."""
        found = self._whole(text, lang)
        if found is None and len(first := clauses.parts(text)[:1]) == 1 and first[0] != text.strip():
            found = self._whole(first[0], lang)
        return found

    def _whole(self, text: str, lang: str) -> str | None:
        words = tokens(text, lang)
        if not self.phrases or not words or len(words) > MAX_WORDS:
            return None
        fixed = [self._word(w) for w in words]
        if any(w is None for w in fixed):
            return None  # a word of something else: a question, not small talk
        if not any(w in self.words for w in fixed):
            return None  # padding only
        # Every word is small talk or padding, so a phrase inside the utterance is enough.
        said = " ".join(str(w) for w in fixed)
        found = process.extractOne(said, list(self.phrases), scorer=fuzz.token_set_ratio, score_cutoff=PHRASE_FIT)
        return self.phrases[found[0]] if found else None

    def _word(self, word: str) -> str | None:
        """The small-talk word meant (a padding word as it is); None for a word of another topic."""
        if word in self.words or word in STOP_WORDS:
            return word
        if len(word) >= MIN_FUZZY:
            # A slip keeps the first letter: "денб" is "день", but "тест" is not "есть".
            near = [w for w in self._long if w[0] == word[0]]
            found = process.extractOne(word, near, scorer=fuzz.ratio, score_cutoff=WORD_FIT)
            if found is not None:
                return str(found[0])
        return None
