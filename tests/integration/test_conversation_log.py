"""The conversation log on real SQLite and PostgreSQL with a real Redis: every turn written exactly once,
on the tree version current when the conversation started."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channels.dialogue import Dialogue, TreeCache, TurnResult
from channels.state_store import StateStore, state_key
from hotline import call_events, conversation_log
from hotline.bootstrap import ensure_content
from hotline.call_events import CallEvent
from hotline.conversation_log import ConversationEvent
from hotline.db import transaction, utcnow
from hotline.pending_log import PendingLog
from intents import versions
from intents.engine import Input, InputKind
from intents.pack import DEMO_PACK
from tests.helpers import import_pack


@pytest.fixture
def dialogue(sessions: sessionmaker[Session], redis_client: redis.Redis) -> Iterator[Dialogue]:
    ensure_content(sessions, load_demo=True)
    store = StateStore(redis_client, ttl_seconds=600, prefix=f"test-{uuid.uuid4().hex[:8]}")
    yield Dialogue(store, sessions, TreeCache(sessions))


def _rows(sessions: sessionmaker[Session], conversation_id: str, step: int) -> list[tuple[int, str]]:
    with sessions() as session:
        return [
            (e.seq, e.kind) for e in conversation_log.events(session, conversation_id=conversation_id) if e.step == step
        ]


def test_start_records_the_conversation_its_tree_version_and_first_turn(
    dialogue: Dialogue, sessions: sessionmaker[Session]
) -> None:
    started = dialogue.start(channel="webchat", lang=None)
    with sessions() as session:
        conversation = conversation_log.get(session, conversation_id=started.conversation_id)
    assert conversation is not None
    assert conversation.tree_version == started.tree_version == dialogue.trees.current_version()
    assert _rows(sessions, started.conversation_id, 1)[0] == (0, "citizen_start")
    assert [kind for _, kind in _rows(sessions, started.conversation_id, 1)][1:] == ["bot"] * len(started.replies)


def test_a_retried_turn_is_answered_the_same_and_written_once(
    dialogue: Dialogue, sessions: sessionmaker[Session]
) -> None:
    cid = dialogue.start(channel="phone", lang=None).conversation_id
    first = dialogue.handle(cid, Input(InputKind.DIGIT, value="1"), turn="CA1:1")
    again = dialogue.handle(cid, Input(InputKind.DIGIT, value="1"), turn="CA1:1")
    assert again == first
    assert first.step == 2
    rows = _rows(sessions, cid, 2)
    assert len(rows) == len(set(rows)) == 1 + len(first.replies)
    with sessions() as session:
        conversation = conversation_log.get(session, conversation_id=cid)
    assert conversation is not None and conversation.lang == first.lang == "uk"


def test_concurrent_retries_advance_once_and_write_once(dialogue: Dialogue, sessions: sessionmaker[Session]) -> None:
    """Ten copies of one webhook at once: one step, one answer, the turn's events once."""
    cid = dialogue.start(channel="phone", lang=None).conversation_id
    answers: list[TurnResult] = []

    def retry() -> None:
        answers.append(dialogue.handle(cid, Input(InputKind.DIGIT, value="2"), turn="CA2:1"))

    threads = [threading.Thread(target=retry) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 10 and all(answer == answers[0] for answer in answers)
    with sessions() as session:
        steps = session.scalars(select(ConversationEvent.step).where(ConversationEvent.conversation_id == cid)).all()
    assert sorted(set(steps)) == [1, 2]
    assert len(_rows(sessions, cid, 2)) == 1 + len(answers[0].replies)


def test_a_turn_whose_request_died_before_the_log_is_written_by_its_retry(
    dialogue: Dialogue, sessions: sessionmaker[Session]
) -> None:
    """The state advanced in Redis, then the worker died: the retried webhook writes the missing turn."""
    cid = dialogue.start(channel="phone", lang=None).conversation_id
    seen = dialogue.store.read(cid, "CA3:1")
    result = {"step": 2, "lang": "ru", "replies": [], "match": None, "handoff_requested": None}
    assert dialogue.store.advance(cid, seen=seen, state={**(seen.data or {}), "step": 2}, result=result, turn="CA3:1")
    assert _rows(sessions, cid, 2) == []
    dialogue.handle(cid, Input(InputKind.DIGIT, value="2"), turn="CA3:1")
    assert _rows(sessions, cid, 2) == [(0, "citizen_digit")]
    with sessions() as session:
        conversation = conversation_log.get(session, conversation_id=cid)
    assert conversation is not None and conversation.lang == "ru"


def test_write_turns_inserts_a_batch_once_and_touches_the_conversation_only_when_it_changed(
    dialogue: Dialogue, sessions: sessionmaker[Session]
) -> None:
    cid = dialogue.start(channel="webchat", lang="uk").conversation_id
    at = utcnow()
    turns = [
        conversation_log.Turn(cid, 2, at, [{"kind": "citizen_text", "text": "а"}, {"kind": "bot", "text": "б"}]),
        conversation_log.Turn(cid, 3, at, [{"kind": "citizen_text", "text": "в"}], handoff_queue="subsidies"),
    ]
    with transaction(sessions) as session:
        assert conversation_log.write_turns(session.connection(), turns) == 2
    with transaction(sessions) as session:
        assert conversation_log.write_turns(session.connection(), turns) == 0
    with sessions() as session:
        conversation = conversation_log.get(session, conversation_id=cid)
        count = session.scalar(select(func.count()).where(ConversationEvent.conversation_id == cid))
    assert conversation is not None
    assert (conversation.lang, conversation.handoff_queue) == ("uk", "subsidies")
    assert count == len(_rows(sessions, cid, 1)) + 3


def test_a_publish_is_seen_by_the_very_next_conversation(dialogue: Dialogue, sessions: sessionmaker[Session]) -> None:
    before = dialogue.start(channel="webchat", lang="uk")
    published = import_pack(sessions, DEMO_PACK, author="test", publish=True, note="again")
    after = dialogue.start(channel="webchat", lang="uk")
    assert before.tree_version is not None and before.tree_version < published == after.tree_version


def test_after_redis_lost_the_state_the_turns_go_on_being_logged_on_the_conversations_version(
    dialogue: Dialogue, sessions: sessionmaker[Session], redis_client: redis.Redis
) -> None:
    started = dialogue.start(channel="webchat", lang="uk")
    cid = started.conversation_id
    dialogue.handle(cid, Input(InputKind.TEXT, value="як оформити субсидію"))
    import_pack(sessions, DEMO_PACK, author="test", publish=True, note="a newer tree meanwhile")
    redis_client.delete(state_key(dialogue.store.prefix, cid))  # Redis restarted, or the state expired

    after = dialogue.handle(cid, Input(InputKind.TEXT, value="які документи потрібні для субсидії"))
    assert after.step == 3 and after.tree_version == started.tree_version
    assert after.replies[0].intent == "housing_subsidy_documents"
    assert _rows(sessions, cid, 3)[0] == (0, "citizen_text")  # logged, not taken for a retry of step 1
    assert len(_rows(sessions, cid, 1)) == 1 + len(started.replies)  # the first turn untouched


def test_requests_that_miss_the_tree_cache_together_share_one_build(sessions: sessionmaker[Session]) -> None:
    ensure_content(sessions, load_demo=True)
    trees = TreeCache(sessions)
    version = trees.current_version()
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(trees.get(version))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and all(compiled is got[0] for compiled in got)


def test_a_conversation_started_in_an_outage_is_written_once_before_its_turns_even_if_written_twice(
    sessions: sessionmaker[Session], redis_client: redis.Redis
) -> None:
    """What the pending log keeps for a conversation started while the database was away (its row, then its turns),
    written twice — a node died between the commit and the delete — is in SQL once, on both databases."""
    ensure_content(sessions, load_demo=True)
    with sessions() as session:
        version = versions.current_version_id(session)
    assert version is not None
    pending = PendingLog(redis_client, f"test-{uuid.uuid4().hex[:8]}")
    conversation_id = uuid.uuid4().hex
    pending.keep_start(conversation_log.Started(conversation_id, "web", "uk", None, version, utcnow()))
    for step in (1, 2):
        pending.keep(conversation_log.Turn(conversation_id, step, utcnow(), [{"kind": "citizen_text", "text": "x"}]))
    kept = redis_client.xrange(pending.key)
    assert pending.flush(sessions) == 3
    redis_client.xadd(pending.key, kept[0][1])  # the same entries again, as a second writer would find them
    redis_client.xadd(pending.key, kept[2][1])
    assert pending.flush(sessions) == 2
    with sessions() as session:
        found = conversation_log.get(session, conversation_id=conversation_id)
        assert found is not None and (found.channel, found.lang, found.tree_version) == ("web", "uk", version)
        steps = [(e.step, e.seq) for e in conversation_log.events(session, conversation_id=conversation_id)]
    assert steps == [(1, 0), (2, 0)]


def test_a_kept_call_end_is_summed_up_from_the_events_kept_before_it_and_holds_the_call_until_written(
    sessions: sessionmaker[Session], redis_client: redis.Redis
) -> None:
    """The end of a call kept while the database was away says the caller gave up waiting, from the queue event kept
    before it; until the stream is written every write about that call goes behind it, and only about that call."""
    ensure_content(sessions, load_demo=True)
    with sessions() as session:
        version = versions.current_version_id(session)
    assert version is not None
    pending = PendingLog(redis_client, f"test-{uuid.uuid4().hex[:8]}")
    call, other = uuid.uuid4().hex, uuid.uuid4().hex
    pending.keep_start(conversation_log.Started(call, "phone", "uk", "CA1", version, utcnow()))
    pending.keep(call_events.event(call, CallEvent.ENQUEUED, utcnow(), {"queue": "general", "lang": "uk"}))
    pending.keep_call_end(call_events.CallEnd(call, "completed", 42, "+380501112233", utcnow()))
    assert pending.holds([call]) and not pending.holds([other, None]) and not pending.holds([])

    assert pending.flush(sessions) == 3
    assert not pending.holds([call]) and not redis_client.exists(pending.held_key)
    with sessions() as session:
        ended = conversation_log.get(session, conversation_id=call)
        assert ended is not None and ended.ended
        logged = {e.kind: e.data for e in conversation_log.events(session, conversation_id=call)}
    assert logged[CallEvent.ENDED.value] == {
        "status": "completed",
        "duration": 42,
        "from": "+380501112233",
        "abandoned": True,
        "left_at": None,
    }
    with transaction(sessions) as session:  # Twilio's retried callback, once the database is back: nothing new
        assert not call_events.write_end(
            session.connection(), call_events.CallEnd(call, "completed", 42, "+380501112233", utcnow())
        )
