"""Redis Sentinel: the master is killed while operators take conversations on two app nodes. Nothing is lost
(every conversation that asked for a person is taken) and nothing is doubled (by one operator, connected
once in the queue log). Small here; `bench/failover_bench.py` runs 50 operators × 1,000 conversations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import make_engine, make_sessionmaker
from hotline.office_hours import QueuePolicy
from hotline.redis_conn import SentinelConfig, connect, parse_sentinels
from specialist_queue.service import SpecialistQueue, Timing
from specialist_queue.store import QueueStore
from tests import redis_sentinel
from tests.conftest import _empty_tables
from tests.failover_drill import run_drill
from tests.queue.conftest import Office, conversation
from tests.queue.test_service import MONDAY_10

pytestmark = pytest.mark.skipif(not redis_sentinel.available(), reason="redis-server is not installed")


def test_a_failover_while_operators_take_conversations_loses_and_doubles_nothing(
    tmp_path: Path, postgres_admin_url: str
) -> None:
    outcome = run_drill(tmp_path, postgres_admin_url, operators=4, conversations=24, kill_after=0.3)

    assert len(outcome.asked) == 24
    assert set(outcome.taken) >= outcome.asked, "a conversation that asked for a person was never taken"
    doubled = {c: ops for c, ops in outcome.taken.items() if len(ops) > 1}
    assert not doubled, f"taken by two operators: {doubled}"
    assert {c: n for c, n in outcome.connected_in_sql.items() if c in outcome.asked} == dict.fromkeys(outcome.asked, 1)
    assert not outcome.errors, f"clients saw errors through the failover: {outcome.errors}"


@pytest.fixture
def redis_set(tmp_path: Path) -> Iterator[redis_sentinel.Sentinels]:
    with redis_sentinel.sentinels(tmp_path) as found:
        yield found


@pytest.fixture
def postgres_sessions(postgres_url: str) -> Iterator[sessionmaker[Session]]:
    """PostgreSQL only: the rebuild's SQL is tested on both databases in test_service.py."""
    engine = make_engine(postgres_url)
    _empty_tables(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_the_tick_after_a_failover_rebuilds_what_the_new_master_lacks(
    redis_set: redis_sentinel.Sentinels, postgres_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    sessions = postgres_sessions
    config = SentinelConfig(parse_sentinels(redis_set.setting), redis_sentinel.MASTER)
    handle = connect("", tmp_path, sentinel=config)
    store = QueueStore(handle.client, "failover", replicas=handle.replicas)
    queue = SpecialistQueue(
        store=store,
        sessions=sessions,
        office_hours=Office(),
        policy=lambda: QueuePolicy(wrap_up_seconds=30, service_level_seconds=60, callback_retry_minutes=30),
        timing=Timing(offer_timeout=20, default_handling=300),
    )
    queue.tick(now=MONDAY_10)  # a new Redis: rebuilt (from an empty log) and marked whole
    assert store.is_alive()
    kept, lost = conversation(sessions), conversation(sessions)
    queue.enqueue(kept, skill="subsidies", lang="uk", now=MONDAY_10 + 1)
    queue.enqueue(lost, skill="subsidies", lang="uk", now=MONDAY_10 + 2)

    redis_set.wait_failover(redis_set.kill_master())
    # The replica had every acknowledged write (they wait for it); remove one, as a failover to a replica
    # that had fallen behind would have lost it.
    store.abandon(lost, now=MONDAY_10 + 3, keep_seconds=1)
    handle.client.delete(f"failover:sq:e:{lost}")
    assert not store.is_alive(), "a new master: the queue must not take itself for whole"
    assert store.waiting("subsidies:uk") == [kept]

    queue.tick(now=MONDAY_10 + 4)
    assert store.waiting("subsidies:uk") == [kept, lost]  # back at its place, from the SQL queue log
    assert store.is_alive()
    handle.close()
