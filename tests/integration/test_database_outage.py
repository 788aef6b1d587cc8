"""The database is cut (a TCP proxy in front of PostgreSQL stops passing anything) while citizens chat and
call: the conversations under way keep being answered from Redis, their turns wait in Redis, a citizen who asks
for a person is queued and offered from Redis alone, a new chat gets a polite 503, /readyz says what is
degraded; once the database is back every turn and every queue event is in SQL exactly once."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hotline import users
from hotline.app import create_app
from hotline.conversation_log import Conversation, ConversationEvent
from hotline.db import make_engine, make_sessionmaker, transaction
from hotline.queue_log import QueueEvent
from hotline.settings import Settings
from specialist_queue.model import EntryState, OperatorState
from tests.conftest import _empty_tables
from tests.fakes.viber_api import FakeViberApi
from tests.helpers import chat
from tests.ivr.phone import ACCOUNT, PUBLIC_URL, TOKEN, Doc, Phone
from tests.viber.conftest import conversation_started, new_user, post, text_message, viber_settings

WAIT = 60.0


class Gate:
    """A TCP proxy to PostgreSQL that can be shut (open connections cut, new ones closed at once) and opened."""

    def __init__(self, port: int) -> None:
        self.target = ("127.0.0.1", port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.passing = True
        self.open_sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.passing:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open_sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            end.close()

    def cut(self) -> None:
        self.passing = False
        with self.lock:
            for end in self.open_sockets:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
            self.open_sockets.clear()

    def restore(self) -> None:
        self.passing = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def gate(postgres_url: str) -> Iterator[Gate]:
    found = Gate(urlsplit(postgres_url).port or 5432)
    yield found
    found.close()


@pytest.fixture
def app(postgres_url: str, redis_url: str, gate: Gate, tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(postgres_url)
    _empty_tables(engine)
    engine.dispose()
    through_gate = postgres_url.replace(f":{urlsplit(postgres_url).port}/", f":{gate.port}/")
    settings = Settings(
        database_url=through_gate,
        redis_url=redis_url,
        data_dir=tmp_path,
        redis_prefix=f"test-{uuid.uuid4().hex[:8]}",
        rate_limits=False,
        public_url=PUBLIC_URL,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
        office_hours="mon-sun 00:00-24:00",
    )
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        yield client


def citizen_turns(postgres_url: str) -> list[tuple[str, int, int]]:
    """(conversation, step, events) for every step where the citizen said or pressed something."""
    engine = make_engine(postgres_url)
    with make_sessionmaker(engine)() as session:
        found = session.execute(
            select(ConversationEvent.conversation_id, ConversationEvent.step, func.count())
            .where(ConversationEvent.kind.startswith("citizen_"))
            .group_by(ConversationEvent.conversation_id, ConversationEvent.step)
        ).all()
    engine.dispose()
    return sorted((str(c), int(step), int(n)) for c, step, n in found)


def until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still not: {what}"
        time.sleep(0.05)


def test_chats_under_way_are_answered_through_an_outage_and_every_turn_is_logged_once(
    app: TestClient, gate: Gate, postgres_url: str
) -> None:
    parts = app.app.state.parts  # type: ignore[attr-defined]
    chats = [app.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"] for _ in range(3)]
    for session in chats:
        chat(app, session, button="subsidies", message_id="1")

    gate.cut()
    for session in chats:
        assert chat(app, session, text="як оформити субсидію", message_id="2")["replies"]
        assert chat(app, session, button="benefits", message_id="3")["replies"]
    again = chat(app, chats[0], button="benefits", message_id="3")  # a resent message: its first answer, once
    assert again["replies"]
    refused = app.post("/api/chat/sessions", json={"lang": "uk"})  # a new chat needs the database
    assert refused.status_code == 503 and "хвилину" in refused.json()["message"]
    assert refused.headers["Retry-After"] == "30"
    ready = app.get("/readyz").json()
    assert ready["checks"]["database"].startswith("error")
    assert ready["checks"]["pending_log"].startswith("7 turns")  # 3 × 2, and the resent one (written once)

    gate.restore()
    until(lambda: parts.dialogue.pending.waiting() == 0, "the kept turns were written")
    assert citizen_turns(postgres_url) == sorted((c, step, 1) for c in chats for step in (1, 2, 3, 4))
    assert app.get("/readyz").json()["checks"].get("pending_log") is None


def test_a_call_under_way_goes_on_through_an_outage_and_its_turns_are_logged_once(
    app: TestClient, gate: Gate, postgres_url: str
) -> None:
    parts = app.app.state.parts  # type: ignore[attr-defined]
    call = Phone(app)
    answer = Doc(call.post("/twilio/voice").text)
    answer = Doc(call.post(answer.gather.get("action"), {"Digits": "1"}).text)  # Ukrainian: the main menu

    gate.cut()
    subsidies = Doc(call.post(answer.gather.get("action"), {"Digits": "1"}).text)
    assert subsidies.gather.get("action").endswith("step=3"), "the caller hears the next menu, not an apology"
    repeated = Doc(call.post(answer.gather.get("action"), {"Digits": "1"}).text)  # Twilio retried the webhook
    assert repeated.said == subsidies.said
    assert parts.dialogue.pending.waiting() == 2

    gate.restore()
    until(lambda: parts.dialogue.pending.waiting() == 0, "the kept turns were written")
    turns = citizen_turns(postgres_url)
    assert [(step, n) for _, step, n in turns] == [(1, 1), (2, 1), (3, 1)]


def queue_events(postgres_url: str) -> list[tuple[str, str]]:
    """(conversation, event) for every row of the SQL queue log about a conversation."""
    engine = make_engine(postgres_url)
    with make_sessionmaker(engine)() as session:
        found = session.execute(
            select(QueueEvent.conversation_id, QueueEvent.event).where(QueueEvent.conversation_id.is_not(None))
        ).all()
    engine.dispose()
    return sorted((str(c), str(e)) for c, e in found)


def test_who_asks_for_a_person_during_an_outage_is_queued_and_offered(
    app: TestClient, gate: Gate, postgres_url: str
) -> None:
    parts = app.app.state.parts  # type: ignore[attr-defined]
    desk, queue = parts.specialists.desk, parts.specialists.queue
    for name in ("olena", "petro", "iryna"):  # on shift before the database went away
        with transaction(parts.sessions) as session:
            operator = users.create(session, username=name, password="s3cret-pass", role=users.Role.OPERATOR)
        desk.set_state(operator.id, OperatorState.AVAILABLE)
    chats = [app.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"] for _ in range(2)]
    for session in chats:
        chat(app, session, button="subsidies", message_id="1")
    call = Phone(app)
    menu = Doc(call.post(Doc(call.post("/twilio/voice").text).gather.get("action"), {"Digits": "1"}).text)
    with parts.sessions() as session:
        the_call = session.scalars(select(Conversation.id).where(Conversation.external_id == call.sid)).one()

    gate.cut()
    for session in chats:
        answer = chat(app, session, text="з'єднайте з оператором", message_id="2")
        assert answer["replies"][-1]["handoff"]["state"] == "waiting", "not an apology: the citizen is queued"
    to_person = call.post(menu.gather.get("action"), {"Digits": "0"})
    assert to_person.status_code == 200 and "<Enqueue" in to_person.text, to_person.text
    asked = [*chats, the_call]
    offered = [queue.store.entry(c) for c in asked]
    assert [e.state if e else None for e in offered] == [EntryState.OFFERED] * 3, "every one offered at once"
    assert len({e.operator for e in offered if e}) == 3

    gate.restore()
    until(lambda: parts.dialogue.pending.waiting() == 0, "the kept turns and queue events were written")
    logged = queue_events(postgres_url)
    for conversation in asked:
        assert [e for c, e in logged if c == conversation] == ["entered", "offered"], logged


def test_viber_is_answered_200_with_a_word_and_its_messages_are_handled_once_the_database_is_back(
    postgres_url: str, redis_url: str, gate: Gate, tmp_path: Path
) -> None:
    engine = make_engine(postgres_url)
    _empty_tables(engine)
    engine.dispose()
    through_gate = postgres_url.replace(f":{urlsplit(postgres_url).port}/", f":{gate.port}/")
    fake = FakeViberApi()
    try:
        with TestClient(create_app(viber_settings(through_gate, redis_url, tmp_path, fake.url))) as client:
            anna = new_user("uk", "Анна")
            assert post(client, conversation_started(anna)).status_code == 200
            assert post(client, text_message(anna, "субсидія")).status_code == 200
            before = len(fake.wait_for(anna["id"], 1))

            gate.cut()
            written = [text_message(anna, "як оформити субсидію"), text_message(anna, "а пільги на комуналку?")]
            for event in written:
                assert post(client, event).status_code == 200, "a 200: Viber would repeat it for an hour"
            told = fake.wait_for(anna["id"], before + 1)[before:]
            assert len(told) == 1 and "технічна перерва" in told[0]["text"], "told once, not per message"
            boris = new_user("ru", "Борис")
            welcome = post(client, conversation_started(boris))
            assert welcome.status_code == 200 and "технический перерыв" in welcome.json()["text"]

            gate.restore()
            answers = fake.wait_for(anna["id"], before + 3, timeout=WAIT)[before + 1 :]
            assert len(answers) >= 2, "both kept messages answered once the database is back"
            with client.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
                said = session.scalars(
                    select(ConversationEvent.text).where(ConversationEvent.kind == "citizen_text")
                ).all()
            assert [t for t in said if t in {"як оформити субсидію", "а пільги на комуналку?"}] == [
                "як оформити субсидію",
                "а пільги на комуналку?",
            ], "in the order written, each once"
    finally:
        fake.close()
