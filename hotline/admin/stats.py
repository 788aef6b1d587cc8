"""How the line serves people, per day (in the office's time zone) and per channel.

The queries fetch plain rows with SQLAlchemy (the same on SQLite and PostgreSQL); days, shares and
percentiles are worked out here in Python, which keeps the time-zone arithmetic in one place.

Definitions (docs/ADMIN.md explains them to admins):
* settled by the robot: a conversation with at least one answer from the tree and no handoff;
* wait: seconds from entering the queue to a person answering (`connected` queue events);
* service level: answered within the threshold / (answered + abandoned in the queue);
* 90th-percentile wait: nearest-rank over the answered waits.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from hotline.conversation_log import Conversation, ConversationEvent
from hotline.queue_log import QueueEvent, QueueEventKind
from intents.normalise import normalise

CHANNELS = ("phone", "viber", "web")
FREE_TEXT = ("citizen_text", "citizen_speech")
MAX_DAYS = 366
MAX_UNMATCHED_ROWS = 20_000  # the newest; enough to rank what people ask that nothing answers


class BadPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive
    timezone: str

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise BadPeriod("the period ends before it starts")
        if (self.last - self.first).days >= MAX_DAYS:
            raise BadPeriod(f"choose at most {MAX_DAYS} days")

    def bounds(self) -> tuple[datetime, datetime]:
        """The period's start and end in UTC (SQLite compares stored UTC wall-clock times as text)."""
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(self.first, time(), zone)
        end = datetime.combine(self.last + timedelta(days=1), time(), zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def day_of(self, at: datetime) -> date:
        return aware(at).astimezone(ZoneInfo(self.timezone)).date()


def today(timezone: str) -> date:
    """Today's date in the office's time zone."""
    return datetime.now(UTC).astimezone(ZoneInfo(timezone)).date()


def aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (`share` 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Figures:
    """One cell of the report: a day and a channel, or a total."""

    conversations: int = 0
    settled: int = 0
    handoffs: int = 0
    queued: int = 0
    answered: int = 0
    abandoned: int = 0
    waits: list[float] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for name in ("conversations", "settled", "handoffs", "queued", "answered", "abandoned"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.waits.extend(other.waits)

    @property
    def settled_share(self) -> float | None:
        return 100.0 * self.settled / self.conversations if self.conversations else None

    @property
    def average_wait(self) -> float | None:
        return sum(self.waits) / len(self.waits) if self.waits else None

    @property
    def p90_wait(self) -> float | None:
        return percentile(self.waits, 0.9)

    def service_level(self, threshold: float) -> float | None:
        offered = self.answered + self.abandoned
        within = sum(1 for w in self.waits if w <= threshold)
        return 100.0 * within / offered if offered else None


@dataclass(frozen=True)
class IntentCount:
    slug: str
    total: int
    by_channel: dict[str, int]


@dataclass(frozen=True)
class Unmatched:
    text: str  # as most often written
    lang: str
    count: int
    last_at: datetime
    channels: tuple[str, ...]


@dataclass
class Report:
    period: Period
    channels: tuple[str, ...]
    cells: dict[tuple[date, str], Figures]
    top_intents: list[IntentCount]
    unmatched: list[Unmatched]

    def cell(self, day: date, channel: str) -> Figures:
        return self.cells.get((day, channel)) or Figures()

    def day_total(self, day: date) -> Figures:
        return _sum(self.cell(day, c) for c in self.channels)

    def channel_total(self, channel: str) -> Figures:
        return _sum(self.cell(d, channel) for d in self.period.days())

    def total(self) -> Figures:
        return _sum(self.channel_total(c) for c in self.channels)


def _sum(parts: Iterable[Figures]) -> Figures:
    total = Figures()
    for part in parts:
        total.add(part)
    return total


def report(
    session: Session,
    period: Period,
    *,
    known: frozenset[tuple[str, str]] = frozenset(),
    unmatched_limit: int = 50,
    intents_limit: int = 15,
) -> Report:
    """Everything the statistics page shows; `known` phrases (lang, normalised) are left out of "unmatched"."""
    cells: dict[tuple[date, str], Figures] = defaultdict(Figures)
    _conversations(session, period, cells)
    _queue(session, period, cells)
    seen = {channel for _, channel in cells}
    channels = (*CHANNELS, *sorted(seen - set(CHANNELS)))
    return Report(
        period=period,
        channels=channels,
        cells=dict(cells),
        top_intents=top_intents(session, period, limit=intents_limit),
        unmatched=unmatched(session, period, known=known, limit=unmatched_limit),
    )


def _conversations(session: Session, period: Period, cells: dict[tuple[date, str], Figures]) -> None:
    start, end = period.bounds()
    in_period = (Conversation.started_at >= start, Conversation.started_at < end)
    answered = set(
        session.scalars(
            select(ConversationEvent.conversation_id)
            .distinct()
            .join(Conversation, Conversation.id == ConversationEvent.conversation_id)
            .where(*in_period, ConversationEvent.kind == "bot", ConversationEvent.intent.is_not(None))
        )
    )
    rows = session.execute(
        select(Conversation.id, Conversation.started_at, Conversation.channel, Conversation.handoff_queue).where(
            *in_period
        )
    )
    for conversation_id, started_at, channel, handoff_queue in rows:
        figures = cells[(period.day_of(started_at), channel)]
        figures.conversations += 1
        if handoff_queue is not None:
            figures.handoffs += 1
        elif conversation_id in answered:
            figures.settled += 1


def _queue(session: Session, period: Period, cells: dict[tuple[date, str], Figures]) -> None:
    start, end = period.bounds()
    kinds = (QueueEventKind.ENTERED.value, QueueEventKind.CONNECTED.value, QueueEventKind.ABANDONED.value)
    rows = session.execute(
        select(
            QueueEvent.at,
            QueueEvent.event,
            func.coalesce(QueueEvent.channel, Conversation.channel),
            QueueEvent.wait_seconds,
        )
        .outerjoin(Conversation, Conversation.id == QueueEvent.conversation_id)
        .where(QueueEvent.at >= start, QueueEvent.at < end, QueueEvent.event.in_(kinds))
    )
    for at, event, channel, wait in rows:
        figures = cells[(period.day_of(at), channel or "unknown")]
        if event == QueueEventKind.ENTERED:
            figures.queued += 1
        elif event == QueueEventKind.ABANDONED:
            figures.abandoned += 1
        else:
            figures.answered += 1
            figures.waits.append(float(wait or 0.0))


def top_intents(session: Session, period: Period, *, limit: int) -> list[IntentCount]:
    """Intents the robot answered most, counted once per conversation."""
    start, end = period.bounds()
    rows = session.execute(
        select(ConversationEvent.intent, Conversation.channel, func.count(distinct(ConversationEvent.conversation_id)))
        .join(Conversation, Conversation.id == ConversationEvent.conversation_id)
        .where(
            ConversationEvent.at >= start,
            ConversationEvent.at < end,
            ConversationEvent.kind == "bot",
            ConversationEvent.intent.is_not(None),
        )
        .group_by(ConversationEvent.intent, Conversation.channel)
    )
    by_intent: dict[str, dict[str, int]] = defaultdict(dict)
    for slug, channel, count in rows:
        by_intent[str(slug)][channel] = int(count)
    ranked = sorted(by_intent.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return [IntentCount(slug, sum(counts.values()), counts) for slug, counts in ranked[:limit]]


def unmatched(
    session: Session, period: Period, *, limit: int, known: frozenset[tuple[str, str]] = frozenset()
) -> list[Unmatched]:
    """What citizens wrote or said that matched no intent, most frequent first, less the `known` examples."""
    start, end = period.bounds()
    rows = session.execute(
        select(ConversationEvent.text, Conversation.lang, Conversation.channel, ConversationEvent.at)
        .join(Conversation, Conversation.id == ConversationEvent.conversation_id)
        .where(
            ConversationEvent.at >= start,
            ConversationEvent.at < end,
            ConversationEvent.kind.in_(FREE_TEXT),
            ConversationEvent.intent.is_(None),
            ConversationEvent.score.is_not(None),  # the matcher was asked (not a language choice or a key)
            ConversationEvent.text != "",
        )
        .order_by(ConversationEvent.at.desc())
        .limit(MAX_UNMATCHED_ROWS)
    )
    groups: dict[tuple[str, str], list[tuple[str, str, datetime]]] = defaultdict(list)
    for text, lang, channel, at in rows:
        lang = lang or "uk"
        key = normalise(text, lang)
        if key and (lang, key) not in known:
            groups[(lang, key)].append((text.strip(), channel, aware(at)))
    found = [
        Unmatched(
            text=Counter(t for t, _, _ in hits).most_common(1)[0][0],
            lang=lang,
            count=len(hits),
            last_at=max(at for _, _, at in hits),
            channels=tuple(sorted({c for _, c, _ in hits})),
        )
        for (lang, _), hits in groups.items()
    ]
    found.sort(key=lambda u: (-u.count, -u.last_at.timestamp()))
    return found[:limit]
