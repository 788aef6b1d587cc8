"""Sending announcements: each subscriber's copy once, within each platform's rate, across restarts.

One node sends at a time (a lease, `hotline.leases`). Every copy is a row (`models.Delivery`):

1. When an announcement is due, its rows are written in the same transaction that marks it sending:
   one per subscriber of its topic at that moment, in their language.
2. A small batch of rows is claimed (`pending` → `sending`, with the lease's fencing token) in one
   transaction just before its messages go to the platform, and settled in one transaction once the
   platform has answered them all (`sent`, `failed`, `gone`, or back to `pending` to retry).
3. A node that stops lets the batch on its way finish — copies not yet started go back to `pending`
   — before it lets the lease go, so a restart sends nobody anything twice and loses nobody. A node
   that dies leaves its last batch claimed; the next holder marks those rows `unknown` and never sends
   them again: the platform cannot say whether a message arrived, and a copy twice is what must not
   happen. At most one batch (`BATCH`) is lost that way.
4. For the same reason a copy whose request went out but whose answer never came (a timeout) is
   `unknown`, not sent again: the clients are called with `resend=False` (`push`). What was never sent
   (no connection, a 429, a 5xx) is tried again.

Pacing: each channel's copies start at most `rate` a second (a slot every 1/rate seconds), up to
`IN_FLIGHT` of them on their way at once so the platform's latency does not lower the rate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from anyio import to_thread
from sqlalchemy import insert, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction, utcnow
from hotline.leases import Holding, Lease, Periodic
from selfservice import announcements as ann
from selfservice import topics
from selfservice.models import Announcement, Delivery, Subscription
from selfservice.push import Pushed, PushOutcome, PushSender

log = logging.getLogger(__name__)

BATCH = 32  # copies claimed, sent and settled together: the most a node that dies can leave unknown
# Copies on their way at once per channel: enough that the platform's latency does not lower the rate, few
# enough that one connection pool and the platform's front end are not flooded (measured: docs/BENCHMARKS.md).
IN_FLIGHT = 8
MAX_ATTEMPTS = 3  # tries of one copy when the platform cannot be reached
PAUSE_SECONDS = 5.0  # a channel rests this long after its platform could not be reached


@dataclass
class _Pace:
    """A channel's next free slot on the monotonic clock."""

    interval: float
    next_at: float = 0.0

    def slot(self, now: float) -> float:
        """When the next copy may start (and book it)."""
        at = max(now, self.next_at)
        self.next_at = at + self.interval
        return at


@dataclass(frozen=True)
class Copy:
    row_id: int
    channel: str
    recipient: str
    text: str


class Sender:
    """The work each round does under the lease: start what is due, send what waits, close what is done."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        pushers: Mapping[str, PushSender],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.pushers = dict(pushers)
        self.clock = clock
        self.stopping = asyncio.Event()
        self._paces = {name: _Pace(1.0 / max(p.rate, 0.001)) for name, p in self.pushers.items()}
        self._flying = {name: asyncio.Semaphore(IN_FLIGHT) for name in self.pushers}
        self._round = asyncio.Lock()

    async def round(self, holding: Holding) -> None:
        """Everything there is to send now, until it is sent, the lease is lost, or the node stops."""
        async with self._round:
            await to_thread.run_sync(self._start_due)
            await to_thread.run_sync(self._settle_stale, holding.token)
            while not self.stopping.is_set() and not holding.lost.is_set():
                batch = await to_thread.run_sync(self._claim, holding.token)
                if not batch:
                    break
                results = await asyncio.gather(*(self._copy(holding, c) for c in batch), return_exceptions=True)
                outcomes = [self._outcome(c, r) for c, r in zip(batch, results, strict=True)]
                await to_thread.run_sync(self._settle, holding.token, outcomes)
            await to_thread.run_sync(self._finish)

    async def drain(self) -> None:
        """Stop starting copies and wait for those on their way (called before the lease is let go)."""
        self.stopping.set()
        async with self._round:
            pass

    # ---- one copy ------------------------------------------------------------------------------

    async def _copy(self, holding: Holding, copy: Copy) -> Pushed | None:
        """Send one claimed copy at its channel's next slot; None when it was not started (stopping)."""
        pusher = self.pushers.get(copy.channel)
        if pusher is None:
            return Pushed(PushOutcome.FAILED, f"no {copy.channel} channel on this line")
        pace = self._paces[copy.channel]
        async with self._flying[copy.channel]:
            await asyncio.sleep(max(0.0, pace.slot(time.monotonic()) - time.monotonic()))
            if self.stopping.is_set() or holding.lost.is_set():
                return None
            pushed = await pusher.push(copy.recipient, copy.text, message_id=f"announcement:{copy.row_id}")
        if pushed.outcome is PushOutcome.RETRY:
            pace.next_at = max(pace.next_at, time.monotonic() + PAUSE_SECONDS)
        return pushed

    @staticmethod
    def _outcome(copy: Copy, result: Pushed | BaseException | None) -> tuple[int, Pushed | None]:
        if isinstance(result, BaseException):  # a fault of ours before the platform answered: tried again later
            log.error("announcements: copy %s could not be sent", copy.row_id, exc_info=result)
            return copy.row_id, Pushed(PushOutcome.RETRY, type(result).__name__)
        return copy.row_id, result

    # ---- SQL steps (in worker threads) ---------------------------------------------------------

    def _start_due(self) -> None:
        """Due announcements become sending, with a row per subscriber, in one transaction each."""
        now = self.clock()
        with self.sessions() as session:
            due = list(
                session.scalars(
                    select(Announcement.id).where(Announcement.state == ann.SCHEDULED, Announcement.send_at <= now)
                )
            )
        for announcement_id in due:
            with transaction(self.sessions) as session:
                self._start(session, announcement_id, now)

    @staticmethod
    def _start(session: Session, announcement_id: int, now: datetime) -> None:
        taken = session.execute(
            update(Announcement)
            .where(Announcement.id == announcement_id, Announcement.state == ann.SCHEDULED)
            .values(state=ann.SENDING, started_at=now)
        ).rowcount  # type: ignore[attr-defined]
        if not taken:
            return  # cancelled, or started by another holder meanwhile
        topic_id = session.scalar(select(Announcement.topic_id).where(Announcement.id == announcement_id))
        subscribers = select(
            literal(announcement_id),
            Subscription.channel,
            Subscription.recipient,
            Subscription.lang,
            literal(ann.PENDING),
            literal(0),
            literal(""),
            literal(now),
        ).where(Subscription.topic_id == topic_id)
        columns = ["announcement_id", "channel", "recipient", "lang", "state", "attempts", "detail", "updated_at"]
        session.execute(insert(Delivery).from_select(columns, subscribers))
        log.info("announcement %s: sending", announcement_id)

    def _settle_stale(self, token: int) -> None:
        """Copies a dead holder had claimed when it died: perhaps delivered, so never sent again."""
        with transaction(self.sessions) as session:
            lost = session.execute(
                update(Delivery)
                .where(Delivery.state == ann.CLAIMED, Delivery.token != token)
                .values(state=ann.UNKNOWN, detail="the sender stopped while sending", updated_at=self.clock())
            ).rowcount  # type: ignore[attr-defined]
        if lost:
            log.warning("announcements: %s copies were claimed when their sender died; not sent again", lost)

    def _claim(self, token: int) -> list[Copy]:
        """The next batch of the oldest sending announcement, claimed with `token`."""
        with transaction(self.sessions) as session:
            announcement = session.scalar(
                select(Announcement)
                .where(
                    Announcement.state == ann.SENDING,
                    select(Delivery.id)
                    .where(Delivery.announcement_id == Announcement.id, Delivery.state == ann.PENDING)
                    .exists(),
                )
                .order_by(Announcement.id)
                .limit(1)
            )
            if announcement is None:
                return []
            ids = list(
                session.scalars(
                    select(Delivery.id)
                    .where(Delivery.announcement_id == announcement.id, Delivery.state == ann.PENDING)
                    .order_by(Delivery.id)
                    .limit(BATCH)
                )
            )
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.state == ann.PENDING)
                .values(state=ann.CLAIMED, token=token, attempts=Delivery.attempts + 1, updated_at=self.clock())
            )
            rows = session.execute(
                select(Delivery.id, Delivery.channel, Delivery.recipient, Delivery.lang).where(
                    Delivery.id.in_(ids), Delivery.state == ann.CLAIMED, Delivery.token == token
                )
            ).all()
            return [Copy(i, channel, who, ann.message(announcement, lang)) for i, channel, who, lang in rows]

    def _settle(self, token: int, outcomes: Sequence[tuple[int, Pushed | None]]) -> None:
        """What became of a batch, in one transaction; copies never started go back to wait."""
        by_id = dict(outcomes)
        with transaction(self.sessions) as session:
            rows = session.scalars(
                select(Delivery).where(Delivery.id.in_(by_id), Delivery.state == ann.CLAIMED, Delivery.token == token)
            )
            for row in rows:  # rows another holder settled meanwhile (a lease lost in a failover) are not here
                self._settle_row(session, row, by_id[row.id])

    def _settle_row(self, session: Session, row: Delivery, pushed: Pushed | None) -> None:
        row.updated_at = self.clock()
        if pushed is None:
            row.state, row.token, row.attempts = ann.PENDING, None, row.attempts - 1
            return
        if pushed.outcome is PushOutcome.RETRY:
            row.state = ann.PENDING if row.attempts < MAX_ATTEMPTS else ann.FAILED
        else:
            done = {PushOutcome.SENT: ann.SENT, PushOutcome.GONE: ann.GONE, PushOutcome.UNKNOWN: ann.UNKNOWN}
            row.state = done.get(pushed.outcome, ann.FAILED)
        row.detail = pushed.detail[:200]
        if pushed.outcome is PushOutcome.GONE:  # the citizen left the bot: nothing more goes to them
            topics.unsubscribe(session, channel=row.channel, recipient=row.recipient)

    def _finish(self) -> None:
        """Announcements with no copy left to send are done."""
        with transaction(self.sessions) as session:
            for announcement in session.scalars(select(Announcement).where(Announcement.state == ann.SENDING)):
                left = session.scalar(
                    select(Delivery.id)
                    .where(
                        Delivery.announcement_id == announcement.id,
                        Delivery.state.in_((ann.PENDING, ann.CLAIMED)),
                    )
                    .limit(1)
                )
                if left is None:
                    announcement.state = ann.DONE
                    announcement.finished_at = self.clock()
                    log.info("announcement %s: done", announcement.id)


@dataclass
class Announcer:
    """The sender as the app runs it: a round every `every` seconds on the node holding the lease."""

    sender: Sender
    periodic: Periodic

    def start(self) -> None:
        self.periodic.start()

    async def aclose(self) -> None:
        """Let the copies on their way finish, then give the lease to the next node."""
        await self.sender.drain()
        await self.periodic.aclose()


def build(
    sessions: sessionmaker[Session], lease: Lease, pushers: Mapping[str, PushSender], *, every: float = 1.0
) -> Announcer:
    sender = Sender(sessions, pushers)
    return Announcer(sender, Periodic(lease, sender.round, every=every))
