"""A call is a conversation: CallSid → conversation id in Redis (SQL as the fallback), and call events in SQL.

A call's own events (queue, callback request, voice message, end: `hotline.call_events`) sit at one step no
dialogue reaches, one `seq` per kind, so the conversation log's unique (conversation, step, seq) makes every write
idempotent: a retried Twilio callback writes nothing twice and never takes a step the dialogue needs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy import Insert, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hotline.call_events import CALL_STEP, CallEvent
from hotline.conversation_log import Conversation, ConversationEvent, Turn
from hotline.db import UNREACHABLE, transaction, utcnow
from hotline.pending_log import PendingLog

CHANNEL = "phone"
PENDING = "-"
START_WAIT_SECONDS = 5.0
FIRST_STEP = 1  # the step of a call's first question (its answer comes back to /gather?step=1)
WENT_ON = "went-on"  # kept instead of the first answer once it was answered


_SEQ = {kind: seq for seq, kind in enumerate(CallEvent, start=1)}


@dataclass(frozen=True)
class CallRecord:
    """The call's conversation and the tree version it runs on (kept with it, so a turn needs no other read)."""

    conversation_id: str
    tree_version: int | None = None

    def encode(self) -> str:
        return f"{self.conversation_id} {self.tree_version or ''}".strip()

    @classmethod
    def decode(cls, raw: str) -> CallRecord:
        conversation_id, _, version = raw.partition(" ")
        return cls(conversation_id, int(version) if version else None)


class Calls:
    """Where a call's conversation is, what the caller first heard, and what happened to the call."""

    def __init__(
        self,
        client: redis.Redis,
        sessions: sessionmaker[Session],
        prefix: str,
        ttl_seconds: int,
        pending: PendingLog | None = None,
    ) -> None:
        self.client = client
        self.sessions = sessions
        self.pending = pending  # where a call event waits while the database is unreachable
        self.prefix = prefix
        self.ttl = ttl_seconds

    def _key(self, call_sid: str, part: str = "") -> str:
        return f"{self.prefix}:call:{call_sid}" + (f":{part}" if part else "")

    def find(self, call_sid: str) -> CallRecord | None:
        """The call's conversation: Redis first, then SQL (after Redis lost it), waiting out a start in flight."""
        deadline = time.monotonic() + START_WAIT_SECONDS
        while (found := self.client.get(self._key(call_sid))) == PENDING and time.monotonic() < deadline:
            time.sleep(0.05)  # another request is starting this very call: its answer is moments away
        if found and found != PENDING:
            return CallRecord.decode(str(found))
        with self.sessions() as session:
            row = session.execute(
                select(Conversation.id, Conversation.tree_version)
                .where(Conversation.channel == CHANNEL, Conversation.external_id == call_sid)
                .order_by(Conversation.started_at.desc())
            ).first()
        if row is None:
            return None
        record = CallRecord(row.id, row.tree_version)
        self.client.set(self._key(call_sid), record.encode(), ex=self.ttl)
        return record

    def claim(self, call_sid: str) -> bool:
        """True for the one request that may start this call's conversation."""
        return bool(self.client.set(self._key(call_sid), PENDING, nx=True, ex=int(START_WAIT_SECONDS) * 2))

    def release(self, call_sid: str) -> None:
        """Give up a claim whose start failed, so a retry can start the call."""
        self.client.delete(self._key(call_sid))

    def remember(self, call_sid: str, record: CallRecord, first_answer: str) -> None:
        with self.client.pipeline() as pipe:
            pipe.set(self._key(call_sid), record.encode(), ex=self.ttl)
            pipe.set(self._key(call_sid, "first"), first_answer, ex=self.ttl)
            pipe.execute()

    def first_answer(self, call_sid: str) -> str | None:
        """The TwiML the call was first answered with, for a retried incoming-call webhook; WENT_ON once the
        caller answered it (Twilio retries no more: an incoming call with this CallSid is a new call)."""
        found = self.client.get(self._key(call_sid, "first"))
        return None if found is None else str(found)

    def went_on(self, call_sid: str) -> None:
        """The caller answered the first question: its TwiML is needed no more."""
        self.client.set(self._key(call_sid, "first"), WENT_ON, ex=self.ttl)

    def last_announced(self, call_sid: str) -> int | None:
        found = self.client.get(self._key(call_sid, "announced"))
        return None if found is None else int(found)

    def announced(self, call_sid: str, position: int) -> None:
        self.client.set(self._key(call_sid, "announced"), position, ex=self.ttl)

    def record(self, conversation_id: str, kind: CallEvent, data: dict[str, Any], text: str = "") -> bool:
        """Write a call event once; False when it was written before (a retried callback). While the database is
        unreachable it waits in Redis with the call's turns (`hotline.pending_log`), written once when it is back."""
        try:
            with transaction(self.sessions) as session:
                session.execute(_event(conversation_id, kind, data, text))
        except IntegrityError:
            return False
        except UNREACHABLE:
            if self.pending is None:
                raise
            event = {"kind": kind.value, "text": text, "data": data}
            self.pending.keep(Turn(conversation_id, CALL_STEP, utcnow(), [event], seq=_SEQ[kind]))
        return True

    def events(self, conversation_id: str) -> dict[CallEvent, dict[str, Any]]:
        """The call events written so far: each kind's data."""
        with self.sessions() as session:
            rows = session.execute(
                select(ConversationEvent.kind, ConversationEvent.data).where(
                    ConversationEvent.conversation_id == conversation_id, ConversationEvent.step == CALL_STEP
                )
            )
            return {CallEvent(row.kind): row.data for row in rows}

    def end(self, conversation_id: str, data: dict[str, Any]) -> bool:
        """Record the end of the call and close its conversation (once)."""
        try:
            with transaction(self.sessions) as session:
                session.execute(_event(conversation_id, CallEvent.ENDED, data))
                session.execute(update(Conversation).where(Conversation.id == conversation_id).values(ended=True))
        except IntegrityError:
            return False
        return True


def _event(conversation_id: str, kind: CallEvent, data: dict[str, Any], text: str = "") -> Insert:
    """The event's INSERT (a statement, not an ORM object: a status callback is one of a call's busiest requests)."""
    return insert(ConversationEvent).values(
        conversation_id=conversation_id, step=CALL_STEP, seq=_SEQ[kind], kind=kind.value, text=text, data=data
    )
