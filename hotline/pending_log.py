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
key when it is kept, and the insert skips a key already written, for the same reason. So does the end of a
call (`hotline.call_events.CallEnd`): what it says about the wait is read from the call's events when it is
written, after everything kept before it.

While the stream holds anything about a conversation (its row, a turn, an event), every other write about it goes
behind, into the stream (`write_or_keep`): in the second after the database returns, before the stream is written,
a queue event about a conversation whose row still waits would otherwise break the foreign key, and a call's end
would be written before the events it sums up. A Redis hash names each conversation's newest kept entry; the
flusher drops a name once that entry is written, in the same script that deletes the entries.

Another package's records (a chat message: `specialist_queue.messages`) go in the same stream, in order, written
by what it `register`ed.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TypeVar

import redis
from anyio import to_thread
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from hotline.call_events import CallEnd, write_end
from hotline.conversation_log import Started, Turn, write_started, write_turns
from hotline.db import UNREACHABLE, transaction
from hotline.leases import Lease, Periodic
from hotline.queue_log import QueueEvent

T = TypeVar("T")
BATCH = 200
FLUSH_SECONDS = 1.0
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    """Another package's records kept here (`PendingLog.register`): `write` puts them in SQL inside the flush's
    transaction (skipping any already there), `written` hears of them once that is committed. Each is about the
    conversation its `conversation_id` names."""

    write: Callable[[Connection, Rows], None]
    written: Callable[[Rows], None]


# KEYS: stream, held; ARGV: field, value, the conversations it is about → the entry's id.
_KEEP = """
local id = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[2])
for i = 3, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], id) end
return id
"""
# KEYS: stream, held; ARGV: how many ids, the ids written, then (conversation, its newest id written) pairs.
# A conversation is held no more once its newest kept entry is written; an empty stream holds nothing.
_WRITTEN = """
local count = tonumber(ARGV[1])
redis.call('XDEL', KEYS[1], unpack(ARGV, 2, count + 1))
for i = count + 2, #ARGV, 2 do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[i + 1] then redis.call('HDEL', KEYS[2], ARGV[i]) end
end
if redis.call('XLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end
return count
"""


class PendingLog:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.key = f"{prefix}:pending-sql"
        self.held_key = f"{self.key}:held"  # conversation → the id of its newest entry in the stream
        self._keep = client.register_script(_KEEP)
        self._written = client.register_script(_WRITTEN)
        self.kinds: dict[str, Kind] = {}
        self._hearers: list[Callable[[set[str]], None]] = []

    def register(self, name: str, kind: Kind) -> None:
        self.kinds[name] = kind

    def when_written(self, hear: Callable[[set[str]], None]) -> None:
        """`hear` is told, after each commit of the flush, the conversations whose kept records were just written:
        what failed meanwhile for want of them (a messenger's closing words, say) can be done now."""
        self._hearers.append(hear)

    def keep_row(self, name: str, row: dict[str, Any]) -> None:
        """Keep a record of a `register`ed kind the database could not take, in order with the rest."""
        self._add(name, json.dumps(row, ensure_ascii=False), [row["conversation_id"]])

    def _add(self, field: str, value: str, conversations: Iterable[str | None]) -> None:
        about = sorted({c for c in conversations if c})
        self._keep(keys=[self.key, self.held_key], args=[field, value, *about])

    def keep(self, turn: Turn) -> None:
        """Keep a turn the database could not take."""
        self._add("turn", _dump(turn), [turn.conversation_id])

    def keep_start(self, started: Started) -> None:
        """Keep a conversation's row the database could not take (before its first turn: written first)."""
        self._add("start", _dump_start(started), [started.conversation_id])

    def keep_queue_events(self, events: Sequence[QueueEvent]) -> None:
        """Keep queue events the database could not take (each with its key: written back once)."""
        rows = [_queue_row(event) for event in events]
        if rows:
            self._add("queue", json.dumps(rows, ensure_ascii=False), [row["conversation_id"] for row in rows])

    def keep_call_end(self, end: CallEnd) -> None:
        """Keep the end of a call (what it says about the wait is read when it is written, after what came before)."""
        self._add("end", _dump_end(end), [end.conversation_id])

    def waiting(self) -> int:
        """How many conversations' rows, turns and batches of queue events wait for the database."""
        return int(self.client.xlen(self.key))

    def holds(self, conversations: Iterable[str | None]) -> bool:
        """Whether the stream holds something about any of these conversations (a write about them goes behind)."""
        about = [c for c in conversations if c]
        if not about:
            return False
        return any(self.client.hmget(self.held_key, about))

    def flush(self, sessions: sessionmaker[Session]) -> int:
        """Write what waits, oldest first, until none is left; how many entries were written (raises while the
        database is still unreachable, leaving them waiting)."""
        written = 0
        while entries := self.client.xrange(self.key, count=BATCH):
            others: list[tuple[Kind, dict[str, Any]]] = []
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
                    elif "end" in fields:
                        write_end(connection, _load_end(str(fields["end"])))
                    elif "queue" in fields:
                        _write_queue_events(connection, json.loads(str(fields["queue"])))
                    else:
                        name, raw = next(iter(fields.items()))
                        kind, row = self.kinds[str(name)], json.loads(str(raw))
                        kind.write(connection, [row])
                        others.append((kind, row))
                write_turns(connection, turns)
            about = self._forget(entries)
            written += len(entries)
            for kind, row in others:
                kind.written([row])
            for hear in self._hearers:
                hear(about)
        return written

    def _forget(self, entries: Sequence[tuple[Any, Any]]) -> set[str]:
        """Delete entries written (after the commit), and stop holding the conversations whose newest they were;
        the conversations they were about."""
        ids = [str(entry_id) for entry_id, _ in entries]
        newest = {conversation: str(entry_id) for entry_id, fields in entries for conversation in _about(fields or {})}
        pairs = [part for conversation, entry_id in newest.items() for part in (conversation, entry_id)]
        self._written(keys=[self.key, self.held_key], args=[len(ids), *ids, *pairs])
        return set(newest)


def _about(fields: dict[str, str]) -> set[str]:
    """The conversations an entry is about (every kind of entry names its `conversation_id`; a batch of queue
    events, each its own)."""
    (raw,) = fields.values()
    data = json.loads(str(raw))
    rows = data if isinstance(data, list) else [data]
    return {str(row["conversation_id"]) for row in rows if row.get("conversation_id")}


def write_or_keep(
    pending: PendingLog | None,
    conversations: Iterable[str | None],
    write: Callable[[], T],
    keep: Callable[[PendingLog], None],
) -> T | None:
    """`write()` to SQL now; or `keep()` it in the stream (None) while the stream holds something about these
    conversations (it must be written first) or the database is unreachable. Without a stream, `write()` alone."""
    about = list(conversations)
    if pending is not None and pending.holds(about):
        keep(pending)
        return None
    try:
        return write()
    except UNREACHABLE:
        if pending is None:
            raise
        keep(pending)
        return None


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


def _dump_end(end: CallEnd) -> str:
    return json.dumps({**asdict(end), "at": end.at.isoformat()}, ensure_ascii=False)


def _load_end(raw: str) -> CallEnd:
    data: dict[str, Any] = json.loads(raw)
    return CallEnd(**{**data, "at": datetime.fromisoformat(data["at"])})


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
