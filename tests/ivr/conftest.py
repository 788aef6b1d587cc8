"""The phone line under test: the whole app per database (module scope: the matcher is built once),
configured with a Twilio token, a public URL behind which it is reached, and an office that is always open."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hotline.app import create_app
from hotline.db import make_engine, transaction
from hotline.deps import Parts
from hotline.office_hours import OfficeHours, parse_week
from hotline.settings import Settings
from hotline.users import Role, create
from specialist_queue.model import OperatorState
from tests.conftest import _empty_tables
from tests.ivr.phone import ACCOUNT, ALWAYS_OPEN, PUBLIC_URL, TOKEN


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def phone_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str
) -> Iterator[TestClient]:
    data: Path = tmp_path_factory.mktemp("phone")
    if request.param == "sqlite":
        database_url = f"sqlite:///{data / 'hotline.sqlite3'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
        engine = make_engine(database_url)
        _empty_tables(engine)
        engine.dispose()
    with TestClient(create_app(phone_settings(database_url, redis_url, data)), base_url=PUBLIC_URL) as client:
        yield client


def phone_settings(database_url: str, redis_url: str, data: Path, **more: Any) -> Settings:
    """The phone line's test settings: Twilio's token and account, an office always open, keys of its own."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=data / "var",
        public_url=PUBLIC_URL,
        twilio_auth_token=TOKEN,
        twilio_account_sid=ACCOUNT,
        redis_prefix=f"test-{uuid.uuid4().hex[:8]}",
        office_hours=ALWAYS_OPEN,
        **more,
    )


@pytest.fixture
def client(phone_app: TestClient) -> Iterator[TestClient]:
    """The phone app with the office open, as most tests want it (a test may close it)."""
    parts: Parts = phone_app.app.state.parts  # type: ignore[attr-defined]
    assert parts.specialists is not None and parts.dialogue.office is not None
    queue, rules = parts.specialists.queue, parts.dialogue.office
    office_hours, rules_hours, duty, queue_hours = (
        parts.office_hours,
        rules.hours,
        rules.after_hours_wait,
        queue.office_hours,
    )
    yield phone_app
    parts.office_hours, rules.hours, rules.after_hours_wait, queue.office_hours = (
        office_hours,
        rules_hours,
        duty,
        queue_hours,
    )


@pytest.fixture
def parts(client: TestClient) -> Parts:
    found: Parts = client.app.state.parts  # type: ignore[attr-defined]
    return found


def close_office(parts: Parts, hours: OfficeHours) -> None:
    """The calendar the office's rules and the specialist queue share (the admins' one in the app), made `hours`."""
    assert parts.specialists is not None and parts.dialogue.office is not None
    parts.office_hours = parts.specialists.queue.office_hours = parts.dialogue.office.hours = lambda: hours


@pytest.fixture
def closed(parts: Parts) -> Parts:
    """The office closed all week (no opening to announce), for the out-of-hours paths."""
    close_office(parts, OfficeHours(week={}))
    return parts


@pytest.fixture
def night(parts: Parts) -> Parts:
    """The office closed now and open for a second at midnight: callbacks are due then."""
    close_office(parts, OfficeHours(week=parse_week("mon-sun 00:00-00:00:01")))
    return parts


@pytest.fixture
def sessions(parts: Parts) -> sessionmaker[Session]:
    return parts.sessions


@pytest.fixture
def duty(parts: Parts) -> Iterator[int]:
    """A duty specialist on shift for every queue and language (out of hours a citizen may wait only for one);
    offline again after the test."""
    assert parts.specialists is not None
    with transaction(parts.sessions) as session:
        user = create(session, username=f"duty-{uuid.uuid4().hex[:8]}", password="s3cret-pass", role=Role.OPERATOR)
        operator_id = user.id
    parts.specialists.desk.set_state(operator_id, OperatorState.AVAILABLE)
    yield operator_id
    parts.specialists.desk.set_state(operator_id, OperatorState.OFFLINE)
