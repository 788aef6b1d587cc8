"""The retention run on SQLite and PostgreSQL: what is older than each period goes (recordings at Twilio
too), what is newer stays, statistics count the same before and after, and the audit log says what it did."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.admin import stats
from hotline.admin.models import AuditEntry
from hotline.conversation_log import Conversation, ConversationEvent
from hotline.db import transaction, utcnow
from hotline.queue_log import QueueEvent
from hotline.settings import Settings
from ivr.twilio_rest import TwilioRest, TwilioUnavailable
from privacy import retention
from registry_client.models import Certificate, RegistryJob
from specialist_queue.chat import ChatMessage
from tests.fakes.twilio_api import FakeTwilioApi
from tests.privacy import seed

ACCOUNT, TOKEN = "AC" + "1" * 32, "twilio-token"


@pytest.fixture
def prefix(redis_client: Any) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    for key in redis_client.scan_iter(f"{name}:*"):
        redis_client.delete(key)


@pytest.fixture
def twilio() -> Iterator[FakeTwilioApi]:
    fake = FakeTwilioApi(ACCOUNT, TOKEN).start()
    yield fake
    fake.stop()


def _events(session: Session, conversation_id: str) -> dict[str, ConversationEvent]:
    rows = session.scalars(select(ConversationEvent).where(ConversationEvent.conversation_id == conversation_id))
    return {row.kind: row for row in rows}


def _counts(sessions: sessionmaker[Session]) -> stats.Counts:
    today = utcnow().date()
    with sessions() as session:
        return stats.count(session, stats.Period(today - timedelta(days=300), today, "UTC"), threshold=60)


async def test_a_run_gives_up_what_is_older_and_statistics_still_count_it(
    sessions: sessionmaker[Session], twilio: FakeTwilioApi
) -> None:
    now = utcnow()
    user = seed.owner(sessions)
    old = seed.citizen(sessions, at=now - timedelta(days=200), user_id=user)  # past every period but the audit's
    middle = seed.citizen(sessions, at=now - timedelta(days=50), user_id=user)  # past transcripts and recordings
    recent = seed.citizen(sessions, at=now - timedelta(hours=1), user_id=user)
    for traces in (old, middle, recent):
        twilio.recordings[traces.recording_sid] = b"ID3 audio"
    rest = TwilioRest(account_sid=ACCOUNT, auth_token=TOKEN, base_url=twilio.url)
    before = _counts(sessions)

    outcome = await retention.run(sessions, now=now, delete_recording=rest.delete_recording)

    assert outcome["recordings"] == 2 and outcome["certificates"] == 1 and outcome["chat_messages"] == 1
    assert set(twilio.recordings) == {recent.recording_sid}  # deleted at Twilio through its API
    after = _counts(sessions)
    assert after.cells == before.cells and after.top_intents == before.top_intents and after.cells
    with sessions() as session:
        gone = _events(session, old.conversation_id)
        assert all(event.text == "" for event in gone.values()), {k: e.text for k, e in gone.items()}
        assert gone["voicemail"].data == {"deleted": True} and gone["callback_requested"].data == {}
        assert gone["bot"].intent == "housing_subsidy_apply"  # what statistics count stays
        assert session.get(Conversation, old.conversation_id).external_id is None  # type: ignore[union-attr]
        half = _events(session, middle.conversation_id)
        assert half["citizen_text"].text == seed.SAID and half["citizen_speech"].text == ""
        assert half["voicemail_transcription"].text == "" and half["voicemail"].data == {"deleted": True}
        kept = _events(session, recent.conversation_id)
        assert kept["citizen_speech"].text and kept["voicemail"].data["sid"] == recent.recording_sid
        assert session.scalars(select(ChatMessage.conversation_id)).all().count(old.conversation_id) == 0
        assert session.scalar(select(QueueEvent.data).where(QueueEvent.conversation_id == old.conversation_id)) == {}
        assert session.scalars(select(Certificate.case_id)).all() == [middle.case_id, recent.case_id]
        subjects = {
            case_id: subject for case_id, subject in session.execute(select(RegistryJob.case_id, RegistryJob.subject))
        }
        assert subjects[old.case_id] == {} and subjects[recent.case_id]
        report = session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.retention")).one()
        assert report.username == "retention" and report.detail["recordings"] == 2 and report.detail["periods"]

    again = await retention.run(sessions, now=now + timedelta(hours=1), delete_recording=rest.delete_recording)
    assert again["turns"] == again["transcripts"] == again["recordings"] == again["certificates"] == 0

    with transaction(sessions) as session:
        retention.save(session, chosen=retention.Periods(audit=30), by=retention.System(username="anna"))
    await retention.run(sessions, now=now + timedelta(hours=2), delete_recording=rest.delete_recording)
    with sessions() as session:
        left = session.scalars(select(AuditEntry.action).where(AuditEntry.at < now - timedelta(days=30))).all()
        assert left == []


async def test_recordings_wait_for_twilio(sessions: sessionmaker[Session], twilio: FakeTwilioApi) -> None:
    now = utcnow()
    old = seed.citizen(sessions, at=now - timedelta(days=40), user_id=seed.owner(sessions))
    twilio.recordings[old.recording_sid] = b"ID3 audio"
    rest = TwilioRest(account_sid=ACCOUNT, auth_token=TOKEN, base_url=twilio.url)
    twilio.fail_next(503, 20500, "Service Unavailable")
    with pytest.raises(TwilioUnavailable):
        await retention.run(sessions, now=now, delete_recording=rest.delete_recording)
    with sessions() as session:
        assert _events(session, old.conversation_id)["voicemail"].data["sid"] == old.recording_sid  # not forgotten
    await retention.run(sessions, now=now, delete_recording=rest.delete_recording)
    assert twilio.recordings == {} and ("DELETE", old.recording_sid) in twilio.recording_requests


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [
        (None, "2026-12-05T10:00:00+00:00", True),
        ("2026-12-05T01:30:00+00:00", "2026-12-05T10:00:00+00:00", False),  # ran today at 03:30 Kyiv
        ("2026-12-04T01:30:00+00:00", "2026-12-05T00:30:00+00:00", False),  # 02:30 Kyiv: today's is not due yet
        ("2026-12-04T01:30:00+00:00", "2026-12-05T01:05:00+00:00", True),
    ],
)
def test_a_run_is_due_once_a_day_after_three_at_night(last: str | None, now: str, due: bool) -> None:
    from datetime import datetime

    parsed = datetime.fromisoformat(last) if last else None
    assert retention.due(parsed, datetime.fromisoformat(now), "Europe/Kyiv") is due


def test_periods_are_refused_outside_one_day_to_ten_years() -> None:
    with pytest.raises(ValueError, match="recordings"):
        retention.Periods(recordings=0)


async def test_two_nodes_run_it_once(sessions: sessionmaker[Session], redis_client: Any, prefix: str) -> None:
    """Two nodes look under one lease: the holder runs today's retention; the one taking over later does not."""
    from hotline.leases import Lease, Periodic
    from privacy import runtime

    settings = Settings(timezone="UTC", redis_prefix=prefix)
    with transaction(sessions) as session:
        retention.arm(session, now=utcnow() - timedelta(days=2))  # installed two days ago: today's run is due
    looks: dict[str, list[bool]] = {"a": [], "b": []}

    def node(name: str) -> Periodic:
        look = runtime.work(settings, sessions, None)

        async def counted(holding: Any) -> None:
            looks[name].append(await look(holding))

        return Periodic(Lease(redis_client, "retention", prefix=prefix, ttl=5, owner=name), counted, every=0.05)

    a, b = node("a"), node("b")
    a.start()
    await _until(lambda: looks["a"][:1] == [True])
    b.start()
    await a.aclose()  # node a stops: b takes the lease over and looks
    await _until(lambda: bool(looks["b"]))
    await b.aclose()
    assert looks["b"][0] is False and looks["a"][0] is True
    with sessions() as session:
        assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.retention")).all()) == 1


async def _until(condition: Any, seconds: float = 20) -> None:
    import asyncio

    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)
