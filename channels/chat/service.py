"""The records every chat channel keeps alike (abuse, the block list, ratings), read and written inside the
caller's session. Writes a channel may repeat (an abusive message delivered again, a rating) are keyed so
a repeat changes nothing."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.chat.models import ChatAbuse, ChatBlock, ChatRating
from hotline.admin import audit
from hotline.db import utcnow

WARNINGS_BEFORE_BLOCK = 1


class AbuseAction(StrEnum):
    WARNED = "warned"
    BLOCKED = "blocked"


class AlreadyLifted(ValueError):
    pass


@dataclass(frozen=True)
class Citizen:
    """Someone as one channel knows them."""

    channel: str
    user_id: str
    name: str = ""


@dataclass(frozen=True)
class AbuseOutcome:
    action: AbuseAction
    first_time: bool  # False for a repeated message (nothing was written)


def get_active_block(session: Session, *, citizen: Citizen) -> ChatBlock | None:
    return session.scalar(
        select(ChatBlock)
        .where(ChatBlock.channel == citizen.channel, ChatBlock.user_id == citizen.user_id)
        .where(ChatBlock.lifted_at.is_(None))
        .order_by(ChatBlock.id.desc())
        .limit(1)
    )


def add_abuse(
    session: Session, *, citizen: Citizen, conversation_id: str | None, message_id: str, masked: str
) -> AbuseOutcome:
    """Count an abusive message: warn the first time since the last lift, block after that."""
    known = session.scalar(
        select(ChatAbuse).where(ChatAbuse.channel == citizen.channel, ChatAbuse.message_id == message_id)
    )
    if known is not None:
        return AbuseOutcome(AbuseAction(known.action), first_time=False)
    strikes = _strikes_since_lift(session, citizen) + 1
    action = AbuseAction.WARNED if strikes <= WARNINGS_BEFORE_BLOCK else AbuseAction.BLOCKED
    session.add(
        ChatAbuse(
            channel=citizen.channel,
            user_id=citizen.user_id,
            conversation_id=conversation_id,
            message_id=message_id,
            masked=masked,
            action=action.value,
        )
    )
    if action is AbuseAction.BLOCKED and get_active_block(session, citizen=citizen) is None:
        session.add(
            ChatBlock(
                channel=citizen.channel,
                user_id=citizen.user_id,
                name=citizen.name[:200],
                reason="repeated_abuse",
                sample=masked[:2000],
            )
        )
    session.flush()
    return AbuseOutcome(action, first_time=True)


def _strikes_since_lift(session: Session, citizen: Citizen) -> int:
    mine = (ChatBlock.channel == citizen.channel, ChatBlock.user_id == citizen.user_id)
    lifted: datetime | None = session.scalar(select(func.max(ChatBlock.lifted_at)).where(*mine))
    query = select(func.count(ChatAbuse.id)).where(
        ChatAbuse.channel == citizen.channel, ChatAbuse.user_id == citizen.user_id
    )
    if lifted is not None:
        query = query.where(ChatAbuse.at > lifted)
    return int(session.scalar(query) or 0)


def abuse_of(session: Session, *, citizen: Citizen) -> list[ChatAbuse]:
    return list(
        session.scalars(
            select(ChatAbuse)
            .where(ChatAbuse.channel == citizen.channel, ChatAbuse.user_id == citizen.user_id)
            .order_by(ChatAbuse.id)
        )
    )


def list_blocks(session: Session, *, include_lifted: bool = False, limit: int = 200) -> list[ChatBlock]:
    """The block list of every channel, newest first; lifted blocks only when asked for."""
    query = select(ChatBlock).order_by(ChatBlock.id.desc()).limit(limit)
    if not include_lifted:
        query = query.where(ChatBlock.lifted_at.is_(None))
    return list(session.scalars(query))


def lift(session: Session, *, block_id: int, by: audit.Actor) -> ChatBlock:
    """Lift a block (the citizen starts again with a clean slate) and write it to the admin audit log."""
    block = session.get(ChatBlock, block_id)
    if block is None:
        raise LookupError(f"no block {block_id}")
    if block.lifted_at is not None:
        raise AlreadyLifted(f"block {block_id} was lifted already")
    block.lifted_at = utcnow()
    block.lifted_by = by.id
    detail = {"block": block.id, "channel": block.channel}
    audit.record(session, actor=by, action="chat.block.lift", target=block.user_id, detail=detail)
    session.flush()
    return block


def rate(session: Session, *, citizen: Citizen, conversation_id: str, score: int) -> bool:
    """Keep the rating of a closed conversation; False when it was rated already (the first one stands)."""
    if not 1 <= score <= 5:
        raise ValueError("a rating is 1 to 5")
    try:
        with session.begin_nested():
            session.add(
                ChatRating(
                    conversation_id=conversation_id, channel=citizen.channel, user_id=citizen.user_id, score=score
                )
            )
    except IntegrityError:
        return False
    return True


def get_rating(session: Session, *, conversation_id: str) -> ChatRating | None:
    return session.get(ChatRating, conversation_id)


def forget(session: Session, *, end: datetime, conversation_ids: Collection[str] | None = None) -> int:
    """Privacy (retention, erasure): abusive messages written before `end` (of `conversation_ids`, or all) go,
    ratings keep their score (statistics) without who gave it, and lifted blocks go; an active block stays
    until an admin lifts it. Returns how many rows were deleted or emptied."""
    abuse = delete(ChatAbuse).where(ChatAbuse.at < end)
    ratings = update(ChatRating).where(ChatRating.at < end, ChatRating.user_id != "").values(user_id="")
    blocks = delete(ChatBlock).where(ChatBlock.lifted_at.is_not(None), ChatBlock.lifted_at < end)
    if conversation_ids is not None:
        abuse = abuse.where(ChatAbuse.conversation_id.in_(conversation_ids))
        ratings = ratings.where(ChatRating.conversation_id.in_(conversation_ids))
        who = select(ChatAbuse.channel, ChatAbuse.user_id).where(ChatAbuse.conversation_id.in_(conversation_ids))
        blocks = delete(ChatBlock).where(tuple_(ChatBlock.channel, ChatBlock.user_id).in_(who))
    found = 0
    for statement in (blocks, abuse, ratings):  # blocks first: an erasure finds them through the abuse rows
        found += int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
    return found
