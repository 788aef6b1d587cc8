"""A citizen waiting for a person who then writes a crisis: their conversation moves at once to the crisis
queue at emergency priority (first in line, offered before the normal ones), keeping when it came; an offer
of it is withdrawn and made again by priority; one a specialist holds stays; a priority is never lowered;
the queue log says so and a rebuild from it restores the move."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.queue_log import QueueEvent, QueueEventKind
from specialist_queue import rebuild
from specialist_queue.model import Capacity, EntryState, OperatorState
from specialist_queue.runtime import Specialists
from specialist_queue.service import SpecialistQueue
from specialist_queue.store import QueueStore
from tests.helpers import chat
from tests.queue.conftest import conversation, operator, staff

CRISIS = "не хочу жити"
T0 = 1_900_000_000.0


def specialists(app: TestClient) -> Specialists:
    found: Specialists = app.app.state.parts.specialists  # type: ignore[attr-defined]
    return found


def waits_for_a_person(app: TestClient) -> str:
    """A web chat whose citizen asked for "оператор" from the top menu: it joins general:uk."""
    session_id = str(app.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"])
    answer = chat(app, session_id, text="оператор")
    assert answer["replies"][-1]["handoff"]["queue"] == "general"
    return session_id


def escalations(queue: SpecialistQueue, conversation_id: str) -> list[QueueEvent]:
    with queue.sessions() as session:
        return list(
            session.scalars(
                select(QueueEvent).where(
                    QueueEvent.conversation_id == conversation_id,
                    QueueEvent.event == QueueEventKind.ESCALATED.value,
                )
            )
        )


def test_a_waiting_web_chat_that_writes_a_crisis_goes_first_to_the_crisis_queue(app: TestClient) -> None:
    queue = specialists(app).queue
    olena = staff(app, "olena-escalate", skills=["general"], capacity_chats=1)
    olena.post("/api/operator/state", {"state": "available"})
    first = waits_for_a_person(app)  # olena takes it: she is full
    assert olena.post(f"/api/operator/offers/{first}/accept").status_code == 200
    ahead = waits_for_a_person(app)
    behind = waits_for_a_person(app)
    came = queue.store.entry(behind)
    assert came is not None and (came.queue, came.priority) == ("general:uk", "normal")
    assert (queue.wait_figures(behind) or (0, 0))[0] == 2

    answer = chat(app, behind, text=CRISIS)

    handoff = answer["replies"][-1]["handoff"]  # the robot's crisis answer at once
    assert (handoff["queue"], handoff["priority"]) == ("crisis", "emergency")
    moved = queue.store.entry(behind)
    assert moved is not None and moved.state is EntryState.WAITING
    assert (moved.queue, moved.priority, moved.klass) == ("crisis:uk", "emergency", 0)
    assert moved.enqueued == came.enqueued  # the wait is counted from when the citizen first came
    assert queue.store.waiting("crisis:uk") == [behind] and queue.store.waiting("general:uk") == [ahead]
    assert (queue.wait_figures(behind) or (0, 0))[0] == 1
    (event,) = escalations(queue, behind)
    assert (event.queue, event.priority) == ("crisis:uk", "emergency")
    assert event.data["from_queue"] == "general:uk" and event.data["from_priority"] == "normal"

    # The next free operator is offered the crisis first, though the other citizen came before.
    petro = staff(app, "petro-escalate", skills=["general"], capacity_chats=1)
    petro.post("/api/operator/state", {"state": "available"})
    offer = petro.get("/api/operator/state").json()["offer"]
    assert offer["conversation_id"] == behind and offer["priority"] == "emergency"
    for left in (ahead, behind):  # the module's app serves the next tests: nobody is left waiting
        assert queue.abandon(left)


def test_a_crisis_written_to_the_specialist_holding_the_chat_leaves_it_with_them(app: TestClient) -> None:
    queue = specialists(app).queue
    olena = staff(app, "olena-held", skills=["general"])
    olena.post("/api/operator/state", {"state": "available"})
    session_id = waits_for_a_person(app)
    assert olena.post(f"/api/operator/offers/{session_id}/accept").status_code == 200
    answer = chat(app, session_id, text=CRISIS)
    assert answer["specialist"] and answer["replies"] == []  # the specialist reads it, the robot keeps quiet
    held = queue.store.entry(session_id)
    assert held is not None and (held.state, held.queue, held.operator) == (
        EntryState.CONNECTED,
        "general:uk",
        olena.id,
    )
    assert escalations(queue, session_id) == []


def _available(store: QueueStore, operator_id: int, *, now: float, skills: tuple[str, ...] = ("general",)) -> None:
    store.set_state(operator_id, OperatorState.AVAILABLE, now=now, skills=skills, langs=("uk",), capacity=Capacity())


def test_an_offered_conversation_is_withdrawn_and_offered_again_by_priority(
    queue: SpecialistQueue, sessions: sessionmaker[Session]
) -> None:
    olena = operator(sessions, "olena-offer", skills=["general"])
    citizen = conversation(sessions)
    queue.enqueue(citizen, skill="general", lang="uk", now=T0)
    _available(queue.store, olena, now=T0 + 1)
    (offer,) = queue.dispatch(now=T0 + 1)
    assert offer.entry.conversation_id == citizen

    assert queue.escalate(citizen, skill="crisis", lang="uk", priority="emergency", now=T0 + 5)

    entry = queue.store.entry(citizen)
    assert entry is not None and entry.queue == "crisis:uk" and entry.priority == "emergency"
    # Offered again at once, by priority: olena speaks Ukrainian, so she may take an emergency of any skill.
    assert entry.state is EntryState.OFFERED and entry.operator == olena and entry.enqueued == T0
    (event,) = escalations(queue, citizen)
    assert event.data["from_queue"] == "general:uk" and event.data["withdrawn_from"] == olena
    assert queue.store.offered("general:uk") == [] and [
        e.conversation_id for e in queue.store.offered("crisis:uk")
    ] == [citizen]


def test_a_priority_is_never_lowered_and_a_held_conversation_never_moved(
    queue: SpecialistQueue, sessions: sessionmaker[Session]
) -> None:
    urgent = conversation(sessions)
    queue.enqueue(urgent, skill="crisis", lang="uk", priority="emergency", now=T0)
    assert not queue.escalate(urgent, skill="general", lang="uk", priority="normal", now=T0 + 1)
    assert not queue.escalate(urgent, skill="crisis", lang="uk", priority="emergency", now=T0 + 1)
    entry = queue.store.entry(urgent)
    assert entry is not None and (entry.queue, entry.priority, entry.klass) == ("crisis:uk", "emergency", 0)

    olena = operator(sessions, "olena-holds", skills=["general"])
    held = conversation(sessions)
    queue.enqueue(held, skill="general", lang="uk", now=T0)
    _available(queue.store, olena, now=T0 + 1)
    queue.dispatch(now=T0 + 1)
    offered = queue.store.entry(urgent)
    assert offered is not None and offered.operator == olena  # the emergency first
    queue.store.accept(olena, urgent, now=T0 + 2)
    queue.dispatch(now=T0 + 2)
    queue.store.accept(olena, held, now=T0 + 3)
    assert not queue.escalate(held, skill="crisis", lang="uk", priority="emergency", now=T0 + 4)
    still = queue.store.entry(held)
    assert still is not None and (still.state, still.queue, still.priority) == (
        EntryState.CONNECTED,
        "general:uk",
        "normal",
    )
    assert escalations(queue, urgent) == [] and escalations(queue, held) == []


def test_a_rebuild_from_the_queue_log_keeps_the_escalation(
    queue: SpecialistQueue, sessions: sessionmaker[Session], store: QueueStore
) -> None:
    ahead, citizen = conversation(sessions), conversation(sessions)
    queue.enqueue(ahead, skill="general", lang="uk", now=T0)
    queue.enqueue(citizen, skill="general", lang="uk", now=T0 + 1)
    assert queue.escalate(citizen, skill="crisis", lang="uk", priority="emergency", now=T0 + 2)
    before = queue.store.entry(citizen)
    for key in store.client.scan_iter(f"{store.prefix}:*", count=1000):
        store.client.delete(key)

    with sessions() as session:
        assert rebuild.rebuild(store, session) == 2

    after = queue.store.entry(citizen)
    assert before is not None and after is not None
    assert (after.queue, after.priority, after.klass, after.seq) == ("crisis:uk", "emergency", 0, before.seq)
    assert after.enqueued == T0 + 1 and queue.store.waiting("crisis:uk") == [citizen]
    assert queue.store.waiting("general:uk") == [ahead]
