"""A chat channel's webhook callbacks kept while the database is unreachable, handled in order once it is back.

A 5xx would make the platform repeat the callback while the citizen hears nothing; a 200 alone would lose it.
So the channel answers 200 (and one polite word), keeps the callback's body here, and one node (the channel's
lease) hands the kept bodies back to it oldest first. While some wait, new callbacks queue behind them, so a
citizen's messages are answered in the order they were written.

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

log = logging.getLogger(__name__)
T = TypeVar("T")

WATCH_SECONDS = 2.0

_CLEAR = """
if redis.call('LLEN', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[2])
return 1
"""


class Kept:
    def __init__(self, client: redis.Redis, key: str) -> None:
        self.client = client
        self.key = key
        self.flag = f"{key}:flag"
        self.keeping = False  # the flag as this node last saw or set it
        self._clear = client.register_script(_CLEAR)

    def keep(self, body: bytes) -> None:
        """Keep a callback's body, after those already kept."""
        with self.client.pipeline() as pipe:
            pipe.rpush(self.key, body)
            pipe.set(self.flag, "1")
            pipe.execute()
        self.keeping = True

    def waiting(self) -> int:
        """How many callbacks wait for the database (for /readyz and tests: the webhook reads `keeping`)."""
        return int(self.client.llen(self.key))

    def first(self) -> bytes | None:
        """The oldest kept body, still kept."""
        raw = self.client.lindex(self.key, 0)
        return None if raw is None else raw if isinstance(raw, bytes) else str(raw).encode()

    def done(self) -> None:
        """The oldest kept body was handled: it goes (and the flag with the last one)."""
        self.client.lpop(self.key)
        if self._clear(keys=[self.key, self.flag]):
            self.keeping = False

    def replay(self, handle: Callable[[bytes], list[T]]) -> list[T]:
        """Handle the kept bodies, oldest first, until none is left; what handling them gave (raises while the
        database is still unreachable, leaving the rest kept)."""
        found: list[T] = []
        while (body := self.first()) is not None:
            found += handle(body)
            self.done()
        return found

    def refresh(self) -> None:
        self.keeping = bool(self.client.exists(self.flag))

    async def watch(self) -> None:
        """Mirror the flag on this node every WATCH_SECONDS (run it as a task for the channel's lifetime)."""
        while True:
            with contextlib.suppress(redis.RedisError):  # Redis away: the webhook's own calls fail and say so
                await to_thread.run_sync(self.refresh)
            await asyncio.sleep(WATCH_SECONDS)
