"""A conversation's chat messages and notes as both sides write and read them: in SQL, and while the database is
unreachable, kept in Redis and written once it is back (`hotline.pending_log`), in order with the rest.

A kept message gets now the id it will have in SQL, so the citizen's page, the console and the messengers see
one id for it before and after: above every id the live queue has seen SQL give (`keys.CHAT_ID_GAP` more, for
one given while a node died before telling Redis), one more than the last kept. Written back with that id (or the
next free one, if SQL gave it meanwhile to a message Redis never heard of), skipping one already there (by its
client id: every kept message has one); on PostgreSQL the id sequence then moves past it. While the pending log
holds anything about the conversation, a new message goes behind it, so ids keep the order it was written in.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import UNREACHABLE, utcnow
from hotline.pending_log import Kind, PendingLog, Rows
from specialist_queue import chat, keys

KIND = "chat"  # its records' name in the pending log


class Messages:
    def __init__(
        self, client: redis.Redis, prefix: str, sessions: sessionmaker[Session], pending: PendingLog | None
    ) -> None:
        self.client = client
        self.base = keys.base(prefix)
        self.sessions = sessions
        self.pending = pending
        self._next_id = client.register_script(keys.NEXT_CHAT_ID)
        self._seen_id = client.register_script(keys.SEEN_CHAT_ID)
        if pending is not None:
            pending.register(KIND, Kind(write=write, written=self._written))

    def add(
        self,
        *,
        conversation_id: str,
        sender: chat.Sender,
        text: str,
        operator_id: int | None = None,
        client_id: str | None = None,
    ) -> chat.ChatMessage:
        """Store a message (a repeated client id gives the first one back): in SQL, committed when this returns;
        while the database is unreachable, or the pending log holds something about the conversation (the message
        goes behind it), kept in Redis until it is written."""
        row = {"conversation_id": conversation_id, "sender": sender.value, "text": text, "operator_id": operator_id}
        if self.pending is not None and self.pending.holds([conversation_id]) and (kept := self._keep(row, client_id)):
            return kept
        try:
            message = chat.add(
                self.sessions,
                conversation_id=conversation_id,
                sender=sender,
                text=text,
                operator_id=operator_id,
                client_id=client_id,
            )
        except UNREACHABLE:
            if self.pending is None or (kept := self._keep(row, client_id)) is None:
                raise  # no id is known for it (nothing written since Redis started): it waits for the database
            return kept
        self._seen_id(args=[self.base, message.id])
        return message

    def prime(self) -> None:
        """Tell Redis the highest id SQL has given (at start, and when Redis lost its data), so a message kept
        before any is written gets an id of its own."""
        with self.sessions() as session:
            top = session.scalar(select(func.max(chat.ChatMessage.id)))
        self._seen_id(args=[self.base, top or 0])

    def since(self, conversation_id: str, *, after: int = 0) -> list[chat.ChatMessage]:
        """The conversation's messages after the id `after`, oldest first, each once: SQL's and those kept (only
        those while the database is unreachable)."""
        kept = [m for m in self._kept(conversation_id) if m.id > after]  # first: one written meanwhile is in SQL
        try:
            with self.sessions() as session:
                stored = chat.since(session, conversation_id=conversation_id, after=after)
        except UNREACHABLE:
            stored = []
        found = {m.id: m for m in kept} | {m.id: m for m in stored}
        return [found[i] for i in sorted(found)]

    def _keep(self, row: dict[str, Any], client_id: str | None) -> chat.ChatMessage | None:
        assert self.pending is not None
        conversation_id = str(row["conversation_id"])
        reply = self._next_id(args=[self.base, conversation_id, client_id or ""])
        if not reply:
            return None
        if reply[0] == "found":
            return _message(json.loads(reply[1]))
        client_id = client_id or f"kept-{uuid.uuid4().hex}"
        full = {**row, "id": int(reply[1]), "client_id": client_id, "at": utcnow().isoformat()}
        self.pending.keep_row(KIND, full)
        raw = json.dumps(full, ensure_ascii=False)
        self.client.hset(self._kept_key(conversation_id), mapping={str(full["id"]): raw, f"c:{client_id}": full["id"]})
        return _message(full)

    def _kept(self, conversation_id: str) -> list[chat.ChatMessage]:
        found = self.client.hgetall(self._kept_key(conversation_id))
        return [_message(json.loads(raw)) for name, raw in found.items() if not str(name).startswith("c:")]

    def _written(self, rows: Rows) -> None:
        for row in rows:
            self.client.hdel(self._kept_key(row["conversation_id"]), str(row["id"]), f"c:{row['client_id']}")

    def _kept_key(self, conversation_id: str) -> str:
        return keys.kept_chat(self.base, conversation_id)


def write(connection: Connection, rows: Rows) -> None:
    """Write kept messages with their ids, skipping one already there; on PostgreSQL move the id sequence past them."""
    for row in rows:
        mine = (
            chat.ChatMessage.conversation_id == row["conversation_id"],
            chat.ChatMessage.client_id == row["client_id"],
        )
        if connection.scalar(select(chat.ChatMessage.id).where(*mine)) is not None:
            continue
        values = {**row, "at": datetime.fromisoformat(row["at"])}
        if connection.scalar(select(chat.ChatMessage.id).where(chat.ChatMessage.id == row["id"])) is not None:
            del values["id"]  # SQL gave it to a message the live queue never heard of: this one takes the next
        connection.execute(insert(chat.ChatMessage), values)
    if rows and connection.dialect.name == "postgresql":
        sequence = "pg_get_serial_sequence('chat_messages', 'id')"
        top = max(int(row["id"]) for row in rows)
        connection.execute(text(f"SELECT setval({sequence}, GREATEST(:top, nextval({sequence})))"), {"top": top})


def _message(row: dict[str, Any]) -> chat.ChatMessage:
    return chat.ChatMessage(**{**row, "at": datetime.fromisoformat(row["at"])})
