"""What the engine asks of the words a citizen said: the lexical matcher, and a second opinion.

The lexical matcher answers or rejects. Where it rejects or is unsure, a sentence-embedding model
(when installed) may propose one intent for the robot to ask about ("did you mean …?"): it never
answers and never rejects on its own. Both are built once per tree version and then only computed
on, so the engine that receives an `Understanding` stays pure.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace

from intents.matcher import Candidate, Match, Matcher
from intents.second_opinion import SecondOpinion
from intents.tree import Node, Tree
from intents.vectors import ShippedVectors, Store

_SHIPPED = ShippedVectors()
_LEXICAL_KEPT = 4  # a published version, a draft or two being checked, and the one before


class _LexicalMatchers:
    """Lexical matchers by the content of the tree's nodes, the only thing a matcher reads: the published
    version the publish checks have just built, a worker rebuilding an evicted version and a second app in
    one process (`--reload`, the tests' hundreds of fresh starts on the demo pack) take the built one."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._built: OrderedDict[str, Matcher] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tree: Tree) -> Matcher:
        key = hashlib.sha256(repr(tree.nodes).encode()).hexdigest()
        with self._lock:
            if (found := self._built.get(key)) is not None:
                self._built.move_to_end(key)
                return found
        matcher = Matcher.build(tree)  # outside the lock: a build takes a while
        with self._lock:
            self._built[key] = matcher
            while len(self._built) > self.size:
                self._built.popitem(last=False)
        return matcher


_LEXICAL = _LexicalMatchers(_LEXICAL_KEPT)


class Understanding:
    """The engine's `Understanding` for one tree version: `match` and `match_option`."""

    def __init__(self, matcher: Matcher, opinion: SecondOpinion | None, *, asked: bool = True) -> None:
        self.matcher = matcher
        self.opinion = opinion
        self.asked = asked  # False: the office turned the second opinion off
        self._last: tuple[str, str, Match] | None = None

    @classmethod
    def build(cls, tree: Tree, *, second_opinion: bool = True, stores: Sequence[Store] = ()) -> Understanding:
        """The matcher for `tree`, with the second opinion when asked for and the model is installed.

        Phrase vectors come from `stores` (then the ones shipped for the demo pack) before the model
        computes the rest, which are written back to `stores`.
        """
        opinion = SecondOpinion.build(tree, stores=[*stores, _SHIPPED]) if second_opinion else None
        return cls(_LEXICAL.get(tree), opinion, asked=second_opinion)

    @property
    def tree(self) -> Tree:
        return self.matcher.tree

    def second_opinion_state(self) -> str:
        """For /readyz and the evaluation: which model proposes intents, or why none does."""
        if self.opinion is not None:
            return self.opinion.describe()
        return SecondOpinion.unavailable() if self.asked else "off: turned off (HOTLINE_SECOND_OPINION), lexical only"

    def match(self, text: str, lang: str) -> Match:
        last = self._last
        if last is not None and last[0] == text and last[1] == lang:
            return last[2]  # the engine asks about the same utterance twice in one turn
        found = self.matcher.match(text, lang)
        if self.opinion is not None and found.intent is None:
            found = self._second_opinion(text, lang, found, self.opinion)
        self._last = (text, lang, found)
        return found

    @staticmethod
    def _second_opinion(text: str, lang: str, found: Match, opinion: SecondOpinion) -> Match:
        """Rejected: the model may propose one intent. Two close candidates: the model says which to
        name first ("X — 1 or Y — 2?"); both are still asked about."""
        if found.confirm is None:
            return replace(found, confirm=opinion.propose(text, lang, found))
        if not found.ambiguous or not found.alternatives:
            return found
        runner = found.alternatives[0]
        if opinion.prefer(text, lang, (found.confirm, runner.slug))[0] == found.confirm:
            return found
        swapped = (Candidate(found.confirm, found.score), *found.alternatives[1:])
        return replace(found, confirm=runner.slug, score=runner.score, alternatives=swapped)

    def match_option(self, text: str, lang: str, options: Sequence[Node]) -> Node | None:
        return self.matcher.match_option(text, lang, options)
