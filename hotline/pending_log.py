"""Turns the database could not take, kept in Redis in the order they happened, and written once it is back.

A turn is written to SQL inside the request, as always (docs/ARCHITECTURE.md: the log never lags).
Only when that write fails because the database cannot be reached does the turn go to a Redis stream
instead, and the citizen still gets the answer (the state is in Redis already). One node at a time
(the `pending-log` lease) writes the stream back in order, a batch per transaction, and deletes what
it wrote only after the commit; the insert skips turns already there (`conversation_log.write_turns`),
so a batch written twice — the node died between the commit and the delete — is still in SQL once.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any

import redis
from anyio import to_thread
from sqlalchemy import exc
from sqlalchemy.orm import Session, sessionmaker

from hotline.conversation_log import Turn, write_turns
from hotline.db import transaction
from hotline.leases import Lease, Periodic

# The database is unreachable (refused, reset, timed out): what a request keeps for later, not a bug.
UNREACHABLE = (exc.OperationalError, exc.InterfaceError)
BATCH = 200
FLUSH_SECONDS = 1.0


class PendingLog:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.key = f"{prefix}:pending-sql"

    def keep(self, turn: Turn) -> None:
        """Keep a turn the database could not take."""
        self.client.xadd(self.key, {"turn": _dump(turn)})

    def waiting(self) -> int:
        """How many turns wait for the database."""
        return int(self.client.xlen(self.key))

    def flush(self, sessions: sessionmaker[Session]) -> int:
        """Write the waiting turns, oldest first, until none is left; how many were written (raises while the
        database is still unreachable, leaving them waiting)."""
        written = 0
        while entries := self.client.xrange(self.key, count=BATCH):
            with transaction(sessions) as session:
                write_turns(session.connection(), [_load(str((fields or {})["turn"])) for _, fields in entries])
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
        },
        ensure_ascii=False,
    )


def _load(raw: str) -> Turn:
    data: dict[str, Any] = json.loads(raw)
    return Turn(**{**data, "at": datetime.fromisoformat(data["at"])})


def flusher(pending: PendingLog, sessions: sessionmaker[Session], lease: Lease) -> Periodic:
    """Every FLUSH_SECONDS, on the node holding `lease`: write what waits, if the database takes it now."""

    def work() -> None:
        with contextlib.suppress(*UNREACHABLE):  # still down: the next round tries again (/readyz says how many)
            pending.flush(sessions)

    return Periodic(lease, lambda _: to_thread.run_sync(work), every=FLUSH_SECONDS)
