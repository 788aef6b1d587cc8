"""Proof of the boundary: a throw-away channel registers through the registry (the class below, under 60
lines), takes a conversation to a specialist and back, and gets the operator's messages pushed to it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fastapi import APIRouter
from fastapi.testclient import TestClient
from starlette.routing import Mount

from channels import builtin
from channels.chat.wording import written
from channels.registry import BaseChannel, Capabilities, Channels, Controls, Delivery, Runtime
from hotline import users
from hotline.app import create_app
from hotline.db import transaction
from hotline.settings import Settings
from intents.engine import Input, InputKind
from specialist_queue.follow import Closed, Joined, OperatorMessage, Update
from specialist_queue.model import OperatorState


class Echo(BaseChannel):
    """Citizens write with `POST /echo/{user}`; the robot's words come back, a specialist's are pushed."""

    name = "echo"
    label = MappingProxyType({"uk": "Відлуння", "ru": "Эхо"})
    capabilities = Capabilities(controls=Controls.BUTTONS, delivery=Delivery.PUSH, text_limit=500)

    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.conversations: dict[str, str] = {}
        self.pushed: list[Update] = []
        self.router = APIRouter()
        self.router.add_api_route("/echo/{user}", self.write, methods=["POST"])

    def routes(self) -> Sequence[APIRouter | Mount]:
        return (self.router,)

    async def start(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def parts(self) -> Iterable[object]:
        return (self,)

    async def push(self, conversation_id: str, update: Update) -> None:
        self.pushed.append(update)

    def write(self, user: str, text: str) -> list[str]:
        assert self.runtime is not None
        dialogue, queue = self.runtime.dialogue, self.runtime.specialists.queue
        if user not in self.conversations:
            started = dialogue.start(channel=self.name, lang="uk", external_id=user)
            self.conversations[user] = started.conversation_id
        conversation_id = self.conversations[user]
        if queue.held_by(conversation_id) is not None:
            queue.citizen_message(conversation_id, text)
            return []
        result = dialogue.handle(conversation_id, Input(InputKind.TEXT, value=text))
        return [written(reply) for reply in result.replies]


def _until(found: list[Update], kind: type[Any], count: int = 1) -> list[Any]:
    """The pushed updates of `kind` once there are `count` of them (pushes come from the app's loop)."""
    deadline = time.monotonic() + 10
    while len(got := [u for u in found if isinstance(u, kind)]) < count:
        assert time.monotonic() < deadline, f"no {kind.__name__} pushed: {found}"
        time.sleep(0.02)
    return got


def test_an_echo_channel_reaches_a_specialist_and_back(redis_url: str, tmp_path: Path) -> None:
    echo = Echo()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'h.db'}",
        redis_url=redis_url,
        data_dir=tmp_path / "var",
        redis_prefix=f"test-echo-{time.monotonic_ns()}",
        office_hours="mon-sun 00:00-24:00",  # a specialist may take it whatever the hour the test runs at
    )
    with TestClient(create_app(settings, Channels([*builtin.channels(), echo]))) as client:
        parts: Any = client.app.state.parts  # type: ignore[attr-defined]
        assert parts.channels.label("echo", "ru") == "Эхо" and parts.channels.part(Echo) is echo
        said = client.post("/echo/anna", params={"text": "з'єднайте з оператором"}).json()
        assert said and "фахів" in " ".join(said)
        conversation_id = echo.conversations["anna"]
        with transaction(parts.sessions) as session:
            operator_id = users.create(
                session, username="olena", password="s3cret-pass", role=users.Role.OPERATOR, display_name="Олена"
            ).id
        desk = parts.specialists.desk
        desk.set_state(operator_id, OperatorState.AVAILABLE)
        entry = asyncio.run(desk.accept(operator_id, conversation_id))
        assert entry.kind.value == "chat" and entry.channel == "echo"
        assert _until(echo.pushed, Joined)[0] == Joined("Олена", operator_id)

        assert client.post("/echo/anna", params={"text": "Мені не прийшла допомога"}).json() == []  # to the person
        desk.send(operator_id, conversation_id, "Перевіряю, хвилинку")
        desk.send(operator_id, conversation_id, "Допомогу нараховано")
        messages = _until(echo.pushed, OperatorMessage, 2)
        assert [m.text for m in messages] == ["Перевіряю, хвилинку", "Допомогу нараховано"]

        desk.close(operator_id, conversation_id)
        assert _until(echo.pushed, Closed) == [Closed(1)]
        assert client.post("/echo/anna", params={"text": "графік роботи"}).json()  # the robot answers again
