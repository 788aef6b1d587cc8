"""The phrase-vector cache in SQL (SQLite and PostgreSQL): what one worker computed, another reads."""

from __future__ import annotations

import logging
import threading
import uuid

import numpy as np
import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channels.dialogue import Dialogue, TreeCache
from channels.state_store import StateStore
from hotline.conversation_log import Conversation
from hotline.db import transaction
from intents import versions
from intents.models import PhraseVector
from intents.second_opinion import SecondOpinion, phrase_texts
from intents.vector_store import SqlVectors
from intents.vectors import ShippedVectors, Vectors, key, load_model
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


def test_conversations_starting_on_a_tree_whose_vectors_are_missing_store_them_at_once(
    sessions: sessionmaker[Session], redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """The matcher is built before a conversation's write transaction: on SQLite, storing the vectors it computed
    used to wait out the busy timeout behind that transaction (and give up with a warning)."""
    model = load_model()
    if model is None:
        pytest.skip("no sentence-embedding model installed: no phrase vectors to store")
    with transaction(sessions) as session:
        versions.save_draft(session, tree=small_tree(), author="test")
        versions.publish(session, author="test", note="published without computing its phrase vectors")
    keys = [key(model, text) for text in phrase_texts(small_tree())[2]]
    missing = set(keys) - set(ShippedVectors().get(keys))
    store = StateStore(redis_client, ttl_seconds=60, prefix=f"test-{uuid.uuid4().hex[:8]}")
    dialogue = Dialogue(store, sessions, TreeCache(sessions))
    with caplog.at_level(logging.WARNING, logger="intents.vector_store"):
        threads = [threading.Thread(target=dialogue.start, kwargs={"channel": "webchat", "lang": "uk"}) for _ in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert "phrase vectors not stored" not in caplog.text
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 2
        assert missing and set(session.scalars(select(PhraseVector.key))) == missing
