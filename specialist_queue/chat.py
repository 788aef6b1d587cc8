"""Messages between a citizen and a specialist, stored in SQL before either side is told "sent" (while the database
is unreachable, kept in Redis until it is back: `specialist_queue.messages`); and, beside
them, the specialists' private notes and a supervisor's whispers (only `OPERATOR` messages reach the citizen).

Ordered by id; a message resent with the same client id is stored once.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from hotline.db import Base, transaction, utcnow


class Sender(StrEnum):
    CITIZEN = "citizen"
    OPERATOR = "operator"
    NOTE = "note"  # the specialist's private note: never shown to the citizen
    WHISPER = "whisper"  # a supervisor's word to the specialist holding it: never shown to the citizen


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("conversation_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    sender: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    text: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64), default=None)


def add(
    sessions: sessionmaker[Session],
    *,
    conversation_id: str,
    sender: Sender,
    text: str,
    operator_id: int | None = None,
    client_id: str | None = None,
) -> ChatMessage:
    """Store a message (committed when this returns); a repeated client id returns the first one."""
    try:
        with transaction(sessions) as session:
            message = ChatMessage(
                conversation_id=conversation_id,
                sender=sender.value,
                text=text,
                operator_id=operator_id,
                client_id=client_id,
            )
            session.add(message)
        return message
    except IntegrityError:
        if client_id is None:
            raise
    with sessions() as session:
        found = session.scalar(
            select(ChatMessage).where(
                ChatMessage.conversation_id == conversation_id, ChatMessage.client_id == client_id
            )
        )
    if found is None:
        raise LookupError(f"message {client_id!r} of {conversation_id} vanished")
    return found


def since(session: Session, *, conversation_id: str, after: int = 0) -> list[ChatMessage]:
    """The conversation's messages with an id above `after`, oldest first."""
    return list(
        session.scalars(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conversation_id, ChatMessage.id > after)
            .order_by(ChatMessage.id)
        )
    )


def forget(session: Session, *, end: datetime, conversation_ids: Collection[str] | None = None) -> int:
    """Delete messages written before `end` (of `conversation_ids`, or all); returns how many."""
    where = [ChatMessage.at < end]
    if conversation_ids is not None:
        where.append(ChatMessage.conversation_id.in_(conversation_ids))
    return int(session.execute(delete(ChatMessage).where(*where)).rowcount or 0)  # type: ignore[attr-defined]
