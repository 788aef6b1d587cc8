"""`hotline call` end to end: a real `hotline serve` process, the simulator talking to it as Twilio would."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.conversation_log import Conversation, ConversationEvent
from hotline.db import make_engine, make_sessionmaker
from hotline.queue_log import QueueEvent
from tests.conftest import LiveServer
from tests.ivr.phone import ALWAYS_OPEN, TOKEN


@pytest.fixture(scope="module")
def phone_env() -> Iterator[None]:
    """The server and the simulator share the Twilio token; the office is open whenever the test runs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOTLINE_TWILIO_AUTH_TOKEN", TOKEN)
        patch.setenv("HOTLINE_OFFICE_HOURS", ALWAYS_OPEN)
        yield


@pytest.fixture(scope="module")
def live_server(phone_env: None, live_server: LiveServer) -> LiveServer:
    """The shared live server, started with the phone line configured."""
    return live_server


def events(server: LiveServer) -> dict[str, list[str]]:
    """Each phone call's event kinds, in the server's own database."""
    engine = make_engine(server.env["HOTLINE_DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.execute(
                select(Conversation.external_id, ConversationEvent.kind)
                .join(ConversationEvent, ConversationEvent.conversation_id == Conversation.id)
                .where(Conversation.channel == "phone")
                .order_by(ConversationEvent.step, ConversationEvent.seq)
            )
            calls: dict[str, list[str]] = {}
            for call_sid, kind in rows:
                calls.setdefault(call_sid, []).append(kind)
            return calls
    finally:
        engine.dispose()


def queue_events(server: LiveServer, call_sid: str) -> list[str]:
    """The specialist queue's log of a call, in the server's own database."""
    engine = make_engine(server.env["HOTLINE_DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.scalars(
                select(QueueEvent.event)
                .join(Conversation, Conversation.id == QueueEvent.conversation_id)
                .where(Conversation.external_id == call_sid)
                .order_by(QueueEvent.id)
            )
            return list(rows)
    finally:
        engine.dispose()


def test_a_call_through_the_menu_the_queue_and_a_callback(live_server: LiveServer) -> None:
    script = "1\nsay: як мені оформити житлову субсидію\n\n1\n0\n\n1\n"
    done = live_server.hotline("call", "--url", live_server.url, "--from", "+380671112233", input=script)
    assert done.returncode == 0, done.stdout + done.stderr
    heard = done.stdout
    assert "robot (uk-UA): Оберіть мову: українська — 1." in heard
    assert "robot (ru-RU): Выберите язык: русский — 2." in heard
    assert "caller says: як мені оформити житлову субсидію" in heard
    assert "Субсидію на житлово-комунальні послуги призначає Пенсійний фонд." in heard
    assert "robot (uk-UA): Вибачте, я вас не почув." in heard
    assert "-- in the queue subsidies-uk" in heard
    # Alone in our queue, the caller is next: no place is announced (Twilio's figures the simulator sends
    # give way to our queue's), only the callback offer.
    assert "Ваш номер у черзі" not in heard
    assert "robot (uk-UA): Щоб не чекати на лінії, а отримати зворотний дзвінок, натисніть 1." in heard
    assert "Дякуємо! Фахівець передзвонить вам на цей номер у порядку черги. До побачення." in heard
    assert heard.rstrip().splitlines()[-1].startswith("-- call ended after")
    call_events = next(kinds for kinds in events(live_server).values() if "callback_requested" in kinds)
    assert call_events[-4:] == ["call_enqueued", "queue_left", "callback_requested", "call_ended"]


def test_nobody_answers_a_simulated_call_so_its_caller_hangs_up_and_abandoned_the_queue(
    live_server: LiveServer,
) -> None:
    number = "+380671110099"
    waited = live_server.hotline(
        "call", "--url", live_server.url, "--from", number, "--queue-rounds", "2", input="2\n0\n\n\n"
    )
    assert waited.returncode == 0, waited.stdout + waited.stderr
    heard = waited.stdout
    assert "-- in the queue general-ru (no specialist answers in the simulator)" in heard
    assert "-- nobody answered in 2 wait rounds: the caller gives up\n-- the caller hangs up" in heard
    assert "specialist answers (" not in heard and "Спасибо за звонок" not in heard
    # What the queue recorded is what happened: the caller waited, then hung up.
    [(kinds, queued)] = [
        (kinds, queue_events(live_server, sid)) for sid, kinds in events(live_server).items() if sid in waited.stdout
    ]
    assert kinds[-3:] == ["call_enqueued", "queue_left", "call_ended"]
    assert queued == ["entered", "abandoned"]

    gone = live_server.hotline("call", "--url", live_server.url, input="1\n")
    assert gone.returncode == 0
    assert "-- the caller hangs up" in gone.stdout


def test_the_simulator_needs_the_token_and_a_server_that_accepts_it(live_server: LiveServer) -> None:
    env = {**live_server.env, "HOTLINE_TWILIO_AUTH_TOKEN": ""}
    command = [str(Path(sys.executable).parent / "hotline"), "call", "--url", live_server.url]
    missing = subprocess.run(command, env=env, input="", capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "HOTLINE_TWILIO_AUTH_TOKEN" in missing.stderr
    env["HOTLINE_TWILIO_AUTH_TOKEN"] = "not-the-servers-token"
    refused = subprocess.run(command, env=env, input="", capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert "answered 403" in refused.stdout
