"""How the line serves people, per day (in the office's time zone) and per channel.

The counting is done by the database (GROUP BY day and channel, percentiles with window functions),
the same SQL on SQLite and PostgreSQL, so the page reads a few hundred rows however many
conversations there were. A day is found by comparing the stored UTC time with the UTC start of each
of the period's days, worked out here from the time zone: no time-zone support is needed in SQL and
a day with a clock change is still a day.

Definitions (docs/ADMIN.md explains them to admins):
* settled by the robot: a conversation with at least one answer from the tree and no handoff;
* wait: seconds from entering the queue to a person answering (`connected` queue events);
* service level: answered within the threshold / (answered + abandoned in the queue);
* 90th-percentile wait: nearest-rank over the answered waits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, distinct, false, func, literal, null, select, true, union_all
from sqlalchemy.orm import Session

from hotline.conversation_log import Conversation, ConversationEvent
from hotline.queue_log import QueueEvent, QueueEventKind
from intents.normalise import normalise
from privacy.masking import mask

FREE_TEXT = ("citizen_text", "citizen_speech")
MAX_DAYS = 366
MAX_UNMATCHED_ROWS = 20_000  # the newest groups; enough to rank what people ask that nothing answers
P90 = (9, 10)  # the percentile as a fraction of integers, so the rank is found without rounding
# What each 90th percentile is taken over: (per day, per channel).
EARLIEST = datetime.min.replace(tzinfo=UTC)
SCOPES = {"cell": (True, True), "day": (True, False), "channel": (False, True), "total": (False, False)}


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
        starts = self.day_starts()
        return starts[0], starts[-1]

    def day_starts(self) -> list[datetime]:
        """The UTC start of each day and of the day after the last."""
        zone = ZoneInfo(self.timezone)
        return [datetime.combine(self.first + timedelta(days=n), time(), zone).astimezone(UTC) for n in
                range((self.last - self.first).days + 2)]  # fmt: skip

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def day_index(self, stored: Any) -> ColumnElement[int]:
        """SQL: which day of the period (0, 1, …) a stored time inside the period falls on."""
        return _bisect(stored, self.day_starts()[1:-1], 0)


def _bisect(stored: Any, starts: list[datetime], first: int) -> ColumnElement[int]:
    """A CASE tree over the days' starts: a few comparisons a row however long the period is."""
    if not starts:
        return literal(first)
    middle = len(starts) // 2
    earlier = _bisect(stored, starts[:middle], first)
    later = _bisect(stored, starts[middle + 1 :], first + middle + 1)
    return case((stored < starts[middle], earlier), else_=later)


def today(timezone: str) -> date:
    """Today's date in the office's time zone."""
    return datetime.now(UTC).astimezone(ZoneInfo(timezone)).date()


def aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass
class Figures:
    """One cell of the report: a day and a channel, or a total."""

    conversations: int = 0
    settled: int = 0  # answered by the robot with one of the office's own answers, no person needed
    referred: int = 0  # sent to another office (a referral answer), counted apart from the settled
    handoffs: int = 0
    queued: int = 0
    answered: int = 0
    abandoned: int = 0
    wait_total: float = 0.0  # seconds, over the answered
    within: int = 0  # answered within the service-level threshold
    p90_wait: float | None = None

    def add(self, other: Figures) -> None:
        """Add the counts (a percentile does not add up: the report has its own for each total)."""
        names = ("conversations", "settled", "referred", "handoffs", "queued", "answered", "abandoned", "wait_total")
        for name in (*names, "within"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def settled_share(self) -> float | None:
        return 100.0 * self.settled / self.conversations if self.conversations else None

    @property
    def average_wait(self) -> float | None:
        return self.wait_total / self.answered if self.answered else None

    @property
    def service_level(self) -> float | None:
        offered = self.answered + self.abandoned
        return 100.0 * self.within / offered if offered else None


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


@dataclass(frozen=True)
class Percentiles:
    """The 90th-percentile wait of each cell, each day, each channel and the whole period."""

    cells: dict[tuple[date, str], float] = field(default_factory=dict)
    days: dict[date, float] = field(default_factory=dict)
    channels: dict[str, float] = field(default_factory=dict)
    total: float | None = None


@dataclass(frozen=True)
class Counts:
    """The figures over a period: everything the report has but the phrases nothing matched."""

    period: Period
    threshold: float  # the service-level threshold, seconds
    channels: tuple[str, ...]
    cells: dict[tuple[date, str], Figures]
    p90: Percentiles
    top_intents: list[IntentCount]
    top_referrals: list[IntentCount]  # which offices people were sent to


@dataclass(frozen=True)
class Report(Counts):
    unmatched: list[Unmatched]

    @classmethod
    def of(cls, counts: Counts, unmatched: list[Unmatched]) -> Report:
        return cls(**{f.name: getattr(counts, f.name) for f in fields(Counts)}, unmatched=unmatched)

    def cell(self, day: date, channel: str) -> Figures:
        return self.cells.get((day, channel)) or Figures()

    def day_total(self, day: date) -> Figures:
        return replace(_sum(self.cell(day, c) for c in self.channels), p90_wait=self.p90.days.get(day))

    def channel_total(self, channel: str) -> Figures:
        figures = _sum(self.cell(d, channel) for d in self.period.days())
        return replace(figures, p90_wait=self.p90.channels.get(channel))

    def total(self) -> Figures:
        return replace(_sum(self.channel_total(c) for c in self.channels), p90_wait=self.p90.total)


def _sum(parts: Iterable[Figures]) -> Figures:
    total = Figures()
    for part in parts:
        total.add(part)
    return total


def report(
    session: Session,
    period: Period,
    *,
    threshold: float,
    known: frozenset[tuple[str, str]] = frozenset(),
    unmatched_limit: int = 50,
    intents_limit: int = 15,
    channels: Sequence[str] = (),
) -> Report:
    """Everything the statistics page shows; `known` phrases (lang, normalised) are left out of "unmatched"."""
    found = unmatched(session, period, known=known, limit=unmatched_limit)
    figures = count(session, period, threshold=threshold, intents_limit=intents_limit, channels=channels)
    return Report.of(figures, found)


def count(
    session: Session,
    period: Period,
    *,
    threshold: float,
    intents_limit: int = 15,
    referrals: frozenset[str] = frozenset(),
    small_talk: frozenset[str] = frozenset(),
    channels: Sequence[str] = (),
) -> Counts:
    """The figures per day and channel, their totals and percentiles, and the top intents.

    `channels` (the registered ones, `channels.registry`) are listed first, each even without a conversation;
    a channel seen only in the log (one switched off since) comes after them.

    `referrals` (another office's business) and `small_talk` are the tree's slugs of those kinds: a
    conversation with only those answers is not settled; referrals are counted apart.
    """
    cells: dict[tuple[date, str], Figures] = defaultdict(Figures)
    _conversations(session, period, cells, referrals, referrals | small_talk)
    _queue(session, period, threshold, cells)
    p90 = _p90(session, period)
    for key, wait in p90.cells.items():
        cells[key].p90_wait = wait
    seen = {channel for _, channel in cells}
    return Counts(
        period=period,
        threshold=threshold,
        channels=(*channels, *sorted(seen - set(channels))),
        cells=dict(cells),
        p90=p90,
        top_intents=top_intents(session, period, limit=intents_limit, leave_out=referrals | small_talk),
        top_referrals=top_intents(session, period, limit=intents_limit, only=referrals) if referrals else [],
    )


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _conversations(
    session: Session,
    period: Period,
    cells: dict[tuple[date, str], Figures],
    referrals: frozenset[str],
    not_answers: frozenset[str],
) -> None:
    start, end = period.bounds()

    # Conversations the robot answered (its answers come after the conversation started, so only the
    # period's events are read; the database looks each conversation up in that set).
    def answered_with(condition: ColumnElement[bool]) -> ColumnElement[bool]:
        bot = and_(
            ConversationEvent.at >= start, ConversationEvent.kind == "bot", ConversationEvent.intent.is_not(None)
        )
        return Conversation.id.in_(select(ConversationEvent.conversation_id).where(bot, condition))

    answered = answered_with(ConversationEvent.intent.not_in(not_answers) if not_answers else true())
    referred = answered_with(ConversationEvent.intent.in_(referrals)) if referrals else false()
    handed = Conversation.handoff_queue.is_not(None)
    each = (
        select(
            period.day_index(Conversation.started_at).label("day"),
            Conversation.channel.label("channel"),
            handed.label("handed"),
            and_(~handed, answered).label("settled"),
            referred.label("referred"),
        )
        .where(Conversation.started_at >= start, Conversation.started_at < end)
        .subquery()
    )
    counted = (_count(each.c.handed), _count(each.c.settled), _count(each.c.referred))
    rows = session.execute(
        select(each.c.day, each.c.channel, func.count(), *counted).group_by(each.c.day, each.c.channel)
    )
    days = period.days()
    for day, channel, count, handoffs, settled, referred_count in rows:
        figures = cells[(days[day], channel)]
        figures.conversations, figures.handoffs, figures.settled = count, handoffs, settled
        figures.referred = referred_count


def _queue_rows(period: Period) -> Select[int, str, str, float]:
    """SQL: the period's queue events (entered, connected, abandoned) with their day, channel and wait."""
    start, end = period.bounds()
    kinds = (QueueEventKind.ENTERED.value, QueueEventKind.CONNECTED.value, QueueEventKind.ABANDONED.value)
    return (
        select(
            period.day_index(QueueEvent.at).label("day"),
            func.coalesce(QueueEvent.channel, Conversation.channel, "unknown").label("channel"),
            QueueEvent.event.label("event"),
            func.coalesce(QueueEvent.wait_seconds, 0.0).label("wait"),
        )
        .outerjoin(Conversation, Conversation.id == QueueEvent.conversation_id)
        .where(QueueEvent.at >= start, QueueEvent.at < end, QueueEvent.event.in_(kinds))
    )


def _queue(session: Session, period: Period, threshold: float, cells: dict[tuple[date, str], Figures]) -> None:
    each = _queue_rows(period).subquery()
    connected = each.c.event == QueueEventKind.CONNECTED.value
    rows = session.execute(
        select(
            each.c.day,
            each.c.channel,
            _count(each.c.event == QueueEventKind.ENTERED.value),
            _count(connected),
            _count(each.c.event == QueueEventKind.ABANDONED.value),
            func.coalesce(func.sum(case((connected, each.c.wait), else_=0.0)), 0.0),
            _count(and_(connected, each.c.wait <= threshold)),
        ).group_by(each.c.day, each.c.channel)
    )
    days = period.days()
    for day, channel, queued, answered, abandoned, wait_total, within in rows:
        figures = cells[(days[day], channel)]
        figures.queued, figures.answered, figures.abandoned = queued, answered, abandoned
        figures.wait_total, figures.within = float(wait_total), within


def _p90(session: Session, period: Period) -> Percentiles:
    """Nearest-rank 90th percentile of the answered waits, per cell, day, channel and overall, in one query."""
    answered = _queue_rows(period).where(QueueEvent.event == QueueEventKind.CONNECTED.value).subquery()
    # Worked out once (MATERIALIZED, on SQLite and PostgreSQL alike), then ranked four ways.
    waits = select(answered.c.day, answered.c.channel, answered.c.wait).cte("waits").prefix_with("MATERIALIZED")
    part, whole = P90
    selects = []
    for scope, (by_day, by_channel) in SCOPES.items():
        by = [column for column, kept in ((waits.c.day, by_day), (waits.c.channel, by_channel)) if kept]
        ranked = select(
            waits,
            func.row_number().over(partition_by=by or None, order_by=waits.c.wait).label("rank"),
            func.count().over(partition_by=by or None).label("n"),
        ).subquery()
        selects.append(
            select(
                literal(scope).label("scope"),
                ranked.c.day if by_day else null(),
                ranked.c.channel if by_channel else null(),
                ranked.c.wait,
            ).where(ranked.c.rank * whole >= ranked.c.n * part, (ranked.c.rank - 1) * whole < ranked.c.n * part)
        )
    found, days = Percentiles(), period.days()
    for scope, day, channel, wait in session.execute(union_all(*selects)):
        if scope == "cell":
            found.cells[(days[day], channel)] = float(wait)
        elif scope == "day":
            found.days[days[day]] = float(wait)
        elif scope == "channel":
            found.channels[channel] = float(wait)
        else:
            found = replace(found, total=float(wait))
    return found


def top_intents(
    session: Session,
    period: Period,
    *,
    limit: int,
    leave_out: frozenset[str] = frozenset(),
    only: frozenset[str] | None = None,
) -> list[IntentCount]:
    """Intents the robot answered most, counted once per conversation (`only` some, or `leave_out` some)."""
    start, end = period.bounds()
    chosen: ColumnElement[bool] = ConversationEvent.intent.in_(only) if only is not None else true()
    if leave_out:
        chosen = and_(chosen, ConversationEvent.intent.not_in(leave_out))
    rows = session.execute(
        select(ConversationEvent.intent, Conversation.channel, func.count(distinct(ConversationEvent.conversation_id)))
        .join(Conversation, Conversation.id == ConversationEvent.conversation_id)
        .where(
            ConversationEvent.at >= start,
            ConversationEvent.at < end,
            ConversationEvent.kind == "bot",
            ConversationEvent.intent.is_not(None),
            chosen,
        )
        .group_by(ConversationEvent.intent, Conversation.channel)
    )
    by_intent: dict[str, dict[str, int]] = defaultdict(dict)
    for slug, channel, count in rows:
        by_intent[str(slug)][channel] = int(count)
    ranked = sorted(by_intent.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return [IntentCount(slug, sum(counts.values()), counts) for slug, counts in ranked[:limit]]


@dataclass
class _Group:
    """Inputs that normalise to the same text: how each was written, where, when last."""

    spellings: Counter[str] = field(default_factory=Counter)
    channels: set[str] = field(default_factory=set)
    last_at: datetime = EARLIEST


def unmatched(
    session: Session, period: Period, *, limit: int, known: frozenset[tuple[str, str]] = frozenset()
) -> list[Unmatched]:
    """What citizens wrote or said that matched no intent, most frequent first, less the `known` examples;
    personal data masked (`privacy.masking`)."""
    start, end = period.bounds()
    last_at = func.max(ConversationEvent.at)
    # The database groups identical inputs; Python then merges spellings that normalise alike.
    rows = session.execute(
        select(ConversationEvent.text, Conversation.lang, Conversation.channel, func.count(), last_at)
        .join(Conversation, Conversation.id == ConversationEvent.conversation_id)
        .where(
            ConversationEvent.at >= start,
            ConversationEvent.at < end,
            ConversationEvent.kind.in_(FREE_TEXT),
            ConversationEvent.intent.is_(None),
            ConversationEvent.score.is_not(None),  # the matcher was asked (not a language choice or a key)
            ConversationEvent.text != "",
        )
        .group_by(ConversationEvent.text, Conversation.lang, Conversation.channel)
        .order_by(last_at.desc())
        .limit(MAX_UNMATCHED_ROWS)
    )
    groups: dict[tuple[str, str], _Group] = defaultdict(_Group)
    for raw, lang, channel, count, at in rows:
        lang = lang or "uk"
        text = mask(raw, lang)  # never shown as written: "мій код [РНОКПП]", and such phrases group together
        key = normalise(text, lang)
        if key and (lang, key) not in known:
            group = groups[(lang, key)]
            group.spellings[text.strip()] += count
            group.channels.add(channel)
            group.last_at = max(group.last_at, aware(at))
    found = [
        Unmatched(
            text=group.spellings.most_common(1)[0][0],
            lang=lang,
            count=group.spellings.total(),
            last_at=group.last_at,
            channels=tuple(sorted(group.channels)),
        )
        for (lang, _), group in groups.items()
    ]
    found.sort(key=lambda u: (-u.count, -u.last_at.timestamp()))
    return found[:limit]
