"""The phrase-vector cache in SQL (SQLite and PostgreSQL): what one worker computed, another reads."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from intents.second_opinion import SecondOpinion
from intents.vector_store import SqlVectors
from intents.vectors import Vectors, key
from tests.unit.test_matcher import small_tree
from tests.unit.test_second_opinion import Letters


def test_vectors_round_trip_and_a_second_writer_of_the_same_keys_is_harmless(
    sessions: sessionmaker[Session],
) -> None:
    store = SqlVectors(sessions)
    model = Letters()
    computed = Vectors(model, [store]).of(["як оформити субсидію", "как оформить субсидию"])
    store.put({key(model, "як оформити субсидію"): computed[0]})  # written already: no error, no duplicate
    again = Letters()
    read = Vectors(again, [SqlVectors(sessions)]).of(["як оформити субсидію", "как оформить субсидию"])
    assert again.embedded == []  # everything came from SQL
    assert np.allclose(read, computed, atol=1e-3)  # float16 in SQL


def test_a_tree_built_on_another_worker_reads_its_phrase_vectors(sessions: sessionmaker[Session]) -> None:
    first = SecondOpinion.build(small_tree(), model=Letters(), stores=[SqlVectors(sessions)])
    other = Letters()
    second = SecondOpinion.build(small_tree(), model=other, stores=[SqlVectors(sessions)])
    assert first is not None and second is not None
    assert other.embedded == []
    assert second.closest("як оформити субсидію")[0][0] == first.closest("як оформити субсидію")[0][0]
