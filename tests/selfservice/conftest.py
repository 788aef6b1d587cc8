"""Self-service under test: the whole app with its phone line (signed webhooks), its Viber bot (the fake
Viber API) and its Telegram bot (the fake Bot API) on one database, once for the package per database kind;
an admin logged in through the form."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from hotline import users
from hotline.db import make_engine, transaction
from hotline.settings import Settings
from tests.conftest import _empty_tables
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.viber_api import FakeViberApi
from tests.helpers import staff_login
from tests.ivr.phone import ACCOUNT, ALWAYS_OPEN, PUBLIC_URL
from tests.ivr.phone import TOKEN as TWILIO_TOKEN
from tests.telegram.conftest import BOT_TOKEN, SECRET
from tests.viber.conftest import TOKEN as VIBER_TOKEN

PASSWORD = "s3cret-pass"


@pytest.fixture(scope="package")
def fake_viber() -> Iterator[FakeViberApi]:
    fake = FakeViberApi()
    yield fake
    fake.close()


@pytest.fixture(scope="package")
def fake_telegram() -> Iterator[FakeTelegramApi]:
    fake = FakeTelegramApi(BOT_TOKEN)
    yield fake
    fake.close()


def line_settings(
    database_url: str, redis_url: str, data: Path, viber_url: str, telegram_url: str, **more: Any
) -> Settings:
    """Phone, Viber and Telegram configured; announcements sent fast (Viber's fake takes any rate; Telegram's
    is Telegram's own, at most 30 a second)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "data_dir": data / "var",
        "public_url": PUBLIC_URL,
        "twilio_auth_token": TWILIO_TOKEN,
        "twilio_account_sid": ACCOUNT,
        "office_hours": ALWAYS_OPEN,
        "redis_prefix": f"test-{uuid.uuid4().hex[:8]}",
        "viber_auth_token": VIBER_TOKEN,
        "viber_api_url": viber_url,
        "viber_timeout_seconds": 0.5,
        "viber_retry_seconds": 0.05,
        "viber_announce_rate": 1000,
        "telegram_bot_token": BOT_TOKEN,
        "telegram_webhook_secret": SECRET,
        "telegram_api_url": telegram_url,
        "telegram_timeout_seconds": 0.5,
        "telegram_retry_seconds": 0.05,
        "telegram_announce_rate": 30,
        "announcements_every_seconds": 0.1,
        "queue_tick_seconds": 0,
        **more,
    }
    return Settings(**values)


def database(request: pytest.FixtureRequest, data: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{data / 'hotline.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    _empty_tables(engine)
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database for one test's own apps (the package's app keeps running, with its sender, on the shared one)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'own.sqlite3'}"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    name = f"hotline_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"  # the app migrates it and loads the demo pack itself
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def line(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    redis_url: str,
    fake_viber: FakeViberApi,
    fake_telegram: FakeTelegramApi,
) -> Iterator[TestClient]:
    from hotline.app import create_app

    data = tmp_path_factory.mktemp("selfservice")
    settings = line_settings(database(request, data), redis_url, data, fake_viber.url, fake_telegram.url)
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        yield client


def sessions_of(client: TestClient) -> sessionmaker[Session]:
    found: sessionmaker[Session] = client.app.state.parts.sessions  # type: ignore[attr-defined]
    return found


def log_in_admin(client: TestClient) -> str:
    """Log in as a new admin through the form; the CSRF token the admin pages' forms carry."""
    name = f"admin-{uuid.uuid4().hex[:6]}"
    with transaction(sessions_of(client)) as session:
        users.create(session, username=name, password=PASSWORD, role=users.Role.ADMIN)
    client.cookies.clear()
    assert staff_login(client, name, PASSWORD).status_code == 303
    return csrf(client.get("/admin/notices").text)


def new_topic(client: TestClient, csrf: str, uk: str, ru: str) -> str:
    """A topic the admin adds through the form; its slug."""
    slug = f"t_{uuid.uuid4().hex[:8]}"
    form = {"csrf_token": csrf, "slug": slug, "title_uk": uk, "title_ru": ru}
    assert client.post("/admin/topics", data=form, follow_redirects=False).status_code == 303
    return slug


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)
