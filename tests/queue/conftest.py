"""Specialist-queue fixtures: a private key prefix on the shared Redis, the store, and a queue service
on a real database (SQLite and PostgreSQL) with an office that is always open."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import time
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hotline import conversation_log, users
from hotline.app import create_app
from hotline.db import make_engine, transaction
from hotline.office_hours import OfficeHours, QueuePolicy
from hotline.settings import Settings
from specialist_queue.desk import Desk
from specialist_queue.model import OperatorState
from specialist_queue.runtime import Specialists
from specialist_queue.service import SpecialistQueue, Timing
from specialist_queue.store import QueueStore
from tests.conftest import _empty_tables
from tests.fakes.twilio_api import FakeTwilioApi
from tests.helpers import staff_login

ALWAYS_OPEN = OfficeHours(week={day: (time(0, 0), time(23, 59, 59)) for day in range(7)}, timezone="UTC")
NEVER_OPEN = OfficeHours(week={}, timezone="UTC")
OFFER_TIMEOUT = 20.0
INTENTS = {"housing_subsidy_apply", "office_hours"}


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    for key in redis_client.scan_iter(f"{name}:*", count=1000):
        redis_client.delete(key)


@pytest.fixture
def store(redis_client: redis.Redis, prefix: str) -> QueueStore:
    return QueueStore(redis_client, prefix)


class Office:
    """The office a test can open and close."""

    def __init__(self) -> None:
        self.hours = ALWAYS_OPEN

    def __call__(self) -> OfficeHours:
        return self.hours


@pytest.fixture
def office() -> Office:
    return Office()


@pytest.fixture
def queue(store: QueueStore, sessions: sessionmaker[Session], office: Office) -> SpecialistQueue:
    return SpecialistQueue(
        store=store,
        sessions=sessions,
        office_hours=office,
        policy=lambda: QueuePolicy(wrap_up_seconds=30, service_level_seconds=60, callback_retry_minutes=30),
        timing=Timing(offer_timeout=OFFER_TIMEOUT, default_handling=300),
        clock=lambda: pytest.fail("a test passes `now` explicitly"),
    )


@pytest.fixture
def released() -> list[str]:
    """The conversations the desk handed back to the robot (the app hands them to `Dialogue.release`)."""
    return []


@pytest.fixture
def desk(queue: SpecialistQueue, released: list[str]) -> Desk:
    return Desk(queue, dispositions=lambda: INTENTS, release=released.append)


def conversation(sessions: sessionmaker[Session], *, channel: str = "web", external_id: str | None = None) -> str:
    """A conversation row (queue events refer to it)."""
    conversation_id = uuid.uuid4().hex
    with transaction(sessions) as session:
        conversation_log.create(
            session, conversation_id=conversation_id, channel=channel, lang="uk", external_id=external_id
        )
    return conversation_id


def operator(
    sessions: sessionmaker[Session],
    name: str,
    *,
    skills: list[str] | None = None,
    phone: str | None = None,
    chats: int = 3,
) -> int:
    with transaction(sessions) as session:
        user = users.create(session, username=name, password="s3cret-pass", role=users.Role.OPERATOR)
        user.skills = skills or []
        user.phone = phone
        user.capacity_chats = chats
        return user.id


ACCOUNT = "AC" + "1" * 32
TOKEN = "twilio-test-token"
PUBLIC_URL = "http://testserver"


@pytest.fixture(scope="module")
def twilio_api() -> Iterator[FakeTwilioApi]:
    fake = FakeTwilioApi(account_sid=ACCOUNT, auth_token=TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def queue_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str, twilio_api: FakeTwilioApi
) -> Iterator[TestClient]:
    """The whole app per database (module scope: the matcher is built once), its Twilio REST API
    faked on 127.0.0.1, no background tick (tests drive it), and an office open all week."""
    data = tmp_path_factory.mktemp("queue")
    if request.param == "sqlite":
        database_url = f"sqlite:///{data / 'hotline.sqlite3'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
        engine = make_engine(database_url)
        _empty_tables(engine)
        engine.dispose()
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=data / "var",
        public_url=PUBLIC_URL,
        redis_prefix=prefix,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
        twilio_api_url=twilio_api.url,
        queue_tick_seconds=0,
        office_hours="mon-sun 00:00-23:59",
    )
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        yield client
    cleanup = redis.Redis.from_url(redis_url)
    for key in cleanup.scan_iter(f"{prefix}:*", count=1000):
        cleanup.delete(key)
    cleanup.close()


@pytest.fixture
def app(queue_app: TestClient) -> Iterator[TestClient]:
    """The module's app, logged out; afterwards nobody is left available to take the next test's work."""
    queue_app.cookies.clear()
    yield queue_app
    found: Specialists = queue_app.app.state.parts.specialists  # type: ignore[attr-defined]
    for op in found.queue.store.operators():
        for held in op.conversations:
            found.desk.close(op.id, held)
        found.desk.set_state(op.id, OperatorState.OFFLINE)


def staff(app: TestClient, name: str, *, role: users.Role = users.Role.OPERATOR, **fields: object) -> StaffClient:
    """A new staff user, logged in on a client of their own; with their id and CSRF token."""
    parts = app.app.state.parts  # type: ignore[attr-defined]
    with transaction(parts.sessions) as session:
        user = users.create(session, username=name, password="s3cret-pass", role=role)
        for field, value in fields.items():
            setattr(user, field, value)
        user_id = user.id
    client = app if not app.cookies else TestClient(app.app, base_url=PUBLIC_URL)
    assert staff_login(client, name, "s3cret-pass").status_code == 303
    page = client.get("/operator")
    token = re.search(r'data-csrf="([^"]+)"', page.text)
    assert page.status_code == 200 and token
    return StaffClient(client, user_id, token.group(1))


class StaffClient:
    def __init__(self, client: TestClient, user_id: int, csrf: str) -> None:
        self.client = client
        self.id = user_id
        self.csrf = csrf

    def post(self, path: str, body: dict[str, object] | None = None) -> Any:
        return self.client.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    def get(self, path: str) -> Any:
        return self.client.get(path)
