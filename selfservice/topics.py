"""Topics the admin defines, and citizens' subscriptions to them on the push channels."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.admin import audit
from selfservice.models import Subscription, Topic

SLUG = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_TITLE = 80


class BadTopic(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def listed(session: Session, *, active_only: bool = False) -> list[Topic]:
    query = select(Topic).order_by(Topic.id)
    if active_only:
        query = query.where(Topic.active.is_(True))
    return list(session.scalars(query))


def get(session: Session, *, topic_id: int) -> Topic | None:
    return session.get(Topic, topic_id)


def get_by_slug(session: Session, *, slug: str) -> Topic | None:
    return session.scalar(select(Topic).where(Topic.slug == slug))


def _titles(title_uk: str, title_ru: str) -> tuple[str, str]:
    uk, ru = " ".join(title_uk.split()), " ".join(title_ru.split())
    if not uk or not ru:
        raise BadTopic("topic_title_missing", "a topic needs its title in both languages")
    if max(len(uk), len(ru)) > MAX_TITLE:
        raise BadTopic("topic_title_long", f"a topic's title is at most {MAX_TITLE} characters")
    return uk, ru


def create(session: Session, *, slug: str, title_uk: str, title_ru: str, by: audit.Actor) -> Topic:
    """A new topic (audited); its slug never changes."""
    if not SLUG.match(slug):
        raise BadTopic("topic_bad_slug", "a topic's id is 2–40 small Latin letters, digits or _")
    uk, ru = _titles(title_uk, title_ru)
    topic = Topic(slug=slug, title_uk=uk, title_ru=ru)
    try:
        with session.begin_nested():
            session.add(topic)
    except IntegrityError:
        raise BadTopic("topic_exists", f"there is a topic {slug!r} already") from None
    audit.record(session, actor=by, action="topic.create", target=slug, detail={"uk": uk, "ru": ru})
    return topic


def update(session: Session, *, topic_id: int, title_uk: str, title_ru: str, active: bool, by: audit.Actor) -> Topic:
    """New titles, or the topic closed to new subscribers (`active` False); audited."""
    topic = session.get(Topic, topic_id)
    if topic is None:
        raise LookupError(f"no topic {topic_id}")
    uk, ru = _titles(title_uk, title_ru)
    old = {"uk": topic.title_uk, "ru": topic.title_ru, "active": topic.active}
    topic.title_uk, topic.title_ru, topic.active = uk, ru, active
    new = {"uk": uk, "ru": ru, "active": active}
    changes = {k: [old[k], v] for k, v in new.items() if old[k] != v}
    audit.record(session, actor=by, action="topic.update", target=topic.slug, detail={"changes": changes})
    return topic


# ---- the citizen's side ------------------------------------------------------------------------


def subscribed(session: Session, *, channel: str, recipient: str) -> set[int]:
    """The ids of the topics this citizen is subscribed to on this channel."""
    rows = session.scalars(
        select(Subscription.topic_id).where(Subscription.channel == channel, Subscription.recipient == recipient)
    )
    return set(rows)


def subscribe(session: Session, *, channel: str, recipient: str, topic_id: int, lang: str) -> bool:
    """Subscribe (in `lang`); False when already subscribed (the language is brought up to date)."""
    found = session.scalar(
        select(Subscription).where(
            Subscription.channel == channel, Subscription.recipient == recipient, Subscription.topic_id == topic_id
        )
    )
    if found is not None:
        found.lang = lang
        return False
    try:
        with session.begin_nested():
            session.add(Subscription(channel=channel, recipient=recipient, topic_id=topic_id, lang=lang))
    except IntegrityError:  # the same press twice at once
        return False
    return True


def unsubscribe(session: Session, *, channel: str, recipient: str, topic_id: int | None = None) -> int:
    """Drop one subscription, or every one of this citizen on this channel (`topic_id` None); how many went."""
    query = delete(Subscription).where(Subscription.channel == channel, Subscription.recipient == recipient)
    if topic_id is not None:
        query = query.where(Subscription.topic_id == topic_id)
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Count:
    topic: str
    channel: str
    lang: str
    subscribers: int


def counts(session: Session) -> list[Count]:
    """Subscribers per topic, channel and language (for the statistics: counts, never who)."""
    rows = session.execute(
        select(Topic.slug, Subscription.channel, Subscription.lang, func.count(Subscription.id))
        .join(Topic, Topic.id == Subscription.topic_id)
        .group_by(Topic.slug, Subscription.channel, Subscription.lang)
        .order_by(Topic.slug, Subscription.channel, Subscription.lang)
    )
    return [Count(slug, channel, lang, int(n)) for slug, channel, lang, n in rows]
