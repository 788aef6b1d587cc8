"""Chat messages kept while the database was unreachable (`specialist_queue.messages`), as the pending log writes
them back: with the id they were shown with, once however often the batch is written, and the next free id for
one whose id SQL gave meanwhile to a message the live queue never heard of; later messages come after them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from hotline.pending_log import Kind, PendingLog
from specialist_queue import chat
from specialist_queue.messages import Messages
from tests.queue.conftest import conversation


@pytest.fixture
def kept(sessions: sessionmaker[Session], redis_client: redis.Redis) -> Iterator[tuple[Messages, PendingLog]]:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    pending = PendingLog(redis_client, prefix)
    yield Messages(redis_client, prefix, sessions, pending), pending
    for key in redis_client.scan_iter(f"{prefix}:*"):
        redis_client.delete(key)


def stored(sessions: sessionmaker[Session], conversation_id: str) -> list[tuple[int, str]]:
    with sessions() as session:
        found = session.execute(
            select(chat.ChatMessage.id, chat.ChatMessage.text)
            .where(chat.ChatMessage.conversation_id == conversation_id)
            .order_by(chat.ChatMessage.id)
        ).all()
    return [(int(i), str(t)) for i, t in found]


def test_kept_messages_keep_their_ids_are_written_once_and_later_ones_follow(
    sessions: sessionmaker[Session], kept: tuple[Messages, PendingLog]
) -> None:
    messages, pending = kept
    talk = conversation(sessions)
    first = messages.add(conversation_id=talk, sender=chat.Sender.OPERATOR, text="до")
    pending.register("probe", Kind(write=lambda *_: None, written=lambda _: None))
    pending.keep_row("probe", {"conversation_id": talk})  # what is written now waits behind it
    one = messages.add(conversation_id=talk, sender=chat.Sender.OPERATOR, text="перше", client_id="c1")
    again = messages.add(conversation_id=talk, sender=chat.Sender.OPERATOR, text="перше", client_id="c1")
    two = messages.add(conversation_id=talk, sender=chat.Sender.CITIZEN, text="друге")
    assert again.id == one.id and first.id < one.id < two.id
    assert [m.text for m in messages.since(talk, after=first.id)] == ["перше", "друге"], "read from Redis"
    assert stored(sessions, talk) == [(first.id, "до")]

    with sessions() as session:  # SQL gave the second's id to a whisper (`chat.add` tells Redis nothing)
        session.add(chat.ChatMessage(id=two.id, conversation_id=talk, sender="whisper", text="шепіт"))
        if session.get_bind().dialect.name == "postgresql":  # as its id sequence would have left it
            session.execute(text("SELECT setval(pg_get_serial_sequence('chat_messages', 'id'), :id)"), {"id": two.id})
        session.commit()
    entries = pending.client.xrange(pending.key)
    pending.flush(sessions)
    for _, fields in entries:  # the same batch written again (the node died before deleting it)
        pending.client.xadd(pending.key, fields)
    pending.flush(sessions)
    later = messages.add(conversation_id=talk, sender=chat.Sender.OPERATOR, text="після")
    found = stored(sessions, talk)
    assert [t for _, t in found] == ["до", "перше", "шепіт", "друге", "після"], "each once, in order"
    assert (one.id, "перше") in found and found[-1] == (later.id, "після")
    assert [m.text for m in messages.since(talk)] == [t for _, t in found], "Redis forgot what SQL has"
