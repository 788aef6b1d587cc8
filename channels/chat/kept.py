"""A chat channel's webhook callbacks kept while the database is unreachable, handled in order once it is back.

A 5xx would make the platform repeat the callback while the citizen hears nothing; a 200 alone would lose it.
So the channel answers 200 (and one polite word), keeps the callback's body here, and one node (the channel's
lease) hands the kept bodies back to it oldest first.

Only what truly needs the database is kept (a subscription, a rating, a message to a specialist, the channel's own
records of callbacks): a citizen's turn with the robot, and asking for a person, are handled live from Redis even
while some wait (`hotline.pending_log`). A citizen with a message kept (`keep(body, who)`) has their next ones kept
behind it, so their messages are still answered in the order they were written; a record of a delivery or a
"seen" keeps nobody's messages back (`keep(body)`), as its order does not matter.

Whether some wait is a flag in Redis, set with the first kept body and cleared (in one script, only when none is
left) by the replay. Every node mirrors it in memory (`keeping`) when it keeps a body and every few seconds
(`watch`), so a webhook on the normal path asks Redis nothing; a node that never saw the outage learns of bodies
kept by another within one round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TypeVar

import redis
from anyio import to_thread

from hotline.leases import Lease, Periodic, Work

log = logging.getLogger(__name__)
T = TypeVar("T")

WATCH_SECONDS = 2.0

# The oldest body goes, its citizen has one fewer kept, and the flag goes with the last body.
_DONE = """
redis.call('LPOP', KEYS[1])
if ARGV[1] ~= '' and redis.call('HINCRBY', KEYS[3], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[3], ARGV[1]) end
if redis.call('LLEN', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
return 1
"""


class Kept:
    def __init__(self, client: redis.Redis, key: str) -> None:
        self.client = client
        self.key = key
        self.flag = f"{key}:flag"
        self.whose = f"{key}:whose"  # a hash: citizen → how many of their messages are kept
        self.keeping = False  # the flag as this node last saw or set it
        self._done = client.register_script(_DONE)

    def keep(self, body: bytes, who: str | None = None) -> None:
        """Keep a callback's body, after those already kept; with `who`, that citizen's next messages are kept behind
        it (`holds`) until it is handled."""
        with self.client.pipeline() as pipe:
            pipe.rpush(self.key, body)
            pipe.set(self.flag, "1")
            if who:
                pipe.hincrby(self.whose, who, 1)
            pipe.execute()
        self.keeping = True

    def holds(self, who: str | None) -> bool:
        """Whether a message of this citizen is kept, so their next one must wait behind it (asks Redis only while
        this node knows that some are kept)."""
        return bool(self.keeping and who and self.client.hexists(self.whose, who))

    def waiting(self) -> int:
        """How many callbacks wait for the database (for /readyz and tests: the webhook reads `keeping`)."""
        return int(self.client.llen(self.key))

    def first(self) -> bytes | None:
        """The oldest kept body, still kept."""
        raw = self.client.lindex(self.key, 0)
        return None if raw is None else raw if isinstance(raw, bytes) else str(raw).encode()

    def done(self, who: str | None = None) -> None:
        """The oldest kept body (kept for `who`, if for anyone) was handled: it goes (the flag with the last one)."""
        if self._done(keys=[self.key, self.flag, self.whose], args=[who or ""]):
            self.keeping = False

    def replay(self, handle: Callable[[bytes], tuple[str | None, list[T]]]) -> list[T]:
        """Handle the kept bodies, oldest first, until none is left; what handling them gave (`handle` says whose
        each was, as `keep` was told; raises while the database is still unreachable, leaving the rest kept)."""
        found: list[T] = []
        while (body := self.first()) is not None:
            who, gave = handle(body)
            found += gave
            self.done(who)
        return found

    def refresh(self) -> None:
        self.keeping = bool(self.client.exists(self.flag))

    async def watch(self) -> None:
        """Mirror the flag on this node every WATCH_SECONDS (run it as a task for the channel's lifetime)."""
        while True:
            with contextlib.suppress(redis.RedisError):  # Redis away: the webhook's own calls fail and say so
                await to_thread.run_sync(self.refresh)
            await asyncio.sleep(WATCH_SECONDS)


class Replaying:
    """A channel's kept bodies, looked after for its lifetime: handed back (`replay`) on the node holding `lease`,
    and the flag mirrored on every node (`Kept.watch`)."""

    def __init__(self, kept: Kept, lease: Lease, replay: Work, *, every: float, name: str) -> None:
        self.replayer = Periodic(lease, replay, every=every)
        self.replayer.start()
        self.watching = asyncio.create_task(kept.watch(), name=f"{name}:kept")

    async def aclose(self) -> None:
        await self.replayer.aclose()
        self.watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.watching
