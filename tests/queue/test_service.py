"""The queue service on a real Redis and a real database (SQLite and PostgreSQL): the queue log,
live figures, callbacks with their outcomes, and rebuilding Redis from SQL after it lost its data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import anyio
import pytest
import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.embedded_redis import EmbeddedRedis
from hotline.office_hours import OfficeHours
from hotline.queue_log import QueueEvent
from specialist_queue import rebuild
from specialist_queue.desk import Desk
from specialist_queue.model import Conflict, EntryState, Kind, OperatorState
from specialist_queue.service import SpecialistQueue
from specialist_queue.store import QueueStore
from tests.queue.conftest import INTENTS, Office, conversation, operator

MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC).timestamp()
WORKING_HOURS = OfficeHours(week={day: (time(9), time(17)) for day in range(5)}, timezone="UTC")
PHONE = "+380501112233"


def events(sessions: sessionmaker[Session], conversation_id: str | None = None) -> list[QueueEvent]:
    with sessions() as session:
        query = select(QueueEvent).order_by(QueueEvent.id)
        if conversation_id:
            query = query.where(QueueEvent.conversation_id == conversation_id)
        return list(session.scalars(query))


def test_a_conversation_s_whole_life_is_in_the_queue_log(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session], released: list[str]
) -> None:
    olena = operator(sessions, "olena")
    chat = conversation(sessions)
    assert queue.enqueue(chat, skill="subsidies", lang="uk", now=MONDAY_10)
    assert not queue.enqueue(chat, skill="subsidies", lang="uk", now=MONDAY_10 + 1)  # the key is the conversation
    desk.set_state(olena, OperatorState.PAUSED, reason="lunch", now=MONDAY_10 + 2)
    desk.set_state(olena, OperatorState.AVAILABLE, now=MONDAY_10 + 3)  # offered at once
    with pytest.raises(Conflict, match="expired"):
        anyio.run(lambda: desk.accept(olena, chat, now=MONDAY_10 + 60))
    queue.tick(now=MONDAY_10 + 60)  # the offer times out: back to its place, Olena paused
    desk.set_state(olena, OperatorState.AVAILABLE, now=MONDAY_10 + 61)
    anyio.run(lambda: desk.accept(olena, chat, now=MONDAY_10 + 65))
    desk.close(olena, chat, now=MONDAY_10 + 125)
    assert released == [chat]  # closing hands the conversation back to the robot
    desk.wrap_up(olena, chat, disposition="housing_subsidy_apply", note="explained the forms", now=MONDAY_10 + 130)

    log = [(e.event, e.operator_id, e.wait_seconds, e.data) for e in events(sessions)]
    assert log == [
        ("entered", None, None, {"seq": log[0][3]["seq"], "kind": "chat", "class": 2}),
        ("paused", olena, None, {"reason": "lunch"}),
        ("unpaused", olena, None, {"reason": "lunch"}),
        ("offered", olena, 3.0, {"number": log[3][3]["number"]}),
        ("timed_out", olena, 60.0, {}),
        ("paused", olena, None, {"reason": "missed_offer"}),
        ("unpaused", olena, None, {"reason": "missed_offer"}),
        ("offered", olena, 61.0, {"number": log[7][3]["number"]}),
        ("connected", olena, 65.0, {}),
        ("closed", olena, None, {"handled": 60.0}),
        ("wrap_up", olena, None, {"disposition": "housing_subsidy_apply", "note": "explained the forms"}),
    ]
    assert {e.queue for e in events(sessions, chat)} == {"subsidies:uk"}
    with pytest.raises(ValueError, match="unknown disposition"):
        desk.wrap_up(olena, chat, disposition="not_an_intent", note="", now=MONDAY_10 + 131)
    assert "other" not in INTENTS  # "other" is always allowed, beside the tree's intents


def test_live_figures_from_redis_and_the_queue_log(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session], store: QueueStore
) -> None:
    t = MONDAY_10
    olena = operator(sessions, "olena")
    served = [conversation(sessions) for _ in range(2)]
    for number, chat in enumerate(served):  # answered after 30 s and after 90 s; handled 120 s and 240 s
        queue.enqueue(chat, skill="subsidies", lang="uk", now=t)
        desk.set_state(olena, OperatorState.AVAILABLE, now=t + 30 + 60 * number)
        answered = t + 30 + 60 * number
        anyio.run(lambda chat=chat, answered=answered: desk.accept(olena, chat, now=answered))
        desk.close(olena, chat, now=t + 150 + 180 * number)
        desk.wrap_up(olena, chat, disposition="other", note="", now=t + 151 + 180 * number)
        desk.set_state(olena, OperatorState.OFFLINE, now=t + 152 + 180 * number)
        t += 1000
    gone = conversation(sessions)
    queue.enqueue(gone, skill="subsidies", lang="uk", now=t)
    assert queue.abandon(gone, now=t + 100)
    waiting = [conversation(sessions) for _ in range(3)]
    for offset, chat in zip((200, 210, 220), waiting, strict=True):
        queue.enqueue(chat, skill="subsidies", lang="uk", now=t + offset)

    [figures] = queue.figures(now=t + 260)
    assert (figures.queue, figures.waiting, figures.longest_wait) == ("subsidies:uk", 3, 60.0)
    assert (figures.answered, figures.abandoned, figures.staffed) == (2, 1, 0)
    assert figures.service_level == pytest.approx(1 / 3)  # 30 s ≤ 60 s; 90 s and a 100 s abandon are not
    assert figures.estimated_wait == 4 * 180  # four ahead of a newcomer, 180 s each, one specialist assumed
    assert queue.wait_figures(waiting[1]) == (2, 360)
    desk.set_state(olena, OperatorState.AVAILABLE, now=t + 300)  # now staffed: she takes the first at once
    assert store.entry(waiting[0]).state is EntryState.OFFERED
    assert queue.wait_figures(waiting[0]) == (1, 180)
    assert queue.wait_figures(waiting[2]) == (3, 540)  # the one on offer is still ahead of it
    assert queue.wait_figures(gone) is None


def test_callbacks_keep_their_place_wait_for_office_hours_and_record_outcomes(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session], store: QueueStore, office: Office
) -> None:
    office.hours = WORKING_HOURS
    olena = operator(sessions, "olena", skills=["benefits"])
    first, caller = conversation(sessions), conversation(sessions, channel="phone")
    queue.enqueue(first, skill="subsidies", lang="uk", now=MONDAY_10)
    queue.enqueue(caller, skill="subsidies", lang="uk", now=MONDAY_10 + 1)
    place = store.entry(caller).seq
    due = queue.request_callback(caller, PHONE, now=MONDAY_10 + 2)
    assert due.timestamp() == MONDAY_10 + 2  # the office is open: due now, ahead of the normal ones
    assert store.waiting("subsidies:uk") == [caller, first] and store.entry(caller).seq == place
    assert not queue.abandon(caller, now=MONDAY_10 + 3)  # hanging up after asking does not abandon it

    night = MONDAY_10 + 12 * 3600
    late = conversation(sessions, channel="phone")
    queue.enqueue(late, skill="benefits", lang="uk", now=night)
    due = queue.request_callback(late, PHONE, now=night)
    assert due == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # Tuesday morning
    with pytest.raises(ValueError):
        queue.request_callback(late, "call me maybe", now=night)

    def attempt(at: float) -> None:
        desk.set_state(olena, OperatorState.AVAILABLE, now=at)
        queue.tick(now=at)
        anyio.run(lambda: desk.accept(olena, late, now=at))

    tuesday_9 = due.timestamp()
    queue.tick(now=tuesday_9 - 1)
    assert store.entry(late).state is EntryState.SCHEDULED  # not before the office opens
    attempt(tuesday_9)
    retry = desk.callback_outcome(olena, late, "no_answer", now=tuesday_9 + 60)
    assert (retry.state, retry.attempts, retry.due) == (EntryState.SCHEDULED, 1, tuesday_9 + 60 + 1800)
    attempt(tuesday_9 + 60 + 1800)
    desk.callback_outcome(olena, late, "no_answer", now=tuesday_9 + 2000)
    attempt(tuesday_9 + 2000 + 1800)
    final = desk.callback_outcome(olena, late, "no_answer", now=tuesday_9 + 4000)  # the third: given up
    assert final.state is EntryState.CLOSED
    outcomes = [e.data["outcome"] for e in events(sessions, late) if e.event == "callback_outcome"]
    assert outcomes == ["no_answer", "no_answer", "given_up"]
    assert [e.data["phone"] for e in events(sessions, late) if e.event == "callback_requested"] == [PHONE]

    reached = conversation(sessions, channel="web")
    queue.request_callback(reached, PHONE, skill="benefits", now=tuesday_9 + 5000)  # not waiting: a new entry
    assert store.entry(reached).kind is Kind.CALLBACK and store.entry(reached).queue == "benefits:uk"
    desk.wrap_up(olena, late, disposition="other", note="", now=tuesday_9 + 5001)
    queue.tick(now=tuesday_9 + 5001)
    anyio.run(lambda: desk.accept(olena, reached, now=tuesday_9 + 5002))
    # Reached: the call goes on and Olena stays with it; she ends it, then wraps up (never Ready before).
    on_call = desk.callback_outcome(olena, reached, "reached", now=tuesday_9 + 5100)
    assert on_call.state is EntryState.CONNECTED and on_call.reached == tuesday_9 + 5100
    assert desk.callback_outcome(olena, reached, "reached", now=tuesday_9 + 5101).reached == tuesday_9 + 5100
    assert store.operator(olena).state is OperatorState.BUSY
    assert rebuild.replay(events(sessions, reached))[reached].reached == tuesday_9 + 5100  # kept for a rebuild
    desk.close(olena, reached, now=tuesday_9 + 5400)
    assert store.operator(olena).state is OperatorState.WRAP_UP and store.operator(olena).wrap_ups == (reached,)
    outcomes = [e.data["outcome"] for e in events(sessions, reached) if e.event == "callback_outcome"]
    assert outcomes == ["reached"]


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redis.Redis]:
    """A Redis server of this module's own, so FLUSHDB hurts no other test run (stopped like the service's own:
    killed if it ignores SIGTERM, and by the kernel if the test run dies)."""
    server = EmbeddedRedis.start(Path(tmp_path_factory.mktemp("flush")))
    client = redis.Redis.from_url(server.url, decode_responses=True)
    yield client
    client.close()
    server.stop()


def test_after_flushdb_the_live_queues_are_rebuilt_from_sql(
    private_redis: redis.Redis, sessions: sessionmaker[Session], queue: SpecialistQueue
) -> None:
    private_redis.flushdb()
    store = QueueStore(private_redis, "hotline")
    queue = SpecialistQueue(
        store=store,
        sessions=sessions,
        office_hours=queue.office_hours,
        policy=queue.policy,
        timing=queue.timing,
        clock=queue.clock,
    )
    desk = Desk(queue, dispositions=lambda: INTENTS, release=lambda _: None)
    t = MONDAY_10
    done, held, offered, waiting, abandoned, later = (conversation(sessions) for _ in range(6))
    for number, chat in enumerate((done, held, offered, waiting, abandoned, later)):
        queue.enqueue(chat, skill="subsidies", lang="uk", now=t + number)
    queue.abandon(abandoned, now=t + 10)
    queue.request_callback(later, PHONE, not_before=datetime(2026, 3, 9, 9, tzinfo=UTC), now=t + 11)
    olena, petro = operator(sessions, "olena", skills=["subsidies"], chats=1), operator(sessions, "petro")
    desk.set_state(olena, OperatorState.AVAILABLE, now=t + 12)  # offered `done`
    anyio.run(lambda: desk.accept(olena, done, now=t + 13))
    desk.close(olena, done, now=t + 43)
    desk.wrap_up(olena, done, disposition="other", note="", now=t + 44)  # available again: offered `held`
    anyio.run(lambda: desk.accept(olena, held, now=t + 45))
    desk.set_state(petro, OperatorState.AVAILABLE, now=t + 46)  # offered `offered`, not accepted yet
    assert store.entry(offered).state is EntryState.OFFERED
    assert store.waiting("subsidies:uk") == [waiting]

    private_redis.flushdb()
    assert store.entry(held) is None and store.waiting("subsidies:uk") == []
    queue.tick(now=t + 50)  # notices that Redis lost everything and rebuilds before anything else

    assert store.held_by(held) == olena and store.operator(olena).state is OperatorState.BUSY
    assert store.operator(olena).skills == ("subsidies",)
    # The lost offer is back at its place; Petro's state was lost with Redis: he says it again.
    assert store.waiting("subsidies:uk") == [offered, waiting]
    assert store.operator(petro).state is OperatorState.OFFLINE
    desk.set_state(petro, OperatorState.AVAILABLE, now=t + 50)
    assert store.operator(petro).offer == offered
    assert store.entry(later).state is EntryState.SCHEDULED and store.entry(later).phone == PHONE
    assert store.entry(done) is None and store.entry(abandoned) is None
    assert store.handling_times("subsidies:uk") == [30.0]
    newcomer = conversation(sessions)
    queue.enqueue(newcomer, skill="subsidies", lang="uk", now=t + 51)
    assert store.waiting("subsidies:uk") == [waiting, newcomer]  # new ones still queue behind
    assert queue.rebuild() == 0  # on demand, again: nothing is doubled
    assert store.waiting("subsidies:uk") == [waiting, newcomer]
    desk.close(olena, held, now=t + 60)  # the rebuilt conversation ends as any other
    assert store.operator(olena).state is OperatorState.WRAP_UP and store.held_by(held) is None


def test_the_phone_line_asks_the_live_queue_for_figures_and_callbacks(
    queue: SpecialistQueue, sessions: sessionmaker[Session], store: QueueStore
) -> None:
    from ivr.queue_side import LiveWaitFigures, QueueCallbacks
    from ivr.waiting import CallbackRequest, TwilioWaitFigures

    queue.clock = lambda: MONDAY_10 + 5  # the phone line passes no time: the queue's clock says it
    first, caller = conversation(sessions, channel="phone"), conversation(sessions, channel="phone")
    for number, call in enumerate((first, caller)):
        queue.enqueue(call, skill="subsidies", lang="uk", now=MONDAY_10 + number)
    waits = LiveWaitFigures(queue, TwilioWaitFigures())
    twilio_says = {"QueuePosition": "7", "AvgQueueTime": "100", "QueueTime": "10"}
    ours = waits.figures(conversation_id=caller, queue="subsidies", lang="uk", params=twilio_says)
    assert (ours.position, ours.estimated_seconds) == (2, 600)  # the live queue, not Twilio's guess
    unknown = waits.figures(conversation_id=None, queue="subsidies", lang="uk", params=twilio_says)
    assert (unknown.position, unknown.estimated_seconds) == (7, 90)
    desk = QueueCallbacks(queue)
    for _ in range(2):  # a retried webhook asks twice
        desk.request(CallbackRequest(caller, "CA" + "0" * 32, PHONE, "subsidies", "uk", position=2))
    assert store.waiting("subsidies:uk") == [caller, first]  # its place, as a callback due now
    assert [e.event for e in events(sessions, caller)] == ["entered", "callback_requested"]


def test_a_call_this_server_cannot_connect_says_why_before_accept_and_waits_on(
    queue: SpecialistQueue,
    sessions: sessionmaker[Session],
    store: QueueStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from ivr.queue_side import CallConnector
    from specialist_queue.desk import NotConfigured

    queue.connectors = {"phone": CallConnector(lambda: None)}  # the phone line without Twilio's REST API
    desk = Desk(queue, dispositions=lambda: INTENTS, release=lambda _: None)
    olena = operator(sessions, "olena")
    call = conversation(sessions, channel="phone", external_id="CA" + "1" * 32)
    queue.enqueue(call, skill="subsidies", lang="uk", now=MONDAY_10)
    desk.set_state(olena, OperatorState.AVAILABLE, now=MONDAY_10 + 1)
    said = desk.snapshot(olena, now=MONDAY_10 + 2)
    assert said["offer"]["kind"] == "call"
    assert said["cannot_connect"] == {"phone": ["HOTLINE_TWILIO_ACCOUNT_SID", "HOTLINE_TWILIO_AUTH_TOKEN"]}
    with pytest.raises(NotConfigured):
        anyio.run(lambda: desk.accept(olena, call, now=MONDAY_10 + 2))
    assert "HOTLINE_TWILIO_ACCOUNT_SID" in caplog.text and call in caplog.text  # the log says why, too
    assert store.entry(call).state is EntryState.WAITING and store.operator(olena).conversations == ()
