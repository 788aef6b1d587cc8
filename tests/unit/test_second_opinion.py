"""The second opinion with a stand-in model (the real one is exercised by the evaluation and the bench)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from intents.matcher import Match
from intents.second_opinion import SecondOpinion
from intents.tree import Tree
from intents.vectors import DIM, Matrix, Vectors, key
from tests.unit.test_matcher import small_tree


class Letters:
    """A toy model: a text's vector is its letter counts, normalised (similar spelling, similar vector)."""

    name = "letters"

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> Matrix:
        self.embedded.extend(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for char in text:
                out[row, ord(char) % DIM] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


class Memory:
    def __init__(self) -> None:
        self.rows: dict[str, Matrix] = {}

    def get(self, keys: Sequence[str]) -> Mapping[str, Matrix]:
        return {k: self.rows[k] for k in keys if k in self.rows}

    def put(self, vectors: Mapping[str, Matrix]) -> None:
        self.rows.update(vectors)


def _opinion(tree: Tree, model: Letters, store: Memory) -> SecondOpinion:
    opinion = SecondOpinion.build(tree, model=model, stores=[store])
    assert opinion is not None
    return opinion


def test_the_closest_intent_is_proposed_only_when_close_enough() -> None:
    opinion = _opinion(small_tree(), Letters(), Memory())
    nothing = Match(None, 0.0, (), False)
    assert opinion.propose("як оформити субсидію", "uk", nothing) == "subsidy_apply"
    assert opinion.propose("qqqq zzzz", "uk", nothing) is None
    assert opinion.closest("субсидія не прийшла")[0][0] in {"subsidy_status", "subsidy_apply"}


def test_vectors_are_computed_once_and_kept_in_the_stores() -> None:
    model, store = Letters(), Memory()
    _opinion(small_tree(), model, store)
    first = len(model.embedded)
    assert first > 0 and len(store.rows) == len(set(model.embedded))
    _opinion(small_tree(), Letters(), store)  # another worker: everything is in the store
    again = Letters()
    Vectors(again, [store]).of(["як оформити субсидію", "нова фраза"])
    assert again.embedded == ["нова фраза"]
    assert key(again, "нова фраза") in store.rows


def test_between_two_close_candidates_the_model_names_the_closer_first() -> None:
    opinion = _opinion(small_tree(), Letters(), Memory())
    assert opinion.prefer("як оформити субсидію", "uk", ["subsidy_status", "subsidy_apply"])[0] == "subsidy_apply"
    assert opinion.prefer("субсидія не прийшла", "uk", ["subsidy_apply", "subsidy_status"])[0] == "subsidy_status"
