"""A call is a conversation: CallSid → conversation id in Redis (SQL as the fallback), and call events in SQL.

A call's own events (queue, callback request, voice message, end: `hotline.call_events`) sit at one step no
dialogue reaches, one `seq` per kind, so the conversation log's unique (conversation, step, seq) makes every write
idempotent: a retried Twilio callback writes nothing twice and never takes a step the dialogue needs. While the
database is unreachable, or the pending log still holds something about the call, they wait there
(`hotline.pending_log.write_or_keep`), in order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline import call_events
from hotline.call_events import CallEnd, CallEvent
from hotline.conversation_log import Conversation, write_turns
from hotline.db import transaction, utcnow
from hotline.pending_log import PendingLog, write_or_keep

CHANNEL = "phone"
PENDING = "-"
START_WAIT_SECONDS = 5.0
FIRST_STEP = 1  # the step of a call's first question (its answer comes back to /gather?step=1)
WENT_ON = "went-on"  # kept instead of the first answer once it was answered


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

    def asked_callback(self, call_sid: str) -> None:
        """The caller asked to be called back: remembered with the call, so its end in the queue needs no SQL."""
        self.client.set(self._key(call_sid, "callback"), 1, ex=self.ttl)

    def callback_asked(self, call_sid: str, conversation_id: str) -> bool:
        """Whether the caller asked to be called back: Redis knows (while the database is away too), SQL after
        Redis lost it."""
        if self.client.exists(self._key(call_sid, "callback")):
            return True
        return CallEvent.CALLBACK_REQUESTED in self.events(conversation_id)

    def record(self, conversation_id: str, kind: CallEvent, data: dict[str, Any], text: str = "") -> bool:
        """Write a call event once; False when it was written before (a retried callback). While the database is
        unreachable it waits in Redis with the call's turns (`hotline.pending_log`), written once when it is back."""
        turn = call_events.event(conversation_id, kind, utcnow(), data, text)

        def write() -> bool:
            with transaction(self.sessions) as session:
                return bool(write_turns(session.connection(), [turn]))

        return write_or_keep(self.pending, [conversation_id], write, lambda pending: pending.keep(turn)) is not False

    def events(self, conversation_id: str) -> dict[CallEvent, dict[str, Any]]:
        """The call events written so far: each kind's data."""
        with self.sessions() as session:
            return call_events.events(session.connection(), conversation_id)

    def end(self, end: CallEnd) -> bool:
        """Record the end of the call and close its conversation (once; False when recorded before). While the
        database is unreachable it waits behind the call's events, and is summed up from them when written."""

        def write() -> bool:
            with transaction(self.sessions) as session:
                return call_events.write_end(session.connection(), end)

        written = write_or_keep(self.pending, [end.conversation_id], write, lambda pending: pending.keep_call_end(end))
        return written is not False
