"""What every chat channel does with a citizen's message before the robot or a specialist reads it: the
block list, the abuse screen (a warning the first time, a block after that; only the masked text is
kept, in the conversation log too, where the console reads it), and the 1–5 rating a citizen may give
after a specialist closed their conversation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channels.chat import abuse, service
from channels.chat.service import AbuseAction, Citizen
from hotline import conversation_log
from hotline.db import UNREACHABLE, transaction

ABUSE_STEP = 2_000_000  # conversation-log step for abusive messages: no dialogue gets this far
SCORE = re.compile(r"^(?:rate:)?([1-5])$")  # a rating button's id, or the digit typed


@dataclass(frozen=True)
class Screened:
    """A message as the staff may read it, and what was done about it (None: it is clean)."""

    text: str
    action: AbuseAction | None = None


def blocked(sessions: sessionmaker[Session], citizen: Citizen) -> bool:
    """Whether the citizen is on the block list; False while the database is unreachable (a conversation under
    way goes on through an outage: `hotline.pending_log`)."""
    try:
        with sessions() as session:
            return service.get_active_block(session, citizen=citizen) is not None
    except UNREACHABLE:
        return False


def screen(
    sessions: sessionmaker[Session],
    *,
    citizen: Citizen,
    conversation_id: str,
    message_id: str,
    text: str,
    lang: str | None,
) -> Screened:
    """The message masked and counted when it is abusive (once per message id); as it is otherwise. While the
    database is unreachable an abusive message is masked and warned about, not counted."""
    found = abuse.screen(text, lang)
    if not found.abusive:
        return Screened(text)
    try:
        with transaction(sessions) as session:
            outcome = service.add_abuse(
                session, citizen=citizen, conversation_id=conversation_id, message_id=message_id, masked=found.masked
            )
            if outcome.first_time:
                _log_masked(session, conversation_id, found.masked, outcome.action.value)
    except UNREACHABLE:
        return Screened(found.masked, AbuseAction.WARNED)
    return Screened(found.masked, outcome.action)


def score(text: str) -> int | None:
    """The rating in a message (a rating button, or the digit typed), or None."""
    found = SCORE.match(text.strip())
    return int(found.group(1)) if found else None


def _log_masked(session: Session, conversation_id: str, masked: str, action: str) -> None:
    """The abusive message as the console shows it, at a step of its own (one seq per message)."""
    count = session.scalar(
        select(conversation_log.ConversationEvent.seq)
        .where(
            conversation_log.ConversationEvent.conversation_id == conversation_id,
            conversation_log.ConversationEvent.step == ABUSE_STEP,
        )
        .order_by(conversation_log.ConversationEvent.seq.desc())
        .limit(1)
    )
    session.add(
        conversation_log.ConversationEvent(
            conversation_id=conversation_id,
            step=ABUSE_STEP,
            seq=(count or 0) + 1,
            kind="citizen_abuse",
            text=masked,
            data={"action": action},
        )
    )
