"""Conversation state in a real Redis: compare-and-set, turn keys, TTL."""

from __future__ import annotations

import threading
import uuid

import redis

from channels.state_store import StateStore, state_key


def test_advance_only_from_the_state_that_was_read(redis_client: redis.Redis) -> None:
    store = StateStore(redis_client, ttl_seconds=60)
    cid = uuid.uuid4().hex
    empty = store.read(cid)
    assert empty.data is None
    assert store.advance(cid, seen=empty, state={"step": 1}, result={"step": 1}, turn=None)
    # A second writer that read the same (now old) state must not win.
    assert not store.advance(cid, seen=empty, state={"step": 1, "other": True}, result={}, turn=None)
    assert store.read(cid).data == {"step": 1}
    assert 0 < redis_client.ttl(state_key("hotline", cid)) <= 60


def test_a_turn_key_remembers_what_the_turn_answered(redis_client: redis.Redis) -> None:
    store = StateStore(redis_client, ttl_seconds=60)
    cid = uuid.uuid4().hex
    seen = store.read(cid, "CA1:3")
    assert seen.answered is None
    store.advance(cid, seen=seen, state={"step": 1}, result={"step": 1, "replies": ["hi"]}, turn="CA1:3")
    again = store.read(cid, "CA1:3")
    assert again.answered == {"step": 1, "replies": ["hi"]}
    assert again.data == {"step": 1}
    assert store.read(cid).answered is None  # without a turn key nothing is looked up


def test_concurrent_writers_advance_one_step_each(redis_client: redis.Redis) -> None:
    """Twenty threads each add one step with read–compute–CAS retries: no step is lost or doubled."""
    store = StateStore(redis_client, ttl_seconds=60)
    cid = uuid.uuid4().hex

    def bump() -> None:
        while True:
            seen = store.read(cid)
            step = (seen.data or {"step": 0})["step"] + 1
            if store.advance(cid, seen=seen, state={"step": step}, result={}, turn=None):
                return

    threads = [threading.Thread(target=bump) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.read(cid).data == {"step": 20}
