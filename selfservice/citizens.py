"""What self-service keeps about one citizen, for their rights (`privacy.subject`): the topics they are
subscribed to on a messenger, and the announcements sent to them. Found by the messenger's own id of the
citizen (a Viber user id, a Telegram chat id), on whichever channel it is.

Erasing drops the subscriptions and takes the citizen's id off their announcements' copies: an
announcement's figures still count the copy, with nobody's id on it, and a copy not yet sent never goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, cast, delete, literal, select, update
from sqlalchemy.orm import Session

from hotline.db import utcnow
from selfservice import announcements as ann
from selfservice.models import Announcement, Delivery, Subscription, Topic

ERASED = "erased:"  # what an erased copy's recipient starts with (then the row's id: rows stay unique)


@dataclass(frozen=True)
class Subscribed:
    channel: str
    topic_uk: str
    topic_ru: str
    lang: str
    since: datetime


@dataclass(frozen=True)
class Sent:
    """One announcement's copy to the citizen: what it said in their language, and what became of it."""

    channel: str
    text: str
    state: str
    at: datetime


@dataclass(frozen=True)
class Kept:
    subscriptions: list[Subscribed] = field(default_factory=list)
    announcements: list[Sent] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.subscriptions or self.announcements)


def kept(session: Session, *, recipient: str) -> Kept:
    """Everything self-service keeps about the citizen with this messenger id ('' finds nothing)."""
    if not recipient:
        return Kept()
    subscribed = session.execute(
        select(Subscription.channel, Topic.title_uk, Topic.title_ru, Subscription.lang, Subscription.created_at)
        .join(Topic, Topic.id == Subscription.topic_id)
        .where(Subscription.recipient == recipient)
        .order_by(Subscription.created_at, Subscription.id)
    )
    copies = session.execute(
        select(Delivery.channel, Delivery.lang, Delivery.state, Delivery.updated_at, Announcement)
        .join(Announcement, Announcement.id == Delivery.announcement_id)
        .where(Delivery.recipient == recipient)
        .order_by(Delivery.updated_at, Delivery.id)
    )
    return Kept(
        [Subscribed(*row) for row in subscribed],
        [
            Sent(channel, ann.message(announcement, lang), state, at)
            for channel, lang, state, at, announcement in copies
        ],
    )


def erase(session: Session, *, recipient: str) -> dict[str, int]:
    """Drop the citizen's subscriptions and their id on every copy sent to them, in the caller's transaction."""
    if not recipient:
        return {"subscriptions": 0, "announcements": 0}
    dropped = session.execute(delete(Subscription).where(Subscription.recipient == recipient)).rowcount  # type: ignore[attr-defined]
    mine = Delivery.recipient == recipient
    session.execute(update(Delivery).where(mine, Delivery.state == ann.PENDING).values(state=ann.SKIPPED))
    copies = session.execute(
        update(Delivery).where(mine).values(recipient=literal(ERASED) + cast(Delivery.id, String), updated_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    return {"subscriptions": int(dropped or 0), "announcements": int(copies or 0)}
