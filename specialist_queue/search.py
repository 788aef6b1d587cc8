"""Searching conversations for specialists and supervisors: by date, channel, queue, intent, operator, phone number
or words, newest first, a page at a time.

Everything is read from the conversation's own record: its row, its events (the robot's turns, the citizen's words
and keys, a call's numbers), its chat messages (citizen, specialist, notes) and its queue events (the queue, who
took it, a callback's number, the wrap-up's intent). Every value is a bound parameter; `words` and `phone` are
matched as literal text (`%` and `_` mean themselves). Case: PostgreSQL's and SQLite's `LIKE` differ on Cyrillic
(SQLite folds only ASCII), so `words` is looked for as written, in lower case, capitalised and in capitals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, Text, cast, func, or_, select
from sqlalchemy.orm import Session

from hotline.conversation_log import Conversation, ConversationEvent
from hotline.queue_log import QueueEvent, QueueEventKind
from specialist_queue.chat import ChatMessage
from specialist_queue.context import iso

PAGE_SIZE = 20


@dataclass(frozen=True)
class Filters:
    """What to look for; None (or empty) means any. Dates are whole days in the office's time zone."""

    start: date | None = None
    end: date | None = None
    channel: str | None = None
    skill: str | None = None  # a queue's skill: any of its languages
    intent: str | None = None  # matched by the robot, or chosen in the wrap-up
    operator: int | None = None  # took the conversation
    phone: str | None = None
    words: str | None = None
    page: int = 1
    size: int = PAGE_SIZE


@dataclass(frozen=True)
class Page:
    total: int
    results: list[dict[str, Any]]


def search(session: Session, filters: Filters, *, timezone: str, name_of: Callable[[int], str]) -> Page:
    """One page of the conversations that match every filter given, newest first."""
    query = _matching(filters, ZoneInfo(timezone))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    found = list(
        session.scalars(
            query.order_by(Conversation.started_at.desc(), Conversation.id.desc())
            .offset((filters.page - 1) * filters.size)
            .limit(filters.size)
        )
    )
    taken = _taken_by(session, [c.id for c in found])
    return Page(total, [_view(c, taken.get(c.id, []), name_of) for c in found])


def _matching(filters: Filters, zone: ZoneInfo) -> Select[Conversation]:
    where: list[ColumnElement[bool]] = []
    if filters.start is not None:
        where.append(Conversation.started_at >= _midnight(filters.start, zone))
    if filters.end is not None:
        where.append(Conversation.started_at < _midnight(filters.end + timedelta(days=1), zone))
    if filters.channel:
        where.append(Conversation.channel == filters.channel)
    if filters.skill:
        queued = select(QueueEvent.conversation_id).where(
            QueueEvent.queue.startswith(f"{filters.skill}:", autoescape=True)
        )
        where.append(or_(Conversation.handoff_queue == filters.skill, Conversation.id.in_(queued)))
    if filters.intent:
        matched = select(ConversationEvent.conversation_id).where(ConversationEvent.intent == filters.intent)
        wrapped = select(QueueEvent.conversation_id).where(
            QueueEvent.event == QueueEventKind.WRAP_UP.value,
            QueueEvent.data["disposition"].as_string() == filters.intent,
        )
        where.append(or_(Conversation.id.in_(matched), Conversation.id.in_(wrapped)))
    if filters.operator is not None:
        took = select(QueueEvent.conversation_id).where(
            QueueEvent.event == QueueEventKind.CONNECTED.value, QueueEvent.operator_id == filters.operator
        )
        where.append(Conversation.id.in_(took))
    if filters.phone:
        carried = select(ConversationEvent.conversation_id).where(
            cast(ConversationEvent.data, Text).contains(f'"{filters.phone}"', autoescape=True)
        )
        asked = select(QueueEvent.conversation_id).where(
            QueueEvent.event == QueueEventKind.CALLBACK_REQUESTED.value,
            QueueEvent.data["phone"].as_string() == filters.phone,
        )
        where.append(or_(Conversation.id.in_(carried), Conversation.id.in_(asked)))
    if filters.words:
        forms = {filters.words, filters.words.lower(), filters.words.capitalize(), filters.words.upper()}
        said = select(ConversationEvent.conversation_id).where(
            or_(*(ConversationEvent.text.contains(f, autoescape=True) for f in forms))
        )
        written = select(ChatMessage.conversation_id).where(
            or_(*(ChatMessage.text.contains(f, autoescape=True) for f in forms))
        )
        where.append(or_(Conversation.id.in_(said), Conversation.id.in_(written)))
    return select(Conversation).where(*where)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The day's start in the office's zone, in UTC (as the queue's figures count a day)."""
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def _taken_by(session: Session, ids: list[str]) -> dict[str, list[int]]:
    """Who took each conversation, in the order they did (a transfer makes two)."""
    if not ids:
        return {}
    rows = session.execute(
        select(QueueEvent.conversation_id, QueueEvent.operator_id)
        .where(QueueEvent.conversation_id.in_(ids), QueueEvent.event == QueueEventKind.CONNECTED.value)
        .order_by(QueueEvent.id)
    )
    found: dict[str, list[int]] = {}
    for conversation_id, operator_id in rows:
        if operator_id is not None and operator_id not in found.setdefault(str(conversation_id), []):
            found[str(conversation_id)].append(int(operator_id))
    return found


def _view(conversation: Conversation, operators: list[int], name_of: Callable[[int], str]) -> dict[str, Any]:
    return {
        "conversation_id": conversation.id,
        "started_at": iso(conversation.started_at),
        "channel": conversation.channel,
        "lang": conversation.lang,
        "queue": conversation.handoff_queue,
        "operators": [name_of(op) for op in operators],
    }
