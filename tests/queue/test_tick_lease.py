"""Two app nodes on one PostgreSQL and one Redis: the queue's tick runs on the node holding its lease only,
and when that node stops the other carries on (an unanswered offer still times out). The takeover after
a node is killed outright is in tests/integration/test_leases.py (a real SIGKILL of a lease holder)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hotline.app import create_app
from hotline.db import make_engine
from hotline.queue_log import QueueEvent, QueueEventKind
from hotline.settings import Settings
from specialist_queue.model import OperatorState
from specialist_queue.runtime import Specialists
from tests.conftest import _empty_tables
from tests.queue.conftest import operator
from tests.queue.test_operator_api import asks_for_a_person

WAIT = 30.0


def specialists(node: TestClient) -> Specialists:
    found: Specialists = node.app.state.parts.specialists  # type: ignore[attr-defined]
    return found


def until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still not: {what}"
        time.sleep(0.02)


class Nodes:
    """App nodes started side by side; `stop` ends one as its process would on SIGTERM (through its lifespan)."""

    def __init__(self) -> None:
        self.running: list[TestClient] = []

    def start(self, settings: Settings) -> TestClient:
        node = TestClient(create_app(settings))
        node.__enter__()
        self.running.append(node)
        return node

    def stop(self, node: TestClient) -> None:
        self.running.remove(node)
        node.__exit__(None, None, None)


@pytest.fixture
def nodes(postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, Nodes]]:
    engine = make_engine(postgres_url)
    _empty_tables(engine)
    engine.dispose()
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    started = Nodes()
    settings = Settings(
        database_url=postgres_url,
        redis_url=redis_url,
        data_dir=tmp_path,
        redis_prefix=prefix,
        office_hours="mon-sun 00:00-24:00",
        queue_tick_seconds=0.05,
        queue_offer_timeout_seconds=0.3,
        lease_seconds=30,  # longer than the test: only a released lease can pass to the other node
    )
    try:
        yield started.start(settings), started.start(settings), started
    finally:
        for node in list(started.running):
            started.stop(node)
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"{prefix}:*", count=1000):
            client.delete(key)
        client.close()


def ticks(node: TestClient) -> bool:
    """The node holds the tick's lease."""
    ticker = specialists(node).ticker
    return ticker is not None and ticker.token is not None


def timed_out(node: TestClient) -> int:
    with specialists(node).queue.sessions() as session:
        return int(session.scalar(select(func.count()).where(QueueEvent.event == QueueEventKind.TIMED_OUT.value)) or 0)


def offer_is_let_ring(node: TestClient, operator_id: int) -> None:
    """The operator is offered a chat and does not answer: the tick (wherever it runs) times the offer out
    (the queue log says so once) and pauses them."""
    desk = specialists(node).desk
    before = timed_out(node)
    desk.set_state(operator_id, OperatorState.AVAILABLE)
    asks_for_a_person(node)
    until(lambda: timed_out(node) > before, "the offer timed out")
    assert desk.store.operator(operator_id).reason == "missed_offer"


def test_one_node_ticks_and_the_other_takes_over_when_it_stops(nodes: tuple[TestClient, TestClient, Nodes]) -> None:
    a, b, started = nodes
    until(lambda: ticks(a) or ticks(b), "a node holds the tick")
    holders = [n for n in (a, b) if ticks(n)]
    assert len(holders) == 1
    holder, standby = holders[0], b if holders[0] is a else a
    olena = operator(specialists(a).queue.sessions, "olena")
    offer_is_let_ring(standby, olena)  # the chat arrives on the node that does not tick

    started.stop(holder)  # the holder stops: its lease is released, not left to run out
    until(lambda: ticks(standby), "the other node holds the tick")
    offer_is_let_ring(standby, olena)
    assert timed_out(standby) == 2  # each unanswered offer timed out once (the paused operator gets no more)
