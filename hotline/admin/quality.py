"""How well the draft's intents are understood, measured on their own example phrases.

Every example phrase is matched by a matcher built without it: the phrases are dealt into `FOLDS`
groups, and each group is matched by a matcher built from the tree without that group (a
leave-one-out made affordable: one build per group rather than per phrase). Per intent this gives
recall (its phrases that reach it), precision (what reached it and was its own) and the intents it is
confused with; test phrases are matched by the whole draft, as publishing does.
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from intents.matcher import Matcher
from intents.tree import Action, Node, Tree

FOLDS = 10
FEW_PHRASES = 10  # fewer example phrases than this in a language: free text rarely finds the intent
NOT_MEASURED = frozenset({Action.SMALLTALK})  # recognised whole, not by its examples' words

Match = Callable[[str, str], str | None]


@dataclass(frozen=True)
class FailingTest:
    lang: str
    phrase: str
    reached: str | None


@dataclass
class IntentQuality:
    slug: str
    phrases: dict[str, tuple[str, ...]]
    tests: dict[str, tuple[str, ...]]
    own: int = 0  # its phrases matched
    found: int = 0  # ... that reached it
    reached: int = 0  # phrases of any intent that reached it
    confusions: Counter[str] = field(default_factory=Counter)  # where its phrases went instead
    failing: list[FailingTest] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return 100.0 * self.found / self.own if self.own else None

    @property
    def precision(self) -> float | None:
        return 100.0 * self.found / self.reached if self.reached else None

    @property
    def few(self) -> list[str]:
        """The languages with too few example phrases."""
        return [lang for lang, phrases in self.phrases.items() if len(phrases) < FEW_PHRASES]


def measure(tree: Tree, match: Match, build: Callable[[Tree], Matcher] = Matcher.build) -> list[IntentQuality]:
    """Quality of every intent of `tree`; `match` is the whole draft's (for the test phrases)."""
    intents = tree.intents()
    found = {n.slug: _quality(n) for n in intents}
    for fold in range(FOLDS):
        held = {
            (n.slug, lang): [p for p in t.phrases if _fold(p) == fold] for n in intents for lang, t in n.texts.items()
        }
        matcher = build(_without(tree, held))
        for (slug, lang), phrases in held.items():
            if tree.index[slug].action in NOT_MEASURED:
                continue
            for phrase in phrases:
                _count(found, slug, matcher.match(phrase, lang).intent)
    for node in intents:
        for lang, text in node.texts.items():
            for phrase in text.tests:
                reached = match(phrase, lang)
                if reached != node.slug:
                    found[node.slug].failing.append(FailingTest(lang, phrase, reached))
    return [found[n.slug] for n in intents]


def _quality(node: Node) -> IntentQuality:
    return IntentQuality(
        node.slug,
        phrases={lang: t.phrases for lang, t in node.texts.items()},
        tests={lang: t.tests for lang, t in node.texts.items()},
    )


def _fold(phrase: str) -> int:
    return zlib.crc32(phrase.encode()) % FOLDS


def _count(found: Mapping[str, IntentQuality], slug: str, reached: str | None) -> None:
    own = found[slug]
    own.own += 1
    if reached == slug:
        own.found += 1
    else:
        own.confusions[reached or ""] += 1
    if reached is not None and reached in found:
        found[reached].reached += 1


def _without(tree: Tree, held: Mapping[tuple[str, str], list[str]]) -> Tree:
    """The tree with the held-out phrases taken out of their intents."""
    removed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for key, phrases in held.items():
        removed[key].update(phrases)

    def strip(node: Node) -> Node:
        texts = {
            lang: replace(t, phrases=tuple(p for p in t.phrases if p not in removed.get((node.slug, lang), ())))
            for lang, t in node.texts.items()
        }
        return replace(node, texts=texts, children=tuple(strip(c) for c in node.children))

    return replace(tree, nodes=tuple(strip(n) for n in tree.nodes))
