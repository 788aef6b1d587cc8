"""The service as the attack run met it: one app per database kind (module scope), with the phone line
and Viber configured (a local fake of Viber's API), and Twilio and Viber bodies signed as they sign them."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from channels.viber.wire import SIGNATURE_HEADER, signature
from hotline import users
from hotline.app import create_app
from hotline.db import make_engine, transaction
from tests.conftest import _empty_tables
from tests.fakes.viber_api import FakeViberApi
from tests.helpers import staff_login
from tests.ivr.conftest import phone_settings
from tests.ivr.phone import ACCOUNT, PUBLIC_URL, sign
from tests.viber.conftest import TOKEN as VIBER_TOKEN

PASSWORD = "a long test password"


@pytest.fixture(scope="module")
def fake_viber() -> Iterator[FakeViberApi]:
    fake = FakeViberApi()
    yield fake
    fake.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str, fake_viber: FakeViberApi
) -> Iterator[TestClient]:
    data: Path = tmp_path_factory.mktemp("abuse")
    if request.param == "sqlite":
        database_url = f"sqlite:///{data / 'hotline.sqlite3'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
        engine = make_engine(database_url)
        _empty_tables(engine)
        engine.dispose()
    settings = phone_settings(
        database_url, redis_url, data, viber_auth_token=VIBER_TOKEN, viber_api_url=fake_viber.url, queue_tick_seconds=0,
        rate_limits=True,
    )
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        yield client


@pytest.fixture
def client(app: TestClient) -> Iterator[TestClient]:
    """The module's app with no cookies left from the test before."""
    app.cookies.clear()
    yield app


def twilio_post(client: TestClient, path: str, params: dict[str, str], **headers: str) -> Any:
    """A form posted to a Twilio webhook, signed for the public URL as Twilio signs it."""
    params = {"AccountSid": ACCOUNT, **params}
    signed = {"X-Twilio-Signature": sign(PUBLIC_URL + path, params), **headers}
    return client.post(path, data=params, headers=signed)


def viber_post(client: TestClient, event: dict[str, Any] | bytes) -> Any:
    """A Viber callback: the raw JSON bytes, signed with the bot's token."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(body, VIBER_TOKEN)}
    return client.post("/viber/webhook", content=body, headers=headers)


def staff(client: TestClient, role: users.Role) -> str:
    """Log `client` in as a new user with `role`; the session's CSRF token."""
    name = f"{role.value}-{uuid.uuid4().hex[:8]}"
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        users.create(session, username=name, password=PASSWORD, role=role)
    client.cookies.clear()
    assert staff_login(client, name, PASSWORD).status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    return token.group(1)


def browser_at(client: TestClient, address: str) -> TestClient:
    """Another browser, at `address`, on the module's running app (its event loop: the async Redis
    client of the rate limits lives there)."""
    other = TestClient(client.app, base_url=PUBLIC_URL, client=(address, 40000))
    other.portal = client.portal
    return other
