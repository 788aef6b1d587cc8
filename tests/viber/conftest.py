"""Viber fixtures: the fake Viber API, the whole app pointed at it, and webhook calls signed as Viber signs them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from channels.viber.wire import SIGNATURE_HEADER, signature
from hotline import users
from hotline.db import make_engine, transaction
from hotline.settings import Settings
from tests.conftest import _empty_tables
from tests.fakes.viber_api import FakeViberApi
from tests.helpers import staff_login

TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"


@pytest.fixture(scope="module")
def fake_viber() -> Iterator[FakeViberApi]:
    fake = FakeViberApi()
    yield fake
    fake.close()


def viber_settings(database_url: str, redis_url: str, data_dir: Path, api_url: str, **more: Any) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=data_dir,
        redis_prefix=f"test-{uuid.uuid4().hex[:8]}",
        viber_auth_token=TOKEN,
        viber_api_url=api_url,
        viber_timeout_seconds=10,  # an answer slow under load is not lost (a message is never sent twice)
        viber_retry_seconds=0.05,
        queue_tick_seconds=0,
        office_hours="mon-sun 00:00-24:00",  # who is on shift decides, not the hour the tests run at
        **more,
    )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def viber_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str, fake_viber: FakeViberApi
) -> Iterator[TestClient]:
    """The whole app, once per module and database kind (each test uses its own Viber users)."""
    from hotline.app import create_app

    data = tmp_path_factory.mktemp("viber")
    if request.param == "sqlite":
        database_url = f"sqlite:///{data / 'hotline.sqlite3'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
        engine = make_engine(database_url)
        _empty_tables(engine)
        engine.dispose()
    settings = viber_settings(database_url, redis_url, data / "var", fake_viber.url)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def sessions_of(viber_client: TestClient) -> sessionmaker[Session]:
    found: sessionmaker[Session] = viber_client.app.state.parts.sessions  # type: ignore[attr-defined]
    return found


def new_user(language: str = "uk", name: str = "Олена") -> dict[str, Any]:
    """A Viber user as the callbacks describe one, with an id no other test uses."""
    return {
        "id": f"{uuid.uuid4().hex[:12]}A==",
        "name": name,
        "avatar": "http://avatar.example.com",
        "country": "UA",
        "language": language,
        "api_version": 8,
    }


def token() -> int:
    """A message token as Viber makes them: a 64-bit number, unique per event."""
    return uuid.uuid4().int % 2**62


def conversation_started(user: dict[str, Any], **more: Any) -> dict[str, Any]:
    """Shaped as Viber's documentation shows the callback."""
    return {
        "event": "conversation_started",
        "timestamp": 1457764197627,
        "message_token": token(),
        "type": "open",
        "context": "",
        "user": user,
        "subscribed": False,
        **more,
    }


def text_message(user: dict[str, Any], text: str, **more: Any) -> dict[str, Any]:
    return {
        "event": "message",
        "timestamp": 1457764197627,
        "message_token": token(),
        "sender": user,
        "message": {"type": "text", "text": text, "tracking_data": "tracking data"},
        **more,
    }


def post(client: TestClient, event: dict[str, Any], *, sign: bool = True, raw: bytes | None = None) -> Any:
    """POST a callback the way Viber does: the raw JSON bytes, signed with the bot's token."""
    body = raw if raw is not None else json.dumps(event, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if sign:
        headers[SIGNATURE_HEADER] = signature(body, TOKEN)
    return client.post("/viber/webhook", content=body, headers=headers)


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages]


def button_bodies(message: dict[str, Any]) -> list[str]:
    return [b["ActionBody"] for b in message["keyboard"]["Buttons"]]


def log_in(client: TestClient, role: users.Role) -> None:
    """Log in through the form as a new staff user with `role`."""
    name = f"{role.value}-{uuid.uuid4().hex[:6]}"
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        users.create(session, username=name, password="s3cret-pass", role=role)
    client.cookies.clear()
    assert staff_login(client, name, "s3cret-pass").status_code == 303


def as_admin(client: TestClient) -> str:
    """Log in as a new admin; the CSRF token for changes."""
    log_in(client, users.Role.ADMIN)
    csrf: str = client.get("/api/chat/blocks").json()["csrf_token"]
    return csrf
