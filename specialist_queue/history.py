"""A citizen's earlier conversations, for the specialist who has them now: the same messenger user (Viber,
Telegram: the channel's id of them) or the same phone number (a caller's number in the call's events, a
callback's number). Each with when, where, what it was about (the specialist's wrap-up, else the intents
the citizen's words matched) and the wrap-up note; newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import conversation_log
from hotline.conversation_log import Conversation, ConversationEvent
from hotline.queue_log import QueueEvent, QueueEventKind
from intents.tree import Tree
from specialist_queue.context import iso, matched_intents

MOST = 20  # earlier conversations shown; a citizen calling every day needs no more to be recognised


def numbers(session: Session, conversation_id: str, known: str = "") -> list[str]:
    """The phone numbers a conversation carries: the caller's number in its call's events, a callback's."""
    said = select(ConversationEvent.data).where(ConversationEvent.conversation_id == conversation_id)
    asked = select(QueueEvent.data).where(
        QueueEvent.conversation_id == conversation_id, QueueEvent.event == QueueEventKind.CALLBACK_REQUESTED.value
    )
    rows = [*session.scalars(said), *session.scalars(asked)]
    found = {str(data.get(k)) for data in rows if data for k in ("from", "phone") if data.get(k)}
    if known:
        found.add(known)
    return sorted(n for n in found if n.lstrip("+").isdigit())


def earlier(
    session: Session, conversation: Conversation, *, by_user: bool, phone: str, tree: Tree | None, lang: str
) -> list[dict[str, Any]]:
    """The citizen's other conversations, newest first (`by_user`: the channel's id names one citizen)."""
    found: dict[str, Conversation] = {}
    if by_user and conversation.external_id:
        for c in conversation_log.of_citizen(session, external_id=conversation.external_id):
            if c.channel == conversation.channel:
                found[c.id] = c
    for number in numbers(session, conversation.id, phone):
        found.update({c.id: c for c in conversation_log.of_citizen(session, mentioning=number)})
        found.update({c.id: c for c in _called_back(session, number)})
    found.pop(conversation.id, None)
    ordered = sorted(found.values(), key=lambda c: c.started_at, reverse=True)[:MOST]
    wrapped = _wrap_ups(session, [c.id for c in ordered])
    return [_view(session, c, wrapped.get(c.id), tree, lang) for c in ordered]


def _called_back(session: Session, number: str) -> list[Conversation]:
    """Conversations (of any channel) whose citizen asked to be called back on `number`."""
    asked = select(QueueEvent.conversation_id, QueueEvent.data).where(
        QueueEvent.event == QueueEventKind.CALLBACK_REQUESTED.value
    )
    ids = {str(c) for c, data in session.execute(asked) if (data or {}).get("phone") == number}
    return list(session.scalars(select(Conversation).where(Conversation.id.in_(ids)))) if ids else []


def _wrap_ups(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each conversation's latest wrap-up (what it was about, the specialist's note)."""
    if not ids:
        return {}
    rows = session.scalars(
        select(QueueEvent)
        .where(QueueEvent.conversation_id.in_(ids), QueueEvent.event == QueueEventKind.WRAP_UP.value)
        .order_by(QueueEvent.id)
    )
    return {str(e.conversation_id): e.data or {} for e in rows}


def _view(
    session: Session, conversation: Conversation, wrap_up: dict[str, Any] | None, tree: Tree | None, lang: str
) -> dict[str, Any]:
    events = conversation_log.events(session, conversation_id=conversation.id)
    about = [i["title"] for i in matched_intents(events, tree, lang)]
    disposition = (wrap_up or {}).get("disposition")
    node = tree.index.get(disposition) if tree and disposition else None
    return {
        "conversation_id": conversation.id,
        "started_at": iso(conversation.started_at),
        "channel": conversation.channel,
        "queue": conversation.handoff_queue,
        "about": node.text(lang).title if node else (about[0] if about else None),
        "with_specialist": wrap_up is not None,
        "note": (wrap_up or {}).get("note") or "",
    }
