"""The questionnaire at its edges, on real SQLite and PostgreSQL with a real Redis: versioned with the tree,
the answers kept out of the log unless they go to a specialist, counted once per turn (retries too)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from sqlalchemy.orm import Session, sessionmaker

from channels.dialogue import SCREENING_ANSWERS, Dialogue, TreeCache
from channels.state_store import StateStore
from hotline import conversation_log
from hotline.bootstrap import ensure_content
from hotline.db import transaction, utcnow
from intents import versions
from intents.engine import Input, InputKind
from intents.pack import DEMO_PACK, load_pack
from intents.screening import counts
from intents.screening.flow import What
from specialist_queue import context


@pytest.fixture
def dialogue(sessions: sessionmaker[Session], redis_client: redis.Redis) -> Iterator[Dialogue]:
    ensure_content(sessions, load_demo=True)
    store = StateStore(redis_client, ttl_seconds=600, prefix=f"test-{uuid.uuid4().hex[:8]}")
    yield Dialogue(store, sessions, TreeCache(sessions))


def test_a_published_version_keeps_its_questionnaire(sessions: sessionmaker[Session]) -> None:
    tree = load_pack(DEMO_PACK)
    with transaction(sessions) as session:
        versions.save_draft(session, tree=tree, author="admin")
        published = versions.publish(session, author="admin", note="with a questionnaire")
    with sessions() as session:
        loaded = versions.load(session, version_id=published.id)
        draft = versions.get_draft(session)
        assert draft is not None
        from_draft = versions.to_tree(draft)
    assert loaded is not None and loaded.screenings == tree.screenings == from_draft.screenings


def tally(sessions: sessionmaker[Session]) -> dict[tuple[str, str, str], int]:
    now = utcnow()
    with sessions() as session:
        found = counts.totals(session, start=now - timedelta(days=1), end=now + timedelta(days=1))
    return {(t.what.value, t.intent, t.channel): t.count for t in found}


def test_answers_stay_out_of_the_log_and_are_counted_once(dialogue: Dialogue, sessions: sessionmaker[Session]) -> None:
    cid = dialogue.start(channel="web", lang="uk").conversation_id
    dialogue.handle(cid, Input(InputKind.BUTTON, value="benefit_screening"), turn="t0")
    answers = ["нас троє", "так", "1", "так", "ні", "менший", "ні", "ні", "ні", "важко"]
    for step, said in enumerate(answers, start=1):
        first = dialogue.handle(cid, Input(InputKind.TEXT, value=said), turn=f"t{step}")
    again = dialogue.handle(cid, Input(InputKind.TEXT, value=answers[-1]), turn=f"t{len(answers)}")  # a retry
    assert again == first
    assert "Допомога малозабезпеченим сім'ям" in first.last.text_long
    with sessions() as session:
        events = conversation_log.events(session, conversation_id=cid)
    logged = " ".join(e.text for e in events)
    assert "троє" not in logged and "менший" not in logged and "малозабезпеченим" not in logged
    private = [e for e in events if e.data.get("screening")]
    assert len(private) == 2 * len(answers)  # each answer and each reply to it, without their words
    assert any(e.kind == "citizen_button" and e.text == "benefit_screening" for e in events)  # choosing it is no answer
    assert not any(e.kind == SCREENING_ANSWERS for e in events)  # nobody asked for a specialist
    assert tally(sessions) == {
        ("started", "benefit_screening", "web"): 1,
        ("completed", "benefit_screening", "web"): 1,
        ("suggested", "birth_grant", "web"): 1,
        ("suggested", "low_income_aid", "web"): 1,
        ("suggested", "housing_subsidy_apply", "web"): 1,
    }


def test_a_specialist_gets_the_answers_on_the_screen(dialogue: Dialogue, sessions: sessionmaker[Session]) -> None:
    cid = dialogue.start(channel="phone", lang="uk").conversation_id
    dialogue.handle(cid, Input(InputKind.DIGIT, value="7"))
    dialogue.handle(cid, Input(InputKind.DIGIT, value="1"))
    dialogue.handle(cid, Input(InputKind.SPEECH, value="четверо", confidence=0.9))
    dialogue.handle(cid, Input(InputKind.DIGIT, value="1"))
    handed = dialogue.handle(cid, Input(InputKind.DIGIT, value="0"))
    assert handed.handoff_requested is not None and handed.handoff_requested.reason == "benefit_screening"
    with sessions() as session:
        shown = context.build(session, cid, dialogue.trees.get(dialogue.trees.current_version()), "uk")
    assert shown is not None
    assert shown["screening"] == [
        {"question": "Скільки людей у вашій родині, разом з вами? Рахуйте тих, хто живе разом.", "answer": "4"},
        {"question": "Чи є у родині діти до 18 років?", "answer": "Так"},
    ]
    said = [turn["text"] for turn in shown["transcript"] if turn["who"] == "citizen"]
    assert "четверо" not in said
    assert tally(sessions)[(What.STARTED.value, "benefit_screening", "phone")] == 1
