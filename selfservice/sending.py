"""Sending announcements: each subscriber's copy once, within each platform's rate, across restarts.

One node sends at a time (a lease, `hotline.leases`). Every copy is a row (`models.Delivery`):

1. When an announcement is due, its rows are written in the same transaction that marks it sending:
   one per subscriber of its topic at that moment, in their language.
2. A row is claimed (`pending` → `sending`, with the lease's fencing token) in its own transaction
   just before its message goes to the platform, and settled (`sent`, `failed`, `gone`, or back to
   `pending` to retry) as soon as the platform answers.
3. A node that stops lets the copies on their way finish before it lets the lease go, so a restart
   leaves nothing half-done. A node that dies leaves at most the copies it was sending at that moment
   claimed; the next holder marks them `unknown` and never sends them again: the platform has no way
   to ask whether a message arrived, and a copy twice is what must not happen.

Pacing: each channel's copies start at most `rate` a second (a slot every 1/rate seconds), several
in flight at once so the platform's latency does not lower the rate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
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

BATCH = 200  # rows read at once per announcement
IN_FLIGHT = 16  # copies on their way at once per channel
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
        self._slots = {name: asyncio.Semaphore(IN_FLIGHT) for name in self.pushers}
        self._round = asyncio.Lock()

    async def round(self, holding: Holding) -> None:
        """Everything there is to send now, until it is sent, the lease is lost, or the node stops."""
        async with self._round:
            await to_thread.run_sync(self._start_due)
            await to_thread.run_sync(self._settle_stale, holding.token)
            while not self.stopping.is_set() and not holding.lost.is_set():
                rows = await to_thread.run_sync(self._waiting)
                if not rows:
                    break
                copies = (self._copy(holding, *row) for row in rows)
                for failed in await asyncio.gather(*copies, return_exceptions=True):
                    if isinstance(failed, BaseException):  # one copy's fault: the others still finish first
                        log.error("announcements: a copy failed", exc_info=failed)
            await to_thread.run_sync(self._finish)

    async def drain(self) -> None:
        """Stop starting copies and wait for those on their way (called before the lease is let go)."""
        self.stopping.set()
        async with self._round:
            pass

    # ---- SQL steps (in worker threads) ---------------------------------------------------------

    def _start_due(self) -> None:
        """Due announcements become sending, with a row per subscriber, in one transaction each."""
        now = self.clock()
        with transaction(self.sessions) as session:
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
        """Copies a dead holder was sending when it died: perhaps delivered, so never sent again."""
        with transaction(self.sessions) as session:
            lost = session.execute(
                update(Delivery)
                .where(Delivery.state == ann.CLAIMED, Delivery.token != token)
                .values(state=ann.UNKNOWN, detail="the sender stopped while sending", updated_at=self.clock())
            ).rowcount  # type: ignore[attr-defined]
        if lost:
            log.warning("announcements: %s copies were on their way when their sender died; not sent again", lost)

    def _waiting(self) -> list[tuple[int, str, str, str, str]]:
        """(row id, channel, recipient, language, text) of the next copies to send, oldest announcement first."""
        with self.sessions() as session:
            sending = list(
                session.scalars(select(Announcement).where(Announcement.state == ann.SENDING).order_by(Announcement.id))
            )
            for announcement in sending:
                rows = session.execute(
                    select(Delivery.id, Delivery.channel, Delivery.recipient, Delivery.lang)
                    .where(Delivery.announcement_id == announcement.id, Delivery.state == ann.PENDING)
                    .order_by(Delivery.id)
                    .limit(BATCH)
                ).all()
                if rows:
                    return [(i, c, r, lang, ann.message(announcement, lang)) for i, c, r, lang in rows]
        return []

    def _claim(self, row_id: int, token: int) -> bool:
        with transaction(self.sessions) as session:
            claimed = session.execute(
                update(Delivery)
                .where(Delivery.id == row_id, Delivery.state == ann.PENDING)
                .values(state=ann.CLAIMED, token=token, attempts=Delivery.attempts + 1, updated_at=self.clock())
            ).rowcount  # type: ignore[attr-defined]
        return bool(claimed)

    def _settle(self, row_id: int, token: int, outcome: PushOutcome, detail: str) -> None:
        with transaction(self.sessions) as session:
            row = session.get(Delivery, row_id)
            if row is None or row.state != ann.CLAIMED or row.token != token:
                return  # another holder settled it meanwhile (a lease lost in a failover)
            if outcome is PushOutcome.RETRY:
                row.state = ann.PENDING if row.attempts < MAX_ATTEMPTS else ann.FAILED
            else:
                row.state = {PushOutcome.SENT: ann.SENT, PushOutcome.GONE: ann.GONE}.get(outcome, ann.FAILED)
            row.detail = detail[:200]
            if outcome is PushOutcome.GONE:  # the citizen left the bot: nothing more goes to them
                topics.unsubscribe(session, channel=row.channel, recipient=row.recipient)

    def _no_channel(self, row_id: int, channel: str) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == row_id, Delivery.state == ann.PENDING)
                .values(state=ann.FAILED, detail=f"no {channel} channel on this line", updated_at=self.clock())
            )

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

    # ---- one copy ------------------------------------------------------------------------------

    async def _copy(self, holding: Holding, row_id: int, channel: str, recipient: str, lang: str, text: str) -> None:
        pusher = self.pushers.get(channel)
        if pusher is None:
            await to_thread.run_sync(self._no_channel, row_id, channel)
            return
        async with self._slots[channel]:
            pace = self._paces[channel]
            await asyncio.sleep(max(0.0, pace.slot(time.monotonic()) - time.monotonic()))
            if self.stopping.is_set() or holding.lost.is_set():
                return  # still pending: the next round (here or on another node) sends it
            if not await to_thread.run_sync(self._claim, row_id, holding.token):
                return  # cancelled meanwhile
            try:
                pushed = await pusher.push(recipient, text, message_id=f"announcement:{row_id}")
            except Exception as exc:  # a fault of ours before the platform answered: it goes back to the queue
                log.exception("announcements: copy %s could not be sent", row_id)
                pushed = Pushed(PushOutcome.RETRY, f"{type(exc).__name__}")
            await to_thread.run_sync(self._settle, row_id, holding.token, pushed.outcome, pushed.detail)
        if pushed.outcome is PushOutcome.RETRY:
            pace.next_at = max(pace.next_at, time.monotonic() + PAUSE_SECONDS)


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
