"""A Redis failover drill: two app nodes (`hotline serve`) on one PostgreSQL database and a Redis master
with a replica and three sentinels. Citizens ask for a person on the web chat of either node while
operators take conversations through the operator API of either node; part-way through, the master is
killed (SIGKILL) and Sentinel promotes the replica. Every request is timed as its client saw it.

`tests/queue/test_redis_failover.py` runs it small; `bench/failover_bench.py` at full size.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
from sqlalchemy import func, select, text

from hotline import users
from hotline.db import make_engine, make_sessionmaker, transaction
from hotline.queue_log import QueueEvent, QueueEventKind
from hotline.redis_conn import SentinelConfig, connect, parse_sentinels
from specialist_queue.store import QueueStore
from tests.helpers import free_port, serving, staff_login
from tests.redis_sentinel import DOWN_AFTER_MS, MASTER, Sentinels, sentinels

PASSWORD = "drill-password-1"
OFFICE_ALWAYS_OPEN = "mon-sun 00:00-24:00"
IDLE_POLL_SECONDS = 0.25  # an idle operator looks again (the console is pushed over a WebSocket instead)


@dataclass
class Request:
    began: float
    ended: float
    ok: bool


@dataclass
class Timeline:
    """Every request each client made, as it saw it."""

    requests: dict[str, list[Request]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, who: str, send: Callable[[], httpx.Response]) -> httpx.Response | None:
        began = time.monotonic()
        try:
            response: httpx.Response | None = send()
        except httpx.HTTPError as exc:
            response, what = None, type(exc).__name__
        else:
            what = str(response.status_code) if response.status_code >= 500 else ""
        with self.lock:
            self.requests.setdefault(who, []).append(Request(began, time.monotonic(), not what))
            if what:
                self.errors[what] += 1
        return response if not what else None

    def pauses(self, killed: float) -> list[float]:
        """Per client: from its last answered request before the kill to its first one begun after it."""
        found = []
        for calls in self.requests.values():
            before = [r.ended for r in calls if r.ok and r.ended <= killed]
            after = [r.ended for r in calls if r.ok and r.began >= killed]
            spanning = [r.ended - killed for r in calls if r.ok and r.began < killed < r.ended]
            if after:
                start = max(before) if before else killed
                found.append(max([min(after) - start, *spanning]))
        return sorted(found)


@dataclass
class Console:
    """One operator's session on one node, each request timed."""

    http: httpx.Client
    who: str
    csrf: str
    timeline: Timeline

    def get(self, path: str) -> httpx.Response | None:
        return self.timeline.call(self.who, lambda: self.http.get(path))

    def post(self, path: str, body: dict[str, str] | None = None) -> httpx.Response | None:
        headers = {"X-CSRF-Token": self.csrf}
        return self.timeline.call(self.who, lambda: self.http.post(path, json=body or {}, headers=headers))


@dataclass
class Outcome:
    asked: set[str]  # conversations whose citizen was told they are waiting for a person
    taken: dict[str, set[int]]  # conversation → the operators who were told they hold it
    connected_in_sql: dict[str, int]  # conversation → its CONNECTED events in the queue log
    errors: Counter[str]
    pauses: list[float]  # seconds, per client, sorted
    failover_seconds: float  # from the kill until Sentinel had promoted the replica
    whole_seconds: float  # from the kill until the queue was rebuilt on the new master with nobody missing
    seconds: float


class Drill:
    def __init__(self, folder: Path, database_url: str, redis: Sentinels, *, operators: int, conversations: int):
        self.folder = folder
        self.database_url = database_url
        self.redis = redis
        self.prefix = f"drill-{uuid.uuid4().hex[:8]}"
        self.operators = operators
        self.conversations = conversations
        self.timeline = Timeline()
        self.asked: set[str] = set()
        self.taken: dict[str, set[int]] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.urls: list[str] = []

    # ---- the nodes ----------------------------------------------------------------------------

    def env(self, port: int, data: Path) -> dict[str, str]:
        return {
            **os.environ,
            "HOTLINE_DATA_DIR": str(data),
            "HOTLINE_DATABASE_URL": self.database_url,
            "HOTLINE_REDIS_SENTINELS": self.redis.setting,
            "HOTLINE_REDIS_MASTER": MASTER,
            "HOTLINE_REDIS_PREFIX": self.prefix,
            "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "HOTLINE_SECRET_KEY": "drill-secret-key-shared-by-both-nodes",
            "HOTLINE_OFFICE_HOURS": OFFICE_ALWAYS_OPEN,
            "HOTLINE_QUEUE_TICK_SECONDS": "0.2",
            "HOTLINE_LEASE_SECONDS": "3",
            "HOTLINE_RATE_LIMITS": "false",  # every citizen here comes from 127.0.0.1
        }

    @contextlib.contextmanager
    def nodes(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for name in ("a", "b"):
                port, data = free_port(), self.folder / name
                data.mkdir()
                stack.enter_context(serving(data, port, self.env(port, data), "--no-access-log"))
                self.urls.append(f"http://127.0.0.1:{port}")
            yield

    def staff(self) -> list[int]:
        engine = make_engine(self.database_url)
        with transaction(make_sessionmaker(engine)) as session:
            made = [
                users.create(session, username=f"op{n}-{self.prefix}", password=PASSWORD, role=users.Role.OPERATOR)
                for n in range(self.operators)
            ]
            session.flush()
            ids = [user.id for user in made]
        engine.dispose()
        return ids

    # ---- citizens -----------------------------------------------------------------------------

    def citizen(self, number: int, numbers: Iterator[int]) -> None:
        with httpx.Client(base_url=self.urls[number % 2], timeout=60) as http:
            for n in numbers:
                if self.stop.is_set():
                    return
                self.ask_for_a_person(http, f"citizen-{number}", n)

    def ask_for_a_person(self, http: httpx.Client, who: str, n: int) -> None:
        """Subsidies, how to apply, then "a person" (each message resent with its id until answered)."""
        created = self.answered(who, partial(http.post, "/api/chat/sessions", json={"lang": "uk"}))
        if created is None:
            return
        path = f"/api/chat/sessions/{created.json()['session_id']}/messages"
        said = [{"button": "subsidies"}, {"text": "як оформити субсидію"}, {"text": "оператор"}]
        for step, body in enumerate(said):
            answer = self.answered(who, partial(http.post, path, json={**body, "message_id": f"{n}-{step}"}))
            if answer is None:
                return
        replies = answer.json()["replies"]
        if replies and replies[-1]["handoff"]:
            with self.lock:
                self.asked.add(created.json()["session_id"])

    def answered(self, who: str, send: Callable[[], httpx.Response]) -> httpx.Response | None:
        """Sent until answered (as the chat page resends), or None when the drill stops first."""
        while not self.stop.is_set():
            if (response := self.timeline.call(who, send)) is not None:
                return response
        return None

    # ---- operators ----------------------------------------------------------------------------

    def operator(self, number: int, user_id: int) -> None:
        with httpx.Client(base_url=self.urls[number % 2], timeout=60) as http:
            assert staff_login(http, f"op{number}-{self.prefix}", PASSWORD).status_code == 303
            token = re.search(r'data-csrf="([^"]+)"', http.get("/operator").text)
            assert token, "the console has no CSRF token"
            console = Console(http, f"operator-{number}", token.group(1), self.timeline)
            while not self.stop.is_set():
                self.work(console, user_id)

    def work(self, console: Console, user_id: int) -> None:
        """One look at the console: accept an offer, or end and wrap up the conversation held."""
        state = console.get("/api/operator/state")
        if state is None:
            return
        me = state.json()
        if me["offer"]:
            conversation = me["offer"]["conversation_id"]
            accepted = console.post(f"/api/operator/offers/{conversation}/accept")
            if accepted is not None and accepted.status_code == 200:
                self.took(conversation, user_id)
        elif me["conversations"]:  # held (an accept whose answer was lost, too): end it
            conversation = me["conversations"][0]["conversation_id"]
            self.took(conversation, user_id)
            console.post(f"/api/operator/conversations/{conversation}/close")
        elif me["operator"]["wrap_ups"]:
            body = {"disposition": "other", "note": ""}
            console.post(f"/api/operator/conversations/{me['operator']['wrap_ups'][0]}/wrap-up", body)
        elif me["operator"]["state"] != "available":  # offline at first, paused for a missed offer
            console.post("/api/operator/state", {"state": "available"})
        else:
            time.sleep(IDLE_POLL_SECONDS)

    def took(self, conversation: str, user_id: int) -> None:
        with self.lock:
            self.taken.setdefault(conversation, set()).add(user_id)

    # ---- the run ------------------------------------------------------------------------------

    def done(self) -> bool:
        with self.lock:
            return len(self.asked) >= self.conversations and self.asked <= set(self.taken)

    def run(self, *, kill_after: float, deadline: float, citizens: int = 8) -> Outcome:
        """Run until every conversation that asked was taken; kill the master once `kill_after` of them were."""
        began = time.monotonic()
        ids = self.staff()
        numbers = iter(range(self.conversations))
        lock = threading.Lock()

        def next_numbers() -> Iterator[int]:
            while True:
                with lock:
                    n = next(numbers, None)
                if n is None:
                    return
                yield n

        threads = [threading.Thread(target=self.operator, args=(n, i), daemon=True) for n, i in enumerate(ids)]
        threads += [
            threading.Thread(target=self.citizen, args=(n, next_numbers()), daemon=True) for n in range(citizens)
        ]
        for thread in threads:
            thread.start()
        killed, failover, whole = self.kill_when(kill_after, began + deadline)
        self.until(self.done, began + deadline, "every conversation that asked was taken")
        self.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        return Outcome(
            asked=set(self.asked),
            taken={c: set(ops) for c, ops in self.taken.items()},
            connected_in_sql=self.connected_in_sql(),
            errors=self.timeline.errors,
            pauses=self.timeline.pauses(killed),
            failover_seconds=failover,
            whole_seconds=whole,
            seconds=time.monotonic() - began,
        )

    def kill_when(self, share: float, deadline: float) -> tuple[float, float, float]:
        """Kill the master once `share` of the conversations were taken; (when, failover s, whole again s)."""
        self.until(lambda: len(self.taken) >= share * self.conversations, deadline, "conversations taken")
        handle = connect("", self.folder, sentinel=SentinelConfig(parse_sentinels(self.redis.setting), MASTER))
        store = QueueStore(handle.client, self.prefix)
        killed = time.monotonic()
        old = self.redis.kill_master()
        self.redis.wait_failover(old)
        failover = time.monotonic() - killed
        with self.lock:
            waiting = set(self.asked) - set(self.taken)
        self.until(lambda: store.is_alive() and all(store.entry(c) for c in waiting), deadline, "the queue whole")
        whole = time.monotonic() - killed
        handle.close()
        return killed, failover, whole

    def until(self, condition: Callable[[], object], deadline: float, what: str) -> None:
        while not condition():
            if time.monotonic() > deadline:
                self.stop.set()
                raise AssertionError(f"drill: still not {what} (errors seen: {dict(self.timeline.errors)})")
            time.sleep(0.05)

    def connected_in_sql(self) -> dict[str, int]:
        engine = make_engine(self.database_url)
        with make_sessionmaker(engine)() as session:
            rows = session.execute(
                select(QueueEvent.conversation_id, func.count())
                .where(QueueEvent.event == QueueEventKind.CONNECTED.value)
                .group_by(QueueEvent.conversation_id)
            ).all()
        engine.dispose()
        return {str(c): int(n) for c, n in rows}


@contextlib.contextmanager
def drill_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one drill (the nodes migrate it and load the demo pack)."""
    name = f"hotline_drill_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_drill(
    folder: Path,
    admin_url: str,
    *,
    operators: int,
    conversations: int,
    kill_after: float = 0.3,
    deadline: float = 300,
    down_after_ms: int = DOWN_AFTER_MS,
) -> Outcome:
    """Set everything up in `folder`, run the drill, take everything down."""
    (folder / "redis").mkdir()
    with drill_database(admin_url) as database_url, sentinels(folder / "redis", down_after_ms) as redis:
        drill = Drill(folder, database_url, redis, operators=operators, conversations=conversations)
        with drill.nodes():
            return drill.run(kill_after=kill_after, deadline=deadline)
