"""A second opinion from a sentence-embedding model, for the robot to ask about, never to answer.

Every intent's title and example phrases (both languages) are embedded once per tree version; an
utterance the lexical matcher rejected, or found ambiguous, is embedded and compared with them. The
closest intent is proposed when it is close enough on its own, or a little less close but also among
the lexical matcher's own candidates. The engine then asks "did you mean …?"; only a "yes" answers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from intents.matcher import Match
from intents.normalise import normalise
from intents.tree import Action, Tree
from intents.vectors import Matrix, Model, Store, Vectors, load_model

SURE = 0.885  # cosine to an intent's closest phrase at which the model proposes it on its own
AGREED = 0.85  # ... or at which it proposes one of the lexical matcher's candidates
MARGIN = 0.005  # and by this much over the closest phrase of any other intent
# Intents the model never proposes: small talk is said outright, never worth a "did you mean …?".
NEVER = frozenset({Action.SMALLTALK})


class SecondOpinion:
    """Phrase vectors of one tree version and the model that compares utterances with them."""

    def __init__(self, model: Model, slugs: Sequence[str], owners: Sequence[int], vectors: Matrix) -> None:
        self.model = model
        self.slugs = tuple(slugs)
        self.owners = np.asarray(owners, dtype=np.int64)
        self.vectors = vectors

    @classmethod
    def build(cls, tree: Tree, *, model: Model | None = None, stores: Sequence[Store] = ()) -> SecondOpinion | None:
        """None when no embedding model is installed."""
        model = model or load_model()
        if model is None:
            return None
        slugs, owners, texts = phrase_texts(tree)
        return cls(model, slugs, owners, Vectors(model, stores).of(texts))

    @staticmethod
    def unavailable() -> str:
        return "off: no sentence-embedding model installed (lexical matching only)"

    def describe(self) -> str:
        return f"on: {self.model.name}, {len(self.owners)} phrase vectors"

    def closest(self, text: str) -> list[tuple[str, float]]:
        """Intents by the cosine of their closest phrase to `text`, best first."""
        best = self._per_intent(text)
        order = np.argsort(-best)
        return [(self.slugs[i], float(best[i])) for i in order[:5]]

    def prefer(self, text: str, lang: str, slugs: Sequence[str]) -> list[str]:
        """`slugs` (the lexical matcher's close candidates) in the order the model ranks them."""
        best = self._per_intent(normalise(text, lang))
        index = {slug: i for i, slug in enumerate(self.slugs)}
        return sorted(slugs, key=lambda s: -float(best[index[s]]) if s in index else 1.0)

    def _per_intent(self, text: str) -> npt.NDArray[np.float32]:
        """Each intent's cosine to `text` by its closest phrase."""
        best = np.full(len(self.slugs), -1.0, dtype=np.float32)
        if len(self.owners):
            similarity = self.vectors @ self.model.embed([_plain(text)])[0]
            np.maximum.at(best, self.owners, similarity)
        return best

    def propose(self, text: str, lang: str, lexical: Match) -> str | None:
        """The intent to ask the citizen about, or None."""
        ranked = self.closest(normalise(text, lang))
        if not ranked:
            return None
        (slug, score), runner = ranked[0], ranked[1][1] if len(ranked) > 1 else -1.0
        if score - runner < MARGIN:
            return None
        candidates = {c.slug for c in lexical.alternatives} | {lexical.intent}
        if score >= SURE or (score >= AGREED and slug in candidates):
            return slug
        return None


def phrase_texts(tree: Tree) -> tuple[list[str], list[int], list[str]]:
    """The intents the model may propose, and each phrase embedded for them with its intent's index."""
    intents = [n for n in tree.intents() if n.action not in NEVER]
    owners: list[int] = []
    texts: list[str] = []
    for i, node in enumerate(intents):
        for text in node.texts.values():
            for phrase in (text.title, *text.phrases):
                texts.append(_plain(phrase))
                owners.append(i)
    return [n.slug for n in intents], owners, texts


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


def ship_demo_vectors() -> int:
    """`python -m intents.second_opinion`: the demo pack's phrase vectors into the file shipped beside it."""
    from intents.pack import DEMO_PACK, load_pack
    from intents.vectors import SHIPPED, ShippedVectors, key, write_shipped

    model = load_model()
    if model is None:
        raise SystemExit("the embedding model is not installed")
    _, _, texts = phrase_texts(load_pack(DEMO_PACK))
    texts = list(dict.fromkeys(texts))
    vectors = Vectors(model, [ShippedVectors(SHIPPED)]).of(texts)
    write_shipped(SHIPPED, {key(model, t): vectors[i] for i, t in enumerate(texts)})
    return len(texts)


if __name__ == "__main__":
    print(f"{ship_demo_vectors()} phrase vectors written")
