"""Canned replies: ready answers the admins write per language (title, text, and optionally the queue they are
for), which a specialist inserts into a reply by typing "/" and a few letters of the title or the text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.db import Base, utcnow

MOST = 200  # replies per language the console receives; an office keeps far fewer


class CannedReply(Base):
    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), index=True)
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    queue: Mapped[str | None] = mapped_column(String(63), default=None)  # a skill; None: for every queue
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def all_replies(session: Session) -> list[CannedReply]:
    return list(session.scalars(select(CannedReply).order_by(CannedReply.lang, CannedReply.title)))


def for_console(session: Session, *, lang: str, skill: str | None) -> list[dict[str, str | int | None]]:
    """The replies in a conversation's language: those of its queue first, then those for every queue."""
    found = session.scalars(select(CannedReply).where(CannedReply.lang == lang).order_by(CannedReply.title))
    mine = [r for r in found if r.queue in (None, skill)]
    mine.sort(key=lambda r: r.queue is None)
    return [{"id": r.id, "title": r.title, "text": r.text, "queue": r.queue} for r in mine[:MOST]]


def create(session: Session, *, lang: str, title: str, text: str, queue: str | None) -> CannedReply:
    reply = CannedReply(lang=lang, title=title, text=text, queue=queue)
    session.add(reply)
    session.flush()
    return reply


def delete(session: Session, reply_id: int) -> CannedReply | None:
    reply = session.get(CannedReply, reply_id)
    if reply is not None:
        session.delete(reply)
    return reply
