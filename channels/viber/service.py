"""The Viber channel's SQL records, read and written inside the caller's session.

Writes that Viber may repeat (a callback, an abusive message, a rating) are keyed so a repeat
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.viber.models import ViberAbuse, ViberBlock, ViberEvent, ViberRating
from hotline.admin import audit
from hotline.db import utcnow

WARNINGS_BEFORE_BLOCK = 1


class AbuseAction(StrEnum):
    WARNED = "warned"
    BLOCKED = "blocked"


class AlreadyLifted(ValueError):
    pass


def record_event(
    session: Session, *, event: str, user_id: str | None, message_token: int | None = None, detail: str = ""
) -> bool:
    """Write one callback or outcome; False when this (event, message token) was written before."""
    try:
        with session.begin_nested():
            session.add(ViberEvent(event=event, user_id=user_id, message_token=message_token, detail=detail[:2000]))
    except IntegrityError:
        return False
    return True


def events(session: Session, *, user_id: str) -> list[ViberEvent]:
    return list(session.scalars(select(ViberEvent).where(ViberEvent.user_id == user_id).order_by(ViberEvent.id)))


def get_active_block(session: Session, *, user_id: str) -> ViberBlock | None:
    return session.scalar(
        select(ViberBlock)
        .where(ViberBlock.user_id == user_id, ViberBlock.lifted_at.is_(None))
        .order_by(ViberBlock.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class AbuseOutcome:
    action: AbuseAction
    first_time: bool  # False for a repeated event (nothing was written)


def add_abuse(
    session: Session, *, user_id: str, name: str, conversation_id: str | None, message_token: int, masked: str
) -> AbuseOutcome:
    """Count an abusive message: warn the first time since the last lift, block after that."""
    known = session.scalar(select(ViberAbuse).where(ViberAbuse.message_token == message_token))
    if known is not None:
        return AbuseOutcome(AbuseAction(known.action), first_time=False)
    strikes = _strikes_since_lift(session, user_id=user_id) + 1
    action = AbuseAction.WARNED if strikes <= WARNINGS_BEFORE_BLOCK else AbuseAction.BLOCKED
    session.add(
        ViberAbuse(
            user_id=user_id,
            conversation_id=conversation_id,
            message_token=message_token,
            masked=masked,
            action=action.value,
        )
    )
    if action is AbuseAction.BLOCKED and get_active_block(session, user_id=user_id) is None:
        session.add(ViberBlock(user_id=user_id, name=name[:200], reason="repeated_abuse", sample=masked[:2000]))
    session.flush()
    return AbuseOutcome(action, first_time=True)


def _strikes_since_lift(session: Session, *, user_id: str) -> int:
    lifted: datetime | None = session.scalar(
        select(func.max(ViberBlock.lifted_at)).where(ViberBlock.user_id == user_id)
    )
    query = select(func.count(ViberAbuse.id)).where(ViberAbuse.user_id == user_id)
    if lifted is not None:
        query = query.where(ViberAbuse.at > lifted)
    return int(session.scalar(query) or 0)


def abuse_of(session: Session, *, user_id: str) -> list[ViberAbuse]:
    return list(session.scalars(select(ViberAbuse).where(ViberAbuse.user_id == user_id).order_by(ViberAbuse.id)))


def list_blocks(session: Session, *, include_lifted: bool = False, limit: int = 200) -> list[ViberBlock]:
    """The block list, newest first; lifted blocks only when asked for."""
    query = select(ViberBlock).order_by(ViberBlock.id.desc()).limit(limit)
    if not include_lifted:
        query = query.where(ViberBlock.lifted_at.is_(None))
    return list(session.scalars(query))


def lift(session: Session, *, block_id: int, by: audit.Actor) -> ViberBlock:
    """Lift a block (the user starts again with a clean slate) and write it to the admin audit log."""
    block = session.get(ViberBlock, block_id)
    if block is None:
        raise LookupError(f"no block {block_id}")
    if block.lifted_at is not None:
        raise AlreadyLifted(f"block {block_id} was lifted already")
    block.lifted_at = utcnow()
    block.lifted_by = by.id
    audit.record(session, actor=by, action="viber.block.lift", target=block.user_id, detail={"block": block.id})
    session.flush()
    return block


def rate(session: Session, *, conversation_id: str, user_id: str, score: int) -> bool:
    """Keep the rating of a closed conversation; False when it was rated already (the first one stands)."""
    if not 1 <= score <= 5:
        raise ValueError("a rating is 1 to 5")
    try:
        with session.begin_nested():
            session.add(ViberRating(conversation_id=conversation_id, user_id=user_id, score=score))
    except IntegrityError:
        return False
    return True


def get_rating(session: Session, *, conversation_id: str) -> ViberRating | None:
    return session.get(ViberRating, conversation_id)
