"""The database is cut (a TCP proxy in front of PostgreSQL stops passing anything) while citizens chat and
call: the conversations under way keep being answered from Redis, their turns wait in Redis, a citizen who asks
for a person is queued and offered from Redis alone, a new chat or call starts on the tree already loaded (its row
waits in Redis before its turns), Viber and Telegram get a 200 and one polite word (their callbacks kept and
handled in order later), /readyz says what is degraded; once the database is back every conversation, turn and
queue event is in SQL exactly once, in order."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from channels.chat import texts as chat_texts
from channels.dialogue import Dialogue, TreeCache
from channels.state_store import StateStore
from channels.telegram.line import TelegramLine
from channels.viber.line import ViberLine
from hotline import users
from hotline.app import create_app
from hotline.call_events import CALL_STEP, CallEvent
from hotline.conversation_log import Conversation, ConversationEvent
from hotline.db import UNREACHABLE, make_engine, make_sessionmaker, transaction
from hotline.leases import Lease
from hotline.pending_log import PendingLog
from hotline.queue_log import QueueEvent
from hotline.settings import Settings
from ivr import phrases
from ivr.line import PhoneLine
from specialist_queue.chat import ChatMessage
from specialist_queue.model import EntryState, OperatorState
from specialist_queue.transfer import TOLD
from tests.conftest import _empty_tables
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.twilio_api import FakeTwilioApi
from tests.fakes.viber_api import FakeViberApi
from tests.helpers import chat, staff_login, staff_logout
from tests.ivr.phone import ACCOUNT, EMPTY, PUBLIC_URL, TOKEN, Doc, Phone
from tests.queue.conftest import StaffClient
from tests.telegram.conftest import BOT_TOKEN, app_client, telegram_settings, text_update
from tests.telegram.conftest import new_user as telegram_user
from tests.telegram.conftest import post as telegram_post
from tests.telegram.conftest import start as telegram_start
from tests.viber.conftest import TOKEN as VIBER_TOKEN
from tests.viber.conftest import conversation_started, new_user, post, text_message, viber_settings

WAIT = 60.0
Received = Callable[[int], list[str]]
HANDED_OVER = "З'єдную вас із фахівцем"  # the robot's words when it hands a citizen over (the demo tree's)


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
def twilio_api() -> Iterator[FakeTwilioApi]:
    fake = FakeTwilioApi(account_sid=ACCOUNT, auth_token=TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def through_gate(postgres_url: str, gate: Gate) -> str:
    """The database's address through the gate, its tables emptied."""
    engine = make_engine(postgres_url)
    _empty_tables(engine)
    engine.dispose()
    return postgres_url.replace(f":{urlsplit(postgres_url).port}/", f":{gate.port}/")


@pytest.fixture
def app(through_gate: str, redis_url: str, tmp_path: Path, twilio_api: FakeTwilioApi) -> Iterator[TestClient]:
    settings = Settings(
        database_url=through_gate,
        redis_url=redis_url,
        data_dir=tmp_path,
        redis_prefix=f"test-{uuid.uuid4().hex[:8]}",
        rate_limits=False,
        public_url=PUBLIC_URL,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
        twilio_api_url=twilio_api.url,
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
    new = app.post("/api/chat/sessions", json={"lang": "uk"})  # starts on the tree this process has loaded
    assert new.status_code == 201 and new.json()["replies"], new.text
    ready = app.get("/readyz").json()
    assert ready["checks"]["database"].startswith("error")
    # 3 × 2 turns, the resent one (written once), the new chat's row and first turn
    assert ready["checks"]["pending_log"].startswith("kept: 9 records")
    assert ready["degraded"] == ["database", "tree", "pending_log"]
    assert ready["checks"]["tree"].startswith("kept: version")

    gate.restore()
    until(lambda: parts.dialogue.pending.waiting() == 0, "the kept turns were written")
    logged = [(c, step, 1) for c in chats for step in (1, 2, 3, 4)] + [(new.json()["session_id"], 1, 1)]
    assert citizen_turns(postgres_url) == sorted(logged)
    assert app.get("/readyz").json()["checks"].get("pending_log") is None
    assert app.get("/readyz").json()["degraded"] == []


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


def test_viber_answers_live_in_an_outage_and_keeps_only_what_needs_the_database_in_the_citizens_order(
    through_gate: str, redis_url: str, gate: Gate, tmp_path: Path
) -> None:
    fake = FakeViberApi()
    try:
        with TestClient(create_app(viber_settings(through_gate, redis_url, tmp_path, fake.url))) as client:
            line = client.app.state.parts.channels.part(ViberLine)  # type: ignore[attr-defined]
            anna, boris = new_user("uk", "Анна"), new_user("ru", "Борис")
            for user in (anna, boris):
                assert post(client, conversation_started(user)).status_code == 200
            assert post(client, text_message(anna, "субсидія")).status_code == 200
            before = len(fake.wait_for(anna["id"], 1))

            gate.cut()
            assert post(client, text_message(anna, "як оформити субсидію")).status_code == 200
            live = fake.sent_to(anna["id"])[before:]
            assert live and not [m for m in live if "технічна перерва" in m["text"]], "the robot answers at once"
            before += len(live)
            subscribing = text_message(anna, "підписатися")  # the office's subscriptions are in SQL: kept
            behind = text_message(anna, "а пільги на комуналку?")  # kept behind it: answered in the order written
            for event in (subscribing, behind, subscribing):  # Viber repeats a callback
                assert post(client, event).status_code == 200, "a 200: Viber would repeat it for an hour"
            told = fake.sent_to(anna["id"])[before:]
            assert len(told) == 1 and "технічна перерва" in told[0]["text"], "told once, not per message"
            assert line.deferred.waiting() == 3
            assert post(client, text_message(boris, "субсидия")).status_code == 200
            assert "технический перерыв" not in fake.sent_to(boris["id"])[-1]["text"], "nobody else waits behind her"

            gate.restore()
            answers = fake.wait_for(anna["id"], before + 3, timeout=WAIT)[before + 1 :]
            assert len(answers) >= 2, "both kept messages answered once the database is back"
            until(lambda: line.deferred.waiting() == 0, "the kept callbacks were handled")
            with client.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
                said = session.scalars(
                    select(ConversationEvent.text)
                    .where(ConversationEvent.kind == "citizen_text")
                    .order_by(ConversationEvent.conversation_id, ConversationEvent.step)
                ).all()
            assert [t for t in said if t in {"як оформити субсидію", "а пільги на комуналку?"}] == [
                "як оформити субсидію",
                "а пільги на комуналку?",
            ], "in the order written, each once"
    finally:
        fake.close()


def conversations(postgres_url: str) -> dict[str, tuple[str, str | None, int | None]]:
    """id → (channel, external id, tree version) of every conversation SQL holds."""
    engine = make_engine(postgres_url)
    with make_sessionmaker(engine)() as session:
        found = session.execute(
            select(Conversation.id, Conversation.channel, Conversation.external_id, Conversation.tree_version)
        ).all()
    engine.dispose()
    return {str(c): (str(channel), external, version) for c, channel, external, version in found}


def on_shift(app: TestClient, name: str, phone: str | None = None) -> StaffClient:
    """A new operator, logged in on a client of their own and available."""
    parts = app.app.state.parts  # type: ignore[attr-defined]
    with transaction(parts.sessions) as session:
        user = users.create(session, username=name, password="s3cret-pass", role=users.Role.OPERATOR)
        user.phone = phone
        session.flush()
        user_id = user.id
    client = TestClient(app.app, base_url=PUBLIC_URL)
    assert staff_login(client, name, "s3cret-pass").status_code == 303
    page = client.get("/operator")
    token = re.search(r'data-csrf="([^"]+)"', page.text)
    assert page.status_code == 200 and token
    operator = StaffClient(client, user_id, token.group(1))
    assert operator.post("/api/operator/state", {"state": "available"}).status_code == 200
    return operator


def test_new_chats_and_calls_in_an_outage_reach_a_person_and_are_logged_once_in_order(
    app: TestClient, gate: Gate, postgres_url: str
) -> None:
    parts = app.app.state.parts  # type: ignore[attr-defined]
    names = ("olena", "petro", "iryna")
    operators = [on_shift(app, name) for name in names]  # logged in before the cut
    version = parts.dialogue.trees.current_version()

    gate.cut()
    chats = []
    for _ in range(2):
        started = app.post("/api/chat/sessions", json={"lang": "uk"})
        assert started.status_code == 201 and started.json()["replies"], "the robot greets: no apology"
        chats.append(started.json()["session_id"])
        asked = chat(app, chats[-1], text="з'єднайте з оператором", message_id="1")
        assert asked["replies"][-1]["handoff"]["state"] == "waiting", "queued, not an apology"
    call = Phone(app)
    greeting = Doc(call.post("/twilio/voice").text)
    menu = Doc(call.post(greeting.gather.get("action"), {"Digits": "1"}).text)  # Ukrainian: the main menu
    to_person = call.post(menu.gather.get("action"), {"Digits": "0"})
    assert to_person.status_code == 200 and "<Enqueue" in to_person.text, to_person.text
    assert phrases.say("apology", "uk") not in Doc(to_person.text).said, "the usual words, no apology"
    record = parts.channels.part(PhoneLine).calls.find(call.sid)
    assert record is not None
    asked_for_person = [*chats, record.conversation_id]

    states = [operator.get("/api/operator/state") for operator in operators]  # the console, from Redis alone
    assert [s.status_code for s in states] == [200] * 3
    offers = {s.json()["offer"]["conversation_id"]: i for i, s in enumerate(states)}
    assert sorted(offers) == sorted(asked_for_person), "every one offered to an operator at once"
    kinds = {
        s.json()["offer"]["conversation_id"]: (s.json()["offer"]["kind"], s.json()["offer"]["channel"]) for s in states
    }
    assert [kinds[c] for c in asked_for_person] == [("chat", "web"), ("chat", "web"), ("call", "phone")]
    taker, name = operators[offers[chats[0]]], names[offers[chats[0]]]
    with app.websocket_connect(f"/api/chat/sessions/{chats[0]}/live") as citizen:  # the chat page's live view
        assert citizen.receive_json()["state"] == "waiting"
        accepted = taker.post(f"/api/operator/offers/{chats[0]}/accept")
        assert accepted.status_code == 200 and accepted.json()["state"] == "connected", accepted.text
        update = citizen.receive_json()
        while update["state"] == "waiting":  # a refreshed estimate may come first on a slow machine
            update = citizen.receive_json()
        assert update == {"type": "status", "state": "connected", "operator": name}
    ready = app.get("/readyz").json()
    assert "pending_log" in ready["degraded"] and ready["checks"]["tree"] == (
        f"kept: version {version}, the newest loaded (the database cannot say which is current)"
    )

    gate.restore()
    until(lambda: parts.dialogue.pending.waiting() == 0, "the kept conversations, turns and events were written")
    held = conversations(postgres_url)
    assert [held[c][0] for c in asked_for_person] == ["web", "web", "phone"]
    assert held[record.conversation_id][1:] == (call.sid, version)
    turns = citizen_turns(postgres_url)
    steps = {c: [(step, n) for conversation, step, n in turns if conversation == c] for c in asked_for_person}
    assert steps == {
        chats[0]: [(1, 1), (2, 1)],
        chats[1]: [(1, 1), (2, 1)],
        record.conversation_id: [(1, 1), (2, 1), (3, 1)],
    }
    logged = queue_events(postgres_url)
    expected = {c: ["entered", "offered"] for c in asked_for_person} | {chats[0]: ["connected", "entered", "offered"]}
    assert {c: [e for found, e in logged if found == c] for c in asked_for_person} == expected
    with parts.sessions() as session:
        call_events = session.scalars(
            select(ConversationEvent.kind).where(
                ConversationEvent.conversation_id == record.conversation_id, ConversationEvent.step == CALL_STEP
            )
        ).all()
    assert call_events == [CallEvent.ENQUEUED.value], "the call's own event, kept meanwhile, written once"
    assert app.get("/readyz").json()["degraded"] == []


def test_telegram_keeps_a_subscription_in_an_outage_and_the_citizens_next_messages_behind_it(
    through_gate: str, redis_url: str, gate: Gate, tmp_path: Path
) -> None:
    fake = FakeTelegramApi(BOT_TOKEN)
    try:
        with app_client(telegram_settings(through_gate, redis_url, tmp_path, fake.url)) as client:
            parts = client.app.state.parts  # type: ignore[attr-defined]
            with transaction(parts.sessions) as session:
                operator = users.create(session, username="olena", password="s3cret-pass", role=users.Role.OPERATOR)
            parts.specialists.desk.set_state(operator.id, OperatorState.AVAILABLE)
            line = client.app.state.parts.channels.part(TelegramLine)  # type: ignore[attr-defined]
            anna = telegram_user("uk", "Анна")

            gate.cut()
            assert telegram_post(client, telegram_start(anna)).status_code == 200
            welcome = fake.wait_for(1, chat_id=anna["id"])
            assert "технічна перерва" not in welcome[0].text, "the robot greets at once"
            written = [text_update(anna, "підписатися"), text_update(anna, "з'єднайте з оператором")]
            for update in written:
                assert telegram_post(client, update).status_code == 200, "a 200: Telegram would repeat it"
            told = fake.texts(anna["id"])[len(welcome) :]
            assert told == [chat_texts.say("technical_break", "uk")], "told once, not per message"
            assert line.kept.waiting() == 2
            ready = client.get("/readyz").json()
            assert ready["checks"]["telegram_kept"] == "kept: 2 updates until the database is back"

            gate.restore()
            answered = fake.wait_for(len(welcome) + 3, chat_id=anna["id"], timeout=WAIT)[len(welcome) + 1 :]
            assert HANDED_OVER in answered[-1].text, answered[-1].text  # and the place in the queue, until offered
            until(lambda: line.kept.waiting() == 0 and not line.kept.keeping, "the kept updates were handled")
            conversation = line.flows.conversation_of(anna["id"])
            assert conversation is not None
            entry = parts.specialists.queue.store.entry(conversation)
            assert entry is not None and entry.state is EntryState.OFFERED and entry.operator == operator.id
            # The conversation began in the outage: its turns follow its row through the pending stream.
            until(lambda: parts.dialogue.pending.waiting() == 0, "the kept turns were written")
            with parts.sessions() as session:
                said = session.scalars(
                    select(ConversationEvent.kind)
                    .where(
                        ConversationEvent.conversation_id == conversation,
                        ConversationEvent.kind.startswith("citizen_"),
                    )
                    .order_by(ConversationEvent.step)
                ).all()
            assert said == ["citizen_start", "citizen_text"], "in the order written, each once"
            assert "telegram_kept" not in client.get("/readyz").json()["checks"]
    finally:
        fake.close()


def test_a_process_that_never_loaded_a_tree_refuses_a_new_conversation_politely_and_keeps_nothing(
    postgres_url: str, redis_url: str, gate: Gate
) -> None:
    gate.cut()
    engine = make_engine(postgres_url.replace(f":{urlsplit(postgres_url).port}/", f":{gate.port}/"))
    sessions = make_sessionmaker(engine)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    pending = PendingLog(client, prefix)
    dialogue = Dialogue(StateStore(client, 60, prefix), sessions, TreeCache(sessions), pending)
    try:
        with pytest.raises(UNREACHABLE):  # the app answers it with its polite 503 (or the phone's apology)
            dialogue.start(channel="web", lang="uk")
        assert pending.waiting() == 0
    finally:
        client.delete(pending.key)
        client.close()
        engine.dispose()


def test_staff_sessions_go_on_through_an_outage_but_one_ended_before_it_opens_nothing(
    app: TestClient, gate: Gate
) -> None:
    olena, petro = on_shift(app, "olena"), on_shift(app, "petro")
    copied = TestClient(app.app, base_url=PUBLIC_URL, cookies=dict(petro.client.cookies))
    assert copied.get("/api/me").status_code == 200
    assert staff_logout(petro.client).status_code == 303

    gate.cut()
    assert olena.get("/api/me").json()["username"] == "olena", "recalled from Redis while the database is away"
    assert copied.get("/api/me").status_code == 401, "logging out forgot it at once"
    assert app.get("/api/me").status_code == 401


def operator_events(postgres_url: str, operator_id: int) -> list[str]:
    engine = make_engine(postgres_url)
    with make_sessionmaker(engine)() as session:
        found = session.scalars(
            select(QueueEvent.event).where(QueueEvent.operator_id == operator_id).order_by(QueueEvent.id)
        ).all()
    engine.dispose()
    return [str(e) for e in found]


def test_in_an_outage_an_operator_takes_a_call_and_one_goes_available_and_sql_gets_their_events_once(
    app: TestClient, gate: Gate, postgres_url: str, twilio_api: FakeTwilioApi
) -> None:
    parts = app.app.state.parts  # type: ignore[attr-defined]
    olena, iryna = on_shift(app, "olena", "+380501111111"), on_shift(app, "iryna")
    assert iryna.post("/api/operator/state", {"state": "paused", "reason": "обід"}).status_code == 200
    call = Phone(app)
    menu = Doc(call.post(Doc(call.post("/twilio/voice").text).gather.get("action"), {"Digits": "1"}).text)

    gate.cut()
    assert "<Enqueue" in call.post(menu.gather.get("action"), {"Digits": "0"}).text
    record = parts.channels.part(PhoneLine).calls.find(call.sid)
    assert record is not None
    assert olena.get("/api/operator/state").json()["offer"]["conversation_id"] == record.conversation_id
    taken = olena.post(f"/api/operator/offers/{record.conversation_id}/accept")
    assert taken.status_code == 200 and taken.json()["kind"] == "call", taken.text
    assert ["+380501111111" in twiml for twiml in twilio_api.twiml_for(call.sid)] == [True], "to her phone"
    available = iryna.post("/api/operator/state", {"state": "available"})
    assert available.status_code == 200 and available.json()["state"] == "available", available.text

    gate.restore()
    until(lambda: parts.dialogue.pending.waiting() == 0, "the kept events were written")
    logged = queue_events(postgres_url)
    assert [e for c, e in logged if c == record.conversation_id] == ["connected", "entered", "offered"]
    assert operator_events(postgres_url, iryna.id) == ["paused", "unpaused"]


def test_new_viber_and_telegram_citizens_are_answered_and_reach_a_person_during_an_outage(
    postgres_url: str, through_gate: str, redis_url: str, gate: Gate, tmp_path: Path
) -> None:
    viber, telegram = FakeViberApi(), FakeTelegramApi(BOT_TOKEN)
    both = {"viber_auth_token": VIBER_TOKEN, "viber_api_url": viber.url, "viber_timeout_seconds": 0.5}
    try:
        with app_client(telegram_settings(through_gate, redis_url, tmp_path, telegram.url, **both)) as client:
            parts = client.app.state.parts  # type: ignore[attr-defined]
            for name in ("olena", "petro"):  # on shift before the database went away
                with transaction(parts.sessions) as session:
                    operator = users.create(session, username=name, password="s3cret-pass", role=users.Role.OPERATOR)
                parts.specialists.desk.set_state(operator.id, OperatorState.AVAILABLE)
            version = parts.dialogue.trees.current_version()
            viber_line, telegram_line = parts.channels.part(ViberLine), parts.channels.part(TelegramLine)

            gate.cut()
            oksana = new_user("uk", "Оксана")
            welcome = post(client, conversation_started(oksana))
            assert welcome.status_code == 200 and "технічна перерва" not in welcome.json()["text"], welcome.text
            assert welcome.json()["keyboard"]["Buttons"], "the robot's menu, from the tree this process has loaded"
            asked = text_message(oksana, "з'єднайте з оператором")
            assert post(client, asked).status_code == 200
            answered = viber.sent_to(oksana["id"])
            assert answered and HANDED_OVER in answered[-1]["text"], answered
            assert post(client, asked).status_code == 200, "Viber repeats a callback"
            assert len(viber.sent_to(oksana["id"])) == len(answered), "answered once"

            taras = telegram_user("uk", "Тарас")
            for update in (telegram_start(taras), text_update(taras, "з'єднайте з оператором")):
                assert telegram_post(client, update).status_code == 200
                assert telegram_post(client, update).status_code == 200, "Telegram repeats an update"
            said = [call.text for call in telegram.calls("sendMessage", chat_id=taras["id"])]
            assert not [t for t in said if "технічна перерва" in t], said
            assert HANDED_OVER in said[-1], said
            assert len(said) == len(set(said)), "each answered once"

            asked_for_person = [
                viber_line.flows.conversation_of(oksana["id"]),
                telegram_line.flows.conversation_of(taras["id"]),
            ]
            offered = [parts.specialists.queue.store.entry(c) for c in asked_for_person if c]
            assert [e.state for e in offered if e] == [EntryState.OFFERED] * 2, "each offered at once"
            assert viber_line.deferred.waiting() == 0 and telegram_line.kept.waiting() == 0, "nothing kept to replay"

            gate.restore()
            until(
                lambda: parts.dialogue.pending.waiting() == 0, "the kept conversations, turns and events were written"
            )
            viber_chat, telegram_chat = asked_for_person
            assert viber_chat and telegram_chat
            held = conversations(postgres_url)
            assert held[viber_chat] == ("viber", oksana["id"], version)
            assert held[telegram_chat] == ("telegram", str(taras["id"]), version)
            turns = citizen_turns(postgres_url)
            for conversation in asked_for_person:
                assert [(step, n) for c, step, n in turns if c == conversation] == [(1, 1), (2, 1)], turns
            logged = queue_events(postgres_url)
            for conversation in asked_for_person:
                assert [e for c, e in logged if c == conversation] == ["entered", "offered"], logged
            assert viber_line.deferred.waiting() == 0 and telegram_line.kept.waiting() == 0
            assert len(viber.sent_to(oksana["id"])) == len(answered), "nothing handled again once it is back"
    finally:
        viber.close()
        telegram.close()


@contextlib.contextmanager
def flusher_standing_by(app: TestClient) -> Iterator[None]:
    """Hold the `pending-log` lease as another node would, so this app's flusher stands by until the end (what the
    second after the database returns looks like, before the kept records are written)."""
    parts = app.app.state.parts  # type: ignore[attr-defined]
    prefix = parts.settings.redis_prefix
    lease = Lease(parts.redis.client, "pending-log", prefix=prefix, ttl=WAIT, owner="another node")
    while (token := lease.acquire()) is None:
        if holder := lease.holder():  # the app's own flusher: it gives the lease up as it would on stopping
            Lease(parts.redis.client, "pending-log", prefix=prefix, ttl=WAIT, owner=holder[1]).release(holder[0])
    try:
        yield
    finally:
        lease.release(token)


def call_events(postgres_url: str, conversation_id: str) -> list[tuple[str, dict[str, object]]]:
    """(kind, data) of the call's own events, in the order they happened."""
    engine = make_engine(postgres_url)
    with make_sessionmaker(engine)() as session:
        found = session.execute(
            select(ConversationEvent.kind, ConversationEvent.data)
            .where(ConversationEvent.conversation_id == conversation_id, ConversationEvent.step == CALL_STEP)
            .order_by(ConversationEvent.at, ConversationEvent.seq)
        ).all()
    engine.dispose()
    return [(str(kind), dict(data)) for kind, data in found]


def ended(postgres_url: str, conversation_id: str) -> bool:
    engine = make_engine(postgres_url)
    with make_sessionmaker(engine)() as session:
        found = session.scalar(select(Conversation.ended).where(Conversation.id == conversation_id))
    engine.dispose()
    return bool(found)


def waiting_call(app: TestClient, call: Phone) -> str:
    """The conversation of `call`, whose caller pressed 0 and waits for a person."""
    menu = Doc(call.post(Doc(call.post("/twilio/voice").text).gather.get("action"), {"Digits": "1"}).text)
    to_person = call.post(menu.gather.get("action"), {"Digits": "0"})
    assert to_person.status_code == 200 and "<Enqueue" in to_person.text, to_person.text
    record = app.app.state.parts.channels.part(PhoneLine).calls.find(call.sid)  # type: ignore[attr-defined]
    assert record is not None
    return record.conversation_id


def test_a_caller_who_hangs_up_during_an_outage_leaves_the_live_queue_at_once_and_the_end_is_logged_once(
    app: TestClient, gate: Gate, postgres_url: str
) -> None:
    parts = app.app.state.parts  # type: ignore[attr-defined]
    queue = parts.specialists.queue
    olena = on_shift(app, "olena")
    caller = Phone(app)
    conversation = waiting_call(app, caller)
    assert olena.get("/api/operator/state").json()["offer"]["conversation_id"] == conversation
    messenger = Phone(app, number="+380671234567")  # another caller, who left a voice message
    other = waiting_call(app, messenger)

    gate.cut()
    hung_up = caller.post("/twilio/status", {"CallStatus": "completed", "CallDuration": "42"})
    assert hung_up.status_code == 200 and hung_up.text == EMPTY, hung_up.text
    entry = queue.store.entry(conversation)
    assert entry is not None and entry.state is EntryState.CLOSED, "out of the live queue at once"
    offer = olena.get("/api/operator/state").json()["offer"]  # withdrawn; the next caller's, once the queue moves on
    assert offer is None or offer["conversation_id"] == other, "nobody is offered a caller who is gone"
    recording = {
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1",
        "RecordingSid": "RE" + "1" * 32,
        "RecordingStatus": "completed",
        "RecordingDuration": "7",
    }
    kept = messenger.post("/twilio/recording?queue=general&lang=uk", recording)
    assert kept.status_code == 200 and kept.text == EMPTY, kept.text
    left = messenger.post("/twilio/status", {"CallStatus": "completed", "CallDuration": "63"})
    assert left.status_code == 200, left.text

    gate.restore()
    until(lambda: parts.dialogue.pending.waiting() == 0, "the kept call events were written")
    again = caller.post("/twilio/status", {"CallStatus": "completed", "CallDuration": "42"})  # Twilio retried it
    assert again.status_code == 200
    logged = call_events(postgres_url, conversation)
    assert [kind for kind, _ in logged] == [CallEvent.ENQUEUED.value, CallEvent.ENDED.value], "in order, once"
    end = logged[-1][1]
    assert (end["status"], end["duration"], end["abandoned"]) == ("completed", 42, True)
    assert ended(postgres_url, conversation)
    assert [e for c, e in queue_events(postgres_url) if c == conversation] == ["abandoned", "entered", "offered"]
    kinds = [kind for kind, _ in call_events(postgres_url, other)]
    assert kinds == [
        CallEvent.ENQUEUED.value,
        CallEvent.VOICEMAIL.value,
        CallEvent.CALLBACK_REQUESTED.value,
        CallEvent.ENDED.value,
    ], "the voice message is kept and reaches the specialists"
    callback = queue.store.entry(other)
    assert callback is not None and callback.phone == messenger.number
    assert ended(postgres_url, other)


def test_in_the_second_before_the_kept_records_are_written_every_write_about_their_conversations_waits_behind_them(
    app: TestClient, gate: Gate, postgres_url: str
) -> None:
    parts = app.app.state.parts  # type: ignore[attr-defined]
    queue = parts.specialists.queue
    on_shift(app, "olena"), on_shift(app, "petro")

    gate.cut()
    session = app.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]  # rows kept in Redis
    call = Phone(app)
    menu = Doc(call.post(Doc(call.post("/twilio/voice").text).gather.get("action"), {"Digits": "1"}).text)
    with flusher_standing_by(app):
        gate.restore()
        asked = chat(app, session, text="з'єднайте з оператором", message_id="1")
        assert asked["replies"][-1]["handoff"]["state"] == "waiting", "queued, not an error"
        to_person = call.post(menu.gather.get("action"), {"Digits": "0"})
        assert to_person.status_code == 200 and "<Enqueue" in to_person.text, to_person.text
        assert phrases.say("apology", "uk") not in Doc(to_person.text).said, "the usual words, no apology"
        record = parts.channels.part(PhoneLine).calls.find(call.sid)
        assert record is not None
        offered = [queue.store.entry(c) for c in (session, record.conversation_id)]
        assert [e.state if e else None for e in offered] == [EntryState.OFFERED] * 2
        hung_up = call.post("/twilio/status", {"CallStatus": "completed", "CallDuration": "9"})
        assert hung_up.status_code == 200 and hung_up.text == EMPTY, hung_up.text
        assert parts.dialogue.pending.waiting() > 0, "the flusher stood by: all of it waits"

    until(lambda: parts.dialogue.pending.waiting() == 0, "the kept records were written")
    logged = queue_events(postgres_url)
    assert [e for c, e in logged if c == session] == ["entered", "offered"]
    assert [e for c, e in logged if c == record.conversation_id] == ["abandoned", "entered", "offered"]
    assert [kind for kind, _ in call_events(postgres_url, record.conversation_id)] == [
        CallEvent.ENQUEUED.value,
        CallEvent.ENDED.value,
    ]
    assert call_events(postgres_url, record.conversation_id)[-1][1]["duration"] == 9
    assert ended(postgres_url, record.conversation_id)
    turns = citizen_turns(postgres_url)
    assert [(step, n) for c, step, n in turns if c == session] == [(1, 1), (2, 1)]
    assert [(step, n) for c, step, n in turns if c == record.conversation_id] == [(1, 1), (2, 1), (3, 1)]


def test_a_caller_who_asks_for_a_callback_while_waiting_in_an_outage_hears_it_confirmed_and_keeps_the_place(
    app: TestClient, gate: Gate, postgres_url: str
) -> None:
    parts = app.app.state.parts  # type: ignore[attr-defined]
    caller = Phone(app)
    conversation = waiting_call(app, caller)

    gate.cut()
    keys = caller.post("/twilio/wait/keys?queue=general&lang=uk&position=1", {"Digits": "1"})
    assert keys.status_code == 200 and "<Leave" in keys.text, keys.text
    left = caller.post("/twilio/queue?queue=general&lang=uk", {"QueueResult": "leave", "QueueTime": "20"})
    assert left.status_code == 200 and Doc(left.text).said == [phrases.say("callback_confirmed", "uk")], left.text
    entry = parts.specialists.queue.store.entry(conversation)
    assert entry is not None and entry.phone == caller.number, "the callback is in the live queue"

    gate.restore()
    until(lambda: parts.dialogue.pending.waiting() == 0, "the kept call events were written")
    kinds = [kind for kind, _ in call_events(postgres_url, conversation)]
    assert kinds == [CallEvent.ENQUEUED.value, CallEvent.CALLBACK_REQUESTED.value, CallEvent.QUEUE_LEFT.value]


def chat_messages(postgres_url: str, conversation_id: str) -> list[tuple[str, str]]:
    """(sender, text) of the conversation's chat messages and notes as SQL holds them, in order."""
    engine = make_engine(postgres_url)
    with make_sessionmaker(engine)() as session:
        found = session.execute(
            select(ChatMessage.sender, ChatMessage.text)
            .where(ChatMessage.conversation_id == conversation_id)
            .order_by(ChatMessage.id)
        ).all()
    engine.dispose()
    return [(str(sender), str(text)) for sender, text in found]


def test_operators_in_an_outage_write_note_and_hand_over_a_chat_and_sql_gets_it_all_once_in_order(
    app: TestClient, gate: Gate, postgres_url: str
) -> None:
    parts = app.app.state.parts  # type: ignore[attr-defined]
    writer, iryna = on_shift(app, "olena"), on_shift(app, "iryna")
    assert iryna.post("/api/operator/state", {"state": "paused", "reason": "обід"}).status_code == 200
    started = app.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]

    gate.cut()
    assert chat(app, started, text="з'єднайте з оператором", message_id="1")["replies"][-1]["handoff"]
    assert writer.get("/api/operator/state").json()["offer"]["conversation_id"] == started
    said: list[str] = []
    with app.websocket_connect(f"/api/chat/sessions/{started}/live") as citizen:

        def hear(text: str) -> None:
            while True:
                update = citizen.receive_json()
                if update["type"] == "message":
                    said.append(update["text"])
                    if update["text"] == text:
                        return

        assert writer.post(f"/api/operator/offers/{started}/accept").status_code == 200
        written = writer.post(f"/api/operator/conversations/{started}/messages", {"text": "Добрий день!"})
        assert written.status_code == 201, written.text
        hear("Добрий день!")
        again = writer.post(  # the console resent it (a lost answer): kept once
            f"/api/operator/conversations/{started}/messages", {"text": "Чим допомогти?", "message_id": "m2"}
        )
        assert again.status_code == 201, again.text
        resent = writer.post(
            f"/api/operator/conversations/{started}/messages", {"text": "Чим допомогти?", "message_id": "m2"}
        )
        assert resent.json()["id"] == again.json()["id"]
        hear("Чим допомогти?")
        asked = chat(app, started, text="Мені потрібна субсидія", message_id="2")
        assert asked["relayed"] and asked["message_id"], asked
        noted = writer.post(f"/api/operator/conversations/{started}/notes", {"text": "Просить субсидію"})
        assert noted.status_code == 201, noted.text
        assert iryna.post("/api/operator/state", {"state": "available"}).status_code == 200
        to_iryna = {"colleague": iryna.id, "note": "Субсидія"}
        handed = writer.post(f"/api/operator/conversations/{started}/transfer", to_iryna)
        assert handed.status_code == 200, handed.text
        hear(TOLD["colleague"]["uk"])
        assert iryna.post(f"/api/operator/offers/{started}/accept").status_code == 200

        gate.restore()
        until(lambda: parts.dialogue.pending.waiting() == 0, "the kept messages and events were written")
        after = iryna.post(f"/api/operator/conversations/{started}/messages", {"text": "Я з вами."})
        assert after.status_code == 201, after.text
        hear("Я з вами.")
    assert said == ["Добрий день!", "Чим допомогти?", TOLD["colleague"]["uk"], "Я з вами."], "each once, in order"
    assert chat_messages(postgres_url, started) == [
        ("operator", "Добрий день!"),
        ("operator", "Чим допомогти?"),
        ("citizen", "Мені потрібна субсидія"),
        ("note", "Просить субсидію"),
        ("operator", TOLD["colleague"]["uk"]),
        ("operator", "Я з вами."),
    ]
    logged = queue_events(postgres_url)
    assert [e for c, e in logged if c == started] == sorted(
        ["entered", "offered", "connected", "transferred", "offered", "connected"]
    )
    assert operator_events(postgres_url, iryna.id) == ["paused", "unpaused", "offered", "connected"]


def specialist_writes_through_an_outage(
    client: TestClient, gate: Gate, postgres_url: str, operator: StaffClient, conversation: str, received: Received
) -> None:
    """The operator accepts a messenger's conversation offered to them and writes to its citizen while the database
    is away and once it is back; `received(n)` gives the texts the messenger's fake server got for the citizen,
    once there are `n` (the first says the specialist joined)."""
    parts = client.app.state.parts  # type: ignore[attr-defined]
    assert operator.get("/api/operator/state").json()["offer"]["conversation_id"] == conversation
    gate.cut()
    assert operator.post(f"/api/operator/offers/{conversation}/accept").status_code == 200
    for text in ("Добрий день!", "Чим допомогти?"):
        written = operator.post(f"/api/operator/conversations/{conversation}/messages", {"text": text})
        assert written.status_code == 201, written.text
    assert received(3)[1:] == ["Добрий день!", "Чим допомогти?"], "delivered while the database is away"

    gate.restore()
    until(lambda: parts.dialogue.pending.waiting() == 0, "the kept messages were written")
    written = operator.post(f"/api/operator/conversations/{conversation}/messages", {"text": "Я тут."})
    assert written.status_code == 201, written.text
    assert received(4)[1:] == ["Добрий день!", "Чим допомогти?", "Я тут."], "each once, in order"
    assert chat_messages(postgres_url, conversation) == [
        ("operator", "Добрий день!"),
        ("operator", "Чим допомогти?"),
        ("operator", "Я тут."),
    ]

    gate.cut()
    assert operator.post(f"/api/operator/conversations/{conversation}/close").status_code == 200
    gate.restore()
    until(lambda: parts.dialogue.pending.waiting() == 0, "the close was written")
    closing = chat_texts.say("closed", "uk")
    assert received(5)[4] == closing, "the closing words, held back by the outage, are said once it is over"
    assert [text for text in received(5)[1:] if text == closing] == [closing], "and said once"


def test_a_specialists_messages_reach_a_telegram_citizen_through_an_outage_once_each(
    through_gate: str, postgres_url: str, redis_url: str, gate: Gate, tmp_path: Path
) -> None:
    fake = FakeTelegramApi(BOT_TOKEN)
    try:
        settings = telegram_settings(through_gate, redis_url, tmp_path, fake.url, public_url=PUBLIC_URL)
        with app_client(settings) as client:
            olena = on_shift(client, "olena")
            anna = telegram_user("uk", "Анна")
            for update in (telegram_start(anna), text_update(anna, "з'єднайте з оператором")):
                assert telegram_post(client, update).status_code == 200
            before = len(fake.wait_for(2, chat_id=anna["id"]))
            conversation = client.app.state.parts.channels.part(TelegramLine).flows.conversation_of(anna["id"])  # type: ignore[attr-defined]

            def received(count: int) -> list[str]:
                return [c.text for c in fake.wait_for(before + count, chat_id=anna["id"])[before:]]

            specialist_writes_through_an_outage(client, gate, postgres_url, olena, conversation, received)
    finally:
        fake.close()


def test_a_specialists_messages_reach_a_viber_citizen_through_an_outage_once_each(
    through_gate: str, postgres_url: str, redis_url: str, gate: Gate, tmp_path: Path
) -> None:
    fake = FakeViberApi()
    try:
        settings = viber_settings(through_gate, redis_url, tmp_path, fake.url, public_url=PUBLIC_URL)
        with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
            olena = on_shift(client, "olena")
            anna = new_user("uk", "Анна")
            for event in (conversation_started(anna), text_message(anna, "з'єднайте з оператором")):
                assert post(client, event).status_code == 200
            before = len(fake.wait_for(anna["id"], 1))
            conversation = client.app.state.parts.channels.part(ViberLine).flows.conversation_of(anna["id"])  # type: ignore[attr-defined]

            def received(count: int) -> list[str]:
                found = fake.wait_for(anna["id"], before + count, timeout=WAIT)[before:]
                return [str(m["text"]) for m in found]

            specialist_writes_through_an_outage(client, gate, postgres_url, olena, conversation, received)
    finally:
        fake.close()


def test_a_viber_citizen_waiting_who_unsubscribes_in_an_outage_leaves_the_live_queue_at_once(
    through_gate: str, postgres_url: str, redis_url: str, gate: Gate, tmp_path: Path
) -> None:
    fake = FakeViberApi()
    try:
        settings = viber_settings(through_gate, redis_url, tmp_path, fake.url, public_url=PUBLIC_URL)
        with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
            parts = client.app.state.parts  # type: ignore[attr-defined]
            olena = on_shift(client, "olena")
            anna = new_user("uk", "Анна")
            for event in (conversation_started(anna), text_message(anna, "з'єднайте з оператором")):
                assert post(client, event).status_code == 200
            conversation = parts.channels.part(ViberLine).flows.conversation_of(anna["id"])
            assert olena.get("/api/operator/state").json()["offer"]["conversation_id"] == conversation

            gate.cut()
            left = {"event": "unsubscribed", "timestamp": 1, "user_id": anna["id"], "message_token": 7_000_001}
            assert post(client, left).status_code == 200
            entry = parts.specialists.queue.store.entry(conversation)
            assert entry is not None and entry.state is EntryState.CLOSED, "out of the live queue at once"
            assert olena.get("/api/operator/state").json()["offer"] is None, "the offer is withdrawn"

            gate.restore()
            until(lambda: parts.channels.part(ViberLine).deferred.waiting() == 0, "the kept unsubscription was handled")
            until(lambda: parts.dialogue.pending.waiting() == 0, "the kept queue events were written")
            logged = [e for c, e in queue_events(postgres_url) if c == conversation]
            assert logged == ["abandoned", "entered", "offered"], "each once (`queue_events` sorts them)"
    finally:
        fake.close()
