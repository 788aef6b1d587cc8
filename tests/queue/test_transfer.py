"""Transfer on a real Redis and a real database (SQLite and PostgreSQL): to a colleague (offered to them, their
capacity, skill and language respected, two specialists racing for one colleague's last slot), to another
queue, the citizen told in the conversation's language, the queue log and a rebuild; the API's refusals."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline import conversation_log
from hotline.db import transaction
from hotline.queue_log import QueueEvent
from hotline.users import User
from specialist_queue import chat, context, rebuild
from specialist_queue.desk import Desk
from specialist_queue.model import Capacity, Conflict, EntryState, Kind, OperatorState
from specialist_queue.service import SpecialistQueue
from specialist_queue.transfer import TOLD, CannotTransferCall, Transfer
from tests.queue.conftest import conversation, operator, staff

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC).timestamp()


def speaks(sessions: sessionmaker[Session], user_id: int, *languages: str) -> None:
    with transaction(sessions) as session:
        user = session.get(User, user_id)
        assert user is not None
        user.languages = list(languages)


def held_by(desk: Desk, queue: SpecialistQueue, operator_id: int, conversation_id: str, at: float) -> None:
    """The operator becomes available and accepts `conversation_id`, which must be the one offered."""
    desk.set_state(operator_id, OperatorState.AVAILABLE, now=at)
    assert queue.store.operator(operator_id).offer == conversation_id
    anyio.run(lambda: desk.accept(operator_id, conversation_id, now=at + 1))


def test_to_a_colleague_it_rings_for_them_and_the_first_specialist_wraps_up(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session]
) -> None:
    chat_id = conversation(sessions)
    olena, petro = operator(sessions, "olena", skills=["subsidies"]), operator(sessions, "petro", skills=["subsidies"])
    queue.enqueue(chat_id, skill="subsidies", lang="uk", now=T0)
    held_by(desk, queue, olena, chat_id, T0 + 1)
    desk.note(olena, chat_id, "Має довідку з 2024 року")
    desk.set_state(petro, OperatorState.AVAILABLE, now=T0 + 5)

    entry = desk.transfer(olena, chat_id, Transfer(note="Потрібен перерахунок", colleague=petro), now=T0 + 10)

    assert entry.state is EntryState.OFFERED and entry.operator == petro
    assert queue.store.operator(petro).offer == chat_id
    me = queue.store.operator(olena)
    assert me.state is OperatorState.WRAP_UP and me.conversations == () and me.wrap_ups == (chat_id,)
    with sessions() as session:
        said = [(m.sender, m.text) for m in chat.since(session, conversation_id=chat_id)]
        logged = session.scalars(select(QueueEvent).where(QueueEvent.conversation_id == chat_id)).all()
        view = context.build(session, chat_id, None, "uk")
    assert said[-1] == ("operator", TOLD["colleague"]["uk"])  # the citizen is told, in their language
    transferred = [e for e in logged if e.event == "transferred"]
    assert [(e.operator_id, e.data["to_operator"], e.data["note"]) for e in transferred] == [
        (olena, petro, "Потрібен перерахунок")
    ]
    assert [e.operator_id for e in logged if e.event == "offered"][-1] == petro
    # Whoever takes it sees the transfer with its note beside the notes and the transcript.
    assert view is not None
    assert [(t["by"], t["to"], t["note"]) for t in view["transfers"]] == [("olena", "petro", "Потрібен перерахунок")]
    assert ("note", "Має довідку з 2024 року") in [(m["sender"], m["text"]) for m in view["messages"]]

    anyio.run(lambda: desk.accept(petro, chat_id, now=T0 + 12))
    assert queue.store.held_by(chat_id) == petro
    with pytest.raises(Conflict):  # the first specialist has nothing to do with it any more
        desk.send(olena, chat_id, "ще одне")
    desk.wrap_up(olena, chat_id, disposition="other", note="", now=T0 + 13)
    assert queue.store.operator(olena).state is OperatorState.AVAILABLE


def test_a_colleague_who_does_not_speak_the_language_or_has_no_room_is_refused_and_nothing_changes(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session]
) -> None:
    chat_id, other = conversation(sessions), conversation(sessions)
    olena = operator(sessions, "olena", skills=["subsidies"])
    ivan = operator(sessions, "ivan", skills=["subsidies"])
    speaks(sessions, ivan, "ru")
    maria = operator(sessions, "maria", skills=["disability"])
    full = operator(sessions, "full", skills=["subsidies"], chats=1)
    queue.enqueue(other, skill="subsidies", lang="uk", now=T0)
    held_by(desk, queue, full, other, T0)
    queue.enqueue(chat_id, skill="subsidies", lang="uk", now=T0 + 2)
    held_by(desk, queue, olena, chat_id, T0 + 3)
    for colleague in (ivan, maria):
        desk.set_state(colleague, OperatorState.AVAILABLE, now=T0 + 5)

    for colleague, why in ((ivan, "language"), (maria, "skill"), (full, "busy")):
        with pytest.raises(Conflict, match=why):
            desk.transfer(olena, chat_id, Transfer(colleague=colleague), now=T0 + 6)
    with pytest.raises(Conflict, match="yourself"):
        desk.transfer(olena, chat_id, Transfer(colleague=olena), now=T0 + 6)
    assert queue.store.held_by(chat_id) == olena and queue.store.operator(olena).state is OperatorState.BUSY
    options = {c["name"]: (c["serves"], c["free"]) for c in desk.colleagues(olena, chat_id)}
    assert options == {"ivan": (False, True), "maria": (False, True), "full": (True, False)}


def test_to_another_queue_it_waits_there_and_goes_to_one_who_takes_that_queue(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session]
) -> None:
    chat_id = conversation(sessions)
    olena, maria = operator(sessions, "olena", skills=["subsidies"]), operator(sessions, "maria", skills=["disability"])
    queue.enqueue(chat_id, skill="subsidies", lang="uk", now=T0)
    held_by(desk, queue, olena, chat_id, T0 + 1)

    entry = desk.transfer(olena, chat_id, Transfer(note="Питання про інвалідність", skill="disability"), now=T0 + 10)
    assert entry.state is EntryState.WAITING and entry.queue == "disability:uk"
    assert queue.store.waiting("disability:uk") == [chat_id]
    desk.set_state(maria, OperatorState.AVAILABLE, now=T0 + 11)  # offered at once: her queue
    assert queue.store.operator(maria).offer == chat_id
    with sessions() as session:
        told = chat.since(session, conversation_id=chat_id)[-1].text
    assert told == TOLD["queue"]["uk"]


def test_two_specialists_hand_over_to_one_colleague_s_last_slot_at_once_and_one_gets_it(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session]
) -> None:
    first, second = conversation(sessions), conversation(sessions)
    olena, petro = operator(sessions, "olena", chats=1), operator(sessions, "petro", chats=1)
    queue.enqueue(first, skill="subsidies", lang="uk", now=T0)
    held_by(desk, queue, olena, first, T0 + 1)
    queue.enqueue(second, skill="subsidies", lang="uk", now=T0 + 2)
    held_by(desk, queue, petro, second, T0 + 3)
    ivan = operator(sessions, "ivan", chats=1)
    desk.set_state(ivan, OperatorState.AVAILABLE, now=T0 + 4)

    start = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def hand_over(me: int, conversation_id: str) -> None:
        start.wait()
        try:
            desk.transfer(me, conversation_id, Transfer(colleague=ivan), now=T0 + 5)
            outcomes[me] = "given"
        except Conflict:
            outcomes[me] = "refused"

    threads = [threading.Thread(target=hand_over, args=pair) for pair in ((olena, first), (petro, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == ["given", "refused"]
    winner = next(op for op, outcome in outcomes.items() if outcome == "given")
    given = first if winner == olena else second
    kept = second if given == first else first
    assert queue.store.operator(ivan).offer == given
    assert queue.store.held_by(kept) == (petro if winner == olena else olena)  # the refused one still holds it


def test_a_call_cannot_move_to_another_phone_without_the_channel_s_settings(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session]
) -> None:
    call = conversation(sessions, channel="phone")
    olena, petro = operator(sessions, "olena"), operator(sessions, "petro")
    queue.store.enqueue(call, queue="subsidies:uk", channel="phone", kind=Kind.CALL, priority="normal", now=T0)
    queue.store.set_state(olena, OperatorState.AVAILABLE, now=T0, capacity=Capacity())
    offer = queue.store.offer(olena, deadline=T0 + 20)
    assert offer is not None
    queue.store.accept(olena, call, now=T0 + 1)  # connected by the phone channel (not running here)
    desk.set_state(petro, OperatorState.AVAILABLE, now=T0 + 2)

    with pytest.raises(CannotTransferCall, match="call"):
        desk.transfer(olena, call, Transfer(colleague=petro), now=T0 + 3)
    assert queue.store.held_by(call) == olena and queue.store.operator(petro).offer == ""


def test_after_redis_lost_its_data_a_transferred_conversation_waits_in_its_new_queue(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session]
) -> None:
    chat_id = conversation(sessions)
    olena = operator(sessions, "olena")
    queue.enqueue(chat_id, skill="subsidies", lang="uk", now=T0)
    held_by(desk, queue, olena, chat_id, T0 + 1)
    desk.transfer(olena, chat_id, Transfer(skill="disability"), now=T0 + 5)
    with sessions() as session:
        entries = rebuild.replay(rebuild.open_events(session))
    assert entries[chat_id].state is EntryState.WAITING and entries[chat_id].queue == "disability:uk"
    assert entries[chat_id].operator is None


def test_the_api_refuses_what_cannot_be_a_transfer_with_a_message(app: TestClient) -> None:
    olena = staff(app, "olena-t", skills=["subsidies"])
    parts = app.app.state.parts  # type: ignore[attr-defined]
    chat_id = conversation(parts.sessions)
    found = parts.specialists
    found.queue.enqueue(chat_id, skill="subsidies", lang="uk")
    assert olena.post("/api/operator/state", {"state": "available"}).status_code == 200
    assert olena.post(f"/api/operator/offers/{chat_id}/accept").status_code == 200
    path = f"/api/operator/conversations/{chat_id}/transfer"

    for body in ({}, {"colleague": 2**63}, {"colleague": 0}, {"skill": "Bad Skill"}, {"skill": "x", "extra": 1}):
        refused = olena.post(path, body)
        assert refused.status_code == 422, (body, refused.text)
    unknown = olena.post(path, {"skill": "no_such_queue"})
    assert unknown.status_code == 422 and "no_such_queue" in unknown.text
    nobody = olena.post(path, {"colleague": 2**31 - 1})
    assert nobody.status_code == 409 and "colleague" in nobody.text
    options = olena.get(f"{path}?lang=ru")
    assert options.status_code == 200 and {"skill": "general", "title": "Общие вопросы"} in options.json()["queues"]
    assert olena.get(f"/api/operator/conversations/{'0' * 32}/transfer").status_code == 409

    moved = olena.post(path, {"skill": "general", "note": "  загальне питання  "})
    assert moved.status_code == 200 and moved.json() == {"state": "waiting", "queue": "general:uk", "operator": None}
    assert olena.post(path, {"skill": "general"}).status_code == 409  # not mine any more
    with parts.sessions() as session:
        assert conversation_log.get(session, conversation_id=chat_id) is not None
        note = session.scalars(
            select(QueueEvent.data).where(QueueEvent.conversation_id == chat_id, QueueEvent.event == "transferred")
        ).one()
    assert note["note"] == "загальне питання"
