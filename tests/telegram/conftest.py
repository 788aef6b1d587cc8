"""Telegram fixtures: the fake Bot API, the whole app pointed at it, and updates shaped as Telegram sends them."""

from __future__ import annotations

import itertools
import json
import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channels.telegram.line import TelegramLine
from channels.telegram.models import TelegramEvent
from channels.telegram.routes import WEBHOOK
from channels.telegram.wire import IN_PLACE, SECRET_HEADER
from hotline.db import make_engine
from hotline.settings import Settings
from tests.conftest import ROUND_THE_CLOCK, _empty_tables
from tests.fakes.telegram_api import FakeTelegramApi

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "test-secret_Tg-7"
_update_ids = itertools.count(random.randrange(10**8, 9 * 10**8))


@pytest.fixture(scope="module")
def fake_telegram() -> Iterator[FakeTelegramApi]:
    fake = FakeTelegramApi(BOT_TOKEN)
    yield fake
    fake.close()


def telegram_settings(database_url: str, redis_url: str, data_dir: Path, api_url: str, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "data_dir": data_dir,
        "redis_prefix": f"test-{uuid.uuid4().hex[:8]}",
        "telegram_bot_token": BOT_TOKEN,
        "telegram_webhook_secret": SECRET,
        "telegram_api_url": api_url,
        "telegram_timeout_seconds": 10,  # an answer slow under load is not lost (a message is never sent twice)
        "telegram_retry_seconds": 0.05,
        "queue_tick_seconds": 0,
        "office_hours": ROUND_THE_CLOCK,  # who is on shift decides, not the hour the tests run at
        **more,
    }
    return Settings(**values)


def app_client(settings: Settings) -> TestClient:
    from hotline.app import create_app

    return TestClient(create_app(settings))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def telegram_client(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    redis_url: str,
    fake_telegram: FakeTelegramApi,
) -> Iterator[TestClient]:
    """The whole app, once per module and database kind (each test uses its own Telegram users)."""
    data = tmp_path_factory.mktemp("telegram")
    if request.param == "sqlite":
        database_url = f"sqlite:///{data / 'hotline.sqlite3'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
        engine = make_engine(database_url)
        _empty_tables(engine)
        engine.dispose()
    with app_client(telegram_settings(database_url, redis_url, data / "var", fake_telegram.url)) as client:
        yield client


@pytest.fixture
def sessions_of(telegram_client: TestClient) -> sessionmaker[Session]:
    found: sessionmaker[Session] = telegram_client.app.state.parts.sessions  # type: ignore[attr-defined]
    return found


def line_of(client: TestClient) -> TelegramLine:
    found: TelegramLine = client.app.state.parts.channels.part(TelegramLine)  # type: ignore[attr-defined]
    return found


# ---- updates as Telegram sends them (Bot API "Update", "Message", "CallbackQuery", "ChatMemberUpdated") ----


def new_user(language: str | None = "uk", name: str = "Олена") -> dict[str, Any]:
    user: dict[str, Any] = {"id": random.randrange(10**9, 8 * 10**9), "is_bot": False, "first_name": name}
    if language is not None:
        user["language_code"] = language
    return user


def chat_of(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def update(**kind: Any) -> dict[str, Any]:
    return {"update_id": next(_update_ids), **kind}


def message(user: dict[str, Any], text: str | None = None, **more: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"message_id": random.randrange(1, 10**6), "from": user, "chat": chat_of(user),
                             "date": int(time.time())}  # fmt: skip
    if text is not None:
        found["text"] = text
    return {**found, **more}


def text_update(user: dict[str, Any], text: str) -> dict[str, Any]:
    return update(message=message(user, text))


def start(user: dict[str, Any]) -> dict[str, Any]:
    return update(message=message(user, "/start", entities=[{"offset": 0, "length": 6, "type": "bot_command"}]))


def press(user: dict[str, Any], data: str, message_id: int | None = None) -> dict[str, Any]:
    """A press of the button `data` under our message `message_id` (any message of ours when not given)."""
    under = message(user, "…", **({"message_id": message_id} if message_id is not None else {}))
    query = {"id": uuid.uuid4().hex[:16], "from": user, "chat_instance": "-7348", "data": data, "message": under}
    return update(callback_query=query)


def member(user: dict[str, Any], status: str) -> dict[str, Any]:
    bot = {"id": 123456789, "is_bot": True, "first_name": "Соцзахист"}

    def as_member(state: str) -> dict[str, Any]:
        return {"status": state, "user": bot, **({"until_date": 0} if state == "kicked" else {})}

    old = "member" if status == "kicked" else "kicked"
    changed = {"chat": chat_of(user), "from": user, "date": int(time.time()),
               "old_chat_member": as_member(old), "new_chat_member": as_member(status)}  # fmt: skip
    return update(my_chat_member=changed)


def post(client: TestClient, body: dict[str, Any] | bytes, *, secret: str | None = SECRET) -> Any:
    """POST an update as Telegram does: JSON, with the secret token we gave setWebhook."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    return client.post(WEBHOOK, content=raw, headers=headers)


def buttons(call_body: dict[str, Any]) -> list[str]:
    """The targets of a message's buttons (without the mark of a menu's: `in_place`)."""
    return [data.removeprefix(IN_PLACE) for data in callback_data(call_body)]


def callback_data(call_body: dict[str, Any]) -> list[str]:
    board = call_body.get("reply_markup") or {}
    return [b["callback_data"] for row in board.get("inline_keyboard", []) for b in row]


def in_place(call_body: dict[str, Any]) -> bool:
    """Whether a message's buttons are a menu's (the next menu replaces the message)."""
    return all(data.startswith(IN_PLACE) for data in callback_data(call_body))


def events(sessions: sessionmaker[Session], chat_id: int) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.scalars(select(TelegramEvent).where(TelegramEvent.chat_id == chat_id).order_by(TelegramEvent.id))
        return [(row.kind, row.detail) for row in rows]
