"""Turns and queue events the database could not take, kept in Redis in the order they happened, and written
once it is back.

A turn is written to SQL inside the request, as always (docs/ARCHITECTURE.md: the log never lags).
Only when that write fails because the database cannot be reached does the turn go to a Redis stream
instead, and the citizen still gets the answer (the state is in Redis already). One node at a time
(the `pending-log` lease) writes the stream back in order, a batch per transaction, and deletes what
it wrote only after the commit; the insert skips turns already there (`conversation_log.write_turns`),
so a batch written twice — the node died between the commit and the delete — is still in SQL once. A
conversation started meanwhile keeps its row here too, before its first turn, and the insert skips a row already
there (`conversation_log.write_started`). A queue
event (the live queue works from Redis alone: a citizen who asks for a person is queued and offered) gets a
key when it is kept, and the insert skips a key already written, for the same reason.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import redis
from anyio import to_thread
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from hotline.conversation_log import Started, Turn, write_started, write_turns
from hotline.db import UNREACHABLE, transaction
from hotline.leases import Lease, Periodic
from hotline.queue_log import QueueEvent

BATCH = 200
FLUSH_SECONDS = 1.0


class PendingLog:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.key = f"{prefix}:pending-sql"

    def keep(self, turn: Turn) -> None:
        """Keep a turn the database could not take."""
        self.client.xadd(self.key, {"turn": _dump(turn)})

    def keep_start(self, started: Started) -> None:
        """Keep a conversation's row the database could not take (before its first turn: written first)."""
        self.client.xadd(self.key, {"start": _dump_start(started)})

    def keep_queue_events(self, events: Sequence[QueueEvent]) -> None:
        """Keep queue events the database could not take (each with its key: written back once)."""
        rows = [_queue_row(event) for event in events]
        if rows:
            self.client.xadd(self.key, {"queue": json.dumps(rows, ensure_ascii=False)})

    def waiting(self) -> int:
        """How many conversations' rows, turns and batches of queue events wait for the database."""
        return int(self.client.xlen(self.key))

    def flush(self, sessions: sessionmaker[Session]) -> int:
        """Write what waits, oldest first, until none is left; how many entries were written (raises while the
        database is still unreachable, leaving them waiting)."""
        written = 0
        while entries := self.client.xrange(self.key, count=BATCH):
            with transaction(sessions) as session:
                connection = session.connection()
                turns: list[Turn] = []
                # In order: a conversation's row before its turns, a queue event after the turn that asked for a person.
                for _, kept in entries:
                    fields = kept or {}
                    if "turn" in fields:
                        turns.append(_load(str(fields["turn"])))
                        continue
                    write_turns(connection, turns)
                    turns = []
                    if "start" in fields:
                        write_started(connection, [_load_start(str(fields["start"]))])
                    else:
                        _write_queue_events(connection, json.loads(str(fields["queue"])))
                write_turns(connection, turns)
            self.client.xdel(self.key, *(str(entry_id) for entry_id, _ in entries))
            written += len(entries)
        return written


def _dump(turn: Turn) -> str:
    return json.dumps(
        {
            "conversation_id": turn.conversation_id,
            "step": turn.step,
            "at": turn.at.isoformat(),
            "events": turn.events,
            "lang": turn.lang,
            "handoff_queue": turn.handoff_queue,
            "seq": turn.seq,
        },
        ensure_ascii=False,
    )


def _load(raw: str) -> Turn:
    data: dict[str, Any] = json.loads(raw)
    return Turn(**{**data, "at": datetime.fromisoformat(data["at"])})


def _dump_start(started: Started) -> str:
    return json.dumps({**asdict(started), "at": started.at.isoformat()}, ensure_ascii=False)


def _load_start(raw: str) -> Started:
    data: dict[str, Any] = json.loads(raw)
    return Started(**{**data, "at": datetime.fromisoformat(data["at"])})


QUEUE_COLUMNS = ("event", "conversation_id", "channel", "queue", "lang", "priority", "operator_id", "wait_seconds")


def _queue_row(event: QueueEvent) -> dict[str, Any]:
    row = {name: getattr(event, name) for name in QUEUE_COLUMNS}
    return {**row, "at": event.at.isoformat(), "data": event.data or {}, "pending_key": uuid.uuid4().hex}


def _write_queue_events(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    values = [{**row, "at": datetime.fromisoformat(row["at"])} for row in rows]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(QueueEvent).on_conflict_do_nothing(index_elements=["pending_key"]), values)


def flusher(pending: PendingLog, sessions: sessionmaker[Session], lease: Lease) -> Periodic:
    """Every FLUSH_SECONDS, on the node holding `lease`: write what waits, if the database takes it now."""

    def work() -> None:
        with contextlib.suppress(*UNREACHABLE):  # still down: the next round tries again (/readyz says how many)
            pending.flush(sessions)

    return Periodic(lease, lambda _: to_thread.run_sync(work), every=FLUSH_SECONDS)
