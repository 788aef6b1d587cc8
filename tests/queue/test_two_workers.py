"""Two app workers sharing PostgreSQL and Redis, as in production: a Viber citizen reaches a person
through one, the specialist answers and closes through the other; every message reaches Viber once,
the citizen can ask for a person again, and both workers shut down."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest
import redis
from fastapi.testclient import TestClient

from channels.viber.line import ViberLine
from hotline import users
from hotline.app import create_app
from hotline.db import make_engine, transaction
from specialist_queue.model import OperatorState
from tests.conftest import _empty_tables
from tests.fakes.viber_api import FakeViberApi
from tests.viber.conftest import conversation_started, new_user, post, text_message, viber_settings


@pytest.fixture
def fake_viber() -> Iterator[FakeViberApi]:
    fake = FakeViberApi()
    yield fake
    fake.close()


@pytest.fixture
def workers(
    postgres_url: str, redis_url: str, tmp_path: Path, fake_viber: FakeViberApi
) -> Iterator[tuple[TestClient, TestClient]]:
    engine = make_engine(postgres_url)
    _empty_tables(engine)
    engine.dispose()
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    with ExitStack() as stack:
        apps = []
        for name in ("a", "b"):
            settings = viber_settings(postgres_url, redis_url, tmp_path / name, fake_viber.url)
            app = create_app(settings.model_copy(update={"redis_prefix": prefix}))
            apps.append(stack.enter_context(TestClient(app)))
        yield apps[0], apps[1]
    # Both lifespans have ended here (a shutdown that hangs never gets this far).
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*", count=1000):
        client.delete(key)
    client.close()


def test_a_viber_chat_held_through_one_worker_and_closed_through_the_other(
    workers: tuple[TestClient, TestClient], fake_viber: FakeViberApi
) -> None:
    first, second = workers
    parts: Any = second.app.state.parts  # type: ignore[attr-defined]
    user = new_user()
    post(first, conversation_started(user))
    post(first, text_message(user, "operator"))
    conversation_id = parts.channels.part(ViberLine).flows.conversation_of(user["id"])
    with transaction(parts.sessions) as session:
        operator = users.create(session, username="olena", password="s3cret-pass", role=users.Role.OPERATOR)
        operator.display_name = "Олена"
        operator_id = operator.id

    desk = parts.specialists.desk
    desk.set_state(operator_id, OperatorState.AVAILABLE)
    anyio.run(lambda: desk.accept(operator_id, conversation_id))
    # As a person would: the answers come once the citizen has been told who joined. (Under load the
    # workers could otherwise read the status only after the close, and "joined" was never sent.)
    assert "приєднався фахівець Олена" in fake_viber.wait_for(user["id"], 2)[-1]["text"]
    for n in range(1, 4):
        desk.send(operator_id, conversation_id, f"Відповідь {n}")
    desk.close(operator_id, conversation_id)

    sent = [m["text"] for m in fake_viber.wait_for(user["id"], 6)]  # waiting, joined, 3 answers, closing
    assert sent[2:5] == ["Відповідь 1", "Відповідь 2", "Відповідь 3"]  # once each, though both workers heard
    assert "приєднався фахівець Олена" in sent[1] and "Оцініть" in sent[5]
    post(first, text_message(user, "operator"))  # asking again, through either worker, reaches the queue
    assert "Ви в черзі до фахівця: 1-й" in fake_viber.sent_to(user["id"])[-1]["text"]
    assert len(fake_viber.sent_to(user["id"])) == 7
