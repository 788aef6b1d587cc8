"""What every chat channel shares, on the web chat (Viber's side: tests/viber): the abuse screen (a warning,
then a block; only masked words are kept), the rating after a specialist closed the conversation, the
phone's transcripts screened the same way, and privacy's retention reaching the shared records."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from channels.chat import service as chat_records
from channels.chat.models import ChatAbuse, ChatBlock, ChatRating
from channels.chat.service import Citizen
from hotline import conversation_log, users
from hotline.app import create_app
from hotline.db import transaction, utcnow
from hotline.settings import Settings
from intents.engine import Input, InputKind
from specialist_queue.model import OperatorState

SESSIONS = "/api/chat/sessions"


def _say(client: TestClient, session_id: str, **message: str) -> dict[str, Any]:
    answer = client.post(f"{SESSIONS}/{session_id}/messages", json=message)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _log(client: TestClient, session_id: str) -> list[str]:
    with client.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        return [e.text or "" for e in conversation_log.events(session, conversation_id=session_id)]


def test_the_web_chat_warns_then_blocks_abuse_and_keeps_only_masked_words(client: TestClient) -> None:
    session_id = client.post(SESSIONS, json={"lang": "uk"}).json()["session_id"]
    warned = _say(client, session_id, text="Ви всі ідіоти, де моя субсидія", message_id="m1")
    [note] = warned["replies"]
    assert "без лайки" in note["text"] and note["buttons"] == [] and note["intent"] is None
    assert "без лайки" in _say(client, session_id, text="Ви всі ідіоти", message_id="m1")["replies"][0]["text"]
    assert "обмежено" in _say(client, session_id, text="Ідіоти!!!", message_id="m2")["replies"][0]["text"]
    assert "обмежено" in _say(client, session_id, text="Як оформити субсидію?")["replies"][0]["text"]
    log = _log(client, session_id)
    assert "Ви всі і*****, де моя субсидія" in log and "І*****!!!" in log
    assert not any("ідіот" in text.lower() for text in log)
    with client.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        abuse = chat_records.abuse_of(session, citizen=Citizen("web", session_id))
        block = chat_records.get_active_block(session, citizen=Citizen("web", session_id))
    assert [a.action for a in abuse] == ["warned", "blocked"] and block is not None and block.sample == "І*****!!!"


@pytest.fixture
def open_client(settings: Settings) -> Iterator[TestClient]:
    """The app with the office open round the clock: who is on shift decides, not the hour the test runs at."""
    with TestClient(create_app(settings.model_copy(update={"office_hours": "mon-sun 00:00-24:00"}))) as found:
        yield found


def test_a_web_chat_rates_the_specialist_once_after_closing(open_client: TestClient) -> None:
    client = open_client
    parts: Any = client.app.state.parts  # type: ignore[attr-defined]
    session_id = client.post(SESSIONS, json={"lang": "uk"}).json()["session_id"]
    assert _say(client, session_id, button="rate:5")["replies"][0]["text"] != "Дякуємо за оцінку!"  # nothing to rate
    _say(client, session_id, button="operator")
    with transaction(parts.sessions) as session:
        operator_id = users.create(
            session, username=f"op-{time.monotonic_ns()}", password="s3cret-pass", role=users.Role.OPERATOR
        ).id
    parts.specialists.desk.set_state(operator_id, OperatorState.AVAILABLE)
    asyncio.run(parts.specialists.desk.accept(operator_id, session_id))
    assert _say(client, session_id, text="Дякую, все зрозуміло")["specialist"] is True
    parts.specialists.desk.close(operator_id, session_id)
    rated = _say(client, session_id, button="rate:4", message_id="r1")["replies"]
    assert rated[0]["text"].startswith("Дякуємо за оцінку") and rated[-1]["buttons"]  # and the menu again
    _say(client, session_id, button="rate:1", message_id="r2")
    with parts.sessions() as session:
        rating = chat_records.get_rating(session, conversation_id=session_id)
    assert rating is not None and (rating.channel, rating.user_id, rating.score) == ("web", session_id, 4)


def test_what_speech_recognition_heard_is_screened_before_anyone_reads_it(client: TestClient) -> None:
    parts: Any = client.app.state.parts  # type: ignore[attr-defined]
    started = parts.dialogue.start(channel="phone", lang="ru", external_id="CA" + "5" * 32)
    parts.dialogue.handle(started.conversation_id, Input(InputKind.SPEECH, value="вы там идиоты", confidence=0.8))
    assert "вы там и*****" in _log(client, started.conversation_id)


def test_retention_forgets_abuse_raters_and_lifted_blocks_but_not_active_blocks(
    sessions: sessionmaker[Session],
) -> None:
    old, now = utcnow() - timedelta(days=400), utcnow()
    with transaction(sessions) as session:
        session.add(conversation_log.Conversation(id="c-old", channel="viber", lang="uk", external_id="u9"))
        session.flush()  # before the records that name it
        mine = {"channel": "viber", "user_id": "u9", "conversation_id": "c-old", "masked": "x"}
        session.add_all([
            ChatAbuse(at=old, message_id="1", action="warned", **mine),
            ChatAbuse(at=now, message_id="2", action="blocked", **mine),
            ChatBlock(channel="viber", user_id="u9", reason="repeated_abuse", blocked_at=old, lifted_at=old),
            ChatBlock(channel="viber", user_id="u9", reason="repeated_abuse", blocked_at=old),
            ChatRating(conversation_id="c-old", channel="viber", user_id="u9", score=3, at=old),
        ])  # fmt: skip
    with transaction(sessions) as session:
        assert chat_records.forget(session, end=now - timedelta(days=90)) == 3
    with sessions() as session:
        assert [a.message_id for a in session.query(ChatAbuse)] == ["2"]
        assert [b.lifted_at for b in session.query(ChatBlock)] == [None]
        assert [(r.user_id, r.score) for r in session.query(ChatRating)] == [("", 3)]
