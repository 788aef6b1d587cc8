"""The daily retention run in the running service: on one node at a time (the `retention` Redis lease),
at 03:00 office time or as soon after as a node is up; the SQL record of the last run keeps a node that
takes the lease over later the same day from running it again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction, utcnow
from hotline.leases import Holding, Lease, Periodic
from hotline.redis_conn import RedisHandle
from hotline.settings import Settings
from privacy import retention
from specialist_queue.follow import Recordings

Work = Callable[[Holding], Awaitable[bool]]


def work(settings: Settings, sessions: sessionmaker[Session], recordings: Recordings | None) -> Work:
    """One look by the lease holder: run retention when today's run is due; True when it ran."""

    def last(now: datetime) -> datetime:
        """When it last ran; a new installation counts from now (its first run is the next night's)."""
        with transaction(sessions) as session:
            return retention.last_run(session)[0] or retention.arm(session, now=now)

    async def look(holding: Holding) -> bool:
        now = utcnow()
        if not retention.due(await to_thread.run_sync(last, now), now, settings.timezone):
            return False
        holding.check()  # the lease was lost while looking: the new holder decides
        await retention.run(sessions, now=now, delete_recording=recordings.delete_recording if recordings else None)
        return True

    return look


def build(
    settings: Settings, sessions: sessionmaker[Session], redis: RedisHandle, recordings: Recordings | None
) -> Periodic | None:
    """The periodic look under the lease (None when HOTLINE_RETENTION_CHECK_SECONDS is 0); `start()` it."""
    if settings.retention_check_seconds <= 0:
        return None
    lease = Lease(redis.client, "retention", prefix=settings.redis_prefix, ttl=settings.lease_seconds)
    return Periodic(lease, work(settings, sessions, recordings), every=settings.retention_check_seconds)
