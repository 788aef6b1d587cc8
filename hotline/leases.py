"""A Redis lease: background work that must run once across the app's nodes, and goes on when the node
holding it dies.

One key per lease holds `<token>:<owner>` with a time to live. The node holding it renews it; a node
that dies stops renewing, and another node takes the lease once the time runs out; a node that stops
releases it, so the next one takes over at once. Renewal and release check ownership in one Lua script,
so a node whose lease has run out never extends or deletes its successor's.

Every new holder gets a larger **fencing token**: a counter that never goes below Redis's clock in
milliseconds, so it keeps growing even when a failover lost the counter. Work whose effects outlive the
lease (a SQL row, a message sent) can record the token and refuse to act for a smaller one.

A lease alone is not a lock to bet correctness on: a Redis failover that loses the key lets a second
node take it while the first still thinks it holds it (until its next renewal fails). Work run under a
lease must stay safe if, rarely, two nodes run it at once — the queue's tick is (every change is one
Lua script) — or check its token where it writes.

    lease = Lease(client, "queue-tick", prefix=settings.redis_prefix, ttl=10)
    tick = Periodic(lease, work, every=0.5)   # async def work(holding: Holding) -> None
    tick.start()  ...  await tick.aclose()   # releases the lease for the next node
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis
from anyio import to_thread

log = logging.getLogger(__name__)

# KEYS: lease, fence counter; ARGV: owner, ttl ms → the token held (ours, renewed, or new), or nil.
_ACQUIRE = """
local held = redis.call('GET', KEYS[1])
if held then
  local sep = string.find(held, ':', 1, true)
  if string.sub(held, sep + 1) ~= ARGV[1] then return false end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(string.sub(held, 1, sep - 1))
end
local now = redis.call('TIME')
local clock = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local token = redis.call('INCR', KEYS[2])
if token < clock then
  token = clock
  redis.call('SET', KEYS[2], string.format('%d', token))
end
redis.call('SET', KEYS[1], string.format('%d', token) .. ':' .. ARGV[1], 'PX', ARGV[2])
return token
"""
# KEYS: lease; ARGV: the holder's value, ttl ms → 1 when renewed, 0 when the lease is not (or no longer) its.
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""
# KEYS: lease; ARGV: the holder's value → 1 when released, 0 when it was not (or no longer) its.
_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""


class LeaseLost(RuntimeError):
    """The lease ran out or was taken over while its work was running."""


def node_name() -> str:
    """This process, as other nodes see it in a lease: host, pid and a random part."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


class Lease:
    """One named lease in Redis (`{prefix}:lease:{name}`), taken and renewed by `owner`."""

    def __init__(self, client: redis.Redis, name: str, *, prefix: str, ttl: float, owner: str | None = None) -> None:
        if ttl <= 0:
            raise ValueError("a lease needs a positive time to live")
        self.client = client
        self.name = name
        self.key = f"{prefix}:lease:{name}"
        self.fence_key = f"{self.key}:fence"
        self.ttl = ttl
        self.owner = owner or node_name()
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @property
    def _ttl_ms(self) -> int:
        return max(1, round(self.ttl * 1000))

    def _value(self, token: int) -> str:
        return f"{token}:{self.owner}"

    def acquire(self) -> int | None:
        """Take the lease when free, or renew it when already ours: its fencing token; None while another holds it."""
        token = self._acquire(keys=[self.key, self.fence_key], args=[self.owner, self._ttl_ms])
        return None if token is None else int(token)

    def renew(self, token: int) -> bool:
        """Extend the lease held with `token`; False when it ran out or another node took it."""
        return bool(self._renew(keys=[self.key], args=[self._value(token), self._ttl_ms]))

    def release(self, token: int) -> bool:
        """Give the lease up (only if still held with `token`), so another node takes it at once."""
        return bool(self._release(keys=[self.key], args=[self._value(token)]))

    def holder(self) -> tuple[int, str] | None:
        """(token, owner) of whoever holds the lease now, or None."""
        value = self.client.get(self.key)
        if value is None:
            return None
        token, _, owner = str(value).partition(":")
        return int(token), owner


@dataclass
class Holding:
    """The lease as one run of the work holds it: its token, and whether it has been lost meanwhile."""

    lease: Lease
    token: int
    lost: threading.Event = field(default_factory=threading.Event)

    def check(self) -> None:
        """Raise LeaseLost when the lease is no longer ours (call it before an effect that must happen once)."""
        if self.lost.is_set():
            raise LeaseLost(f"lease {self.lease.name!r} (token {self.token}) was lost")


Work = Callable[[Holding], Awaitable[object]]


class Periodic:
    """Run `work` every `every` seconds on whichever node holds `lease`; the other nodes stand by.

    The holder renews the lease on each round and, while a round runs, every third of its time to
    live; a standby node tries to take it as often, so a dead holder is replaced within about
    1⅓ × ttl. A failed round is logged and the next one runs as usual.
    """

    def __init__(self, lease: Lease, work: Work, *, every: float) -> None:
        self.lease = lease
        self.work = work
        self.every = every
        self.token: int | None = None
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start in the running event loop."""
        if self.task is None:
            self.task = asyncio.create_task(self.run(), name=f"lease:{self.lease.name}")

    async def run(self) -> None:
        due = 0.0
        while True:
            token = await self._take()
            if token is None:
                due = 0.0  # whoever takes the lease over runs at once
            elif time.monotonic() >= due:
                due = time.monotonic() + self.every
                await self._round(Holding(self.lease, token))
            await asyncio.sleep(min(self.every, self.lease.ttl / 3))

    async def _take(self) -> int | None:
        try:
            token = await to_thread.run_sync(self.lease.acquire)
        except redis.RedisError as exc:
            token = None
            if self.token is not None:
                log.warning("lease %s: Redis failed (%s); standing by", self.lease.name, type(exc).__name__)
        if token != self.token:
            log.info("lease %s: %s", self.lease.name, f"held (token {token})" if token else "standing by")
        self.token = token
        return token

    async def _round(self, holding: Holding) -> None:
        renewing = asyncio.create_task(self._renew(holding))
        try:
            await self.work(holding)
        except Exception:  # the loop must outlive one failed round, or the work never runs again
            log.exception("lease %s: a round failed", self.lease.name)
        finally:
            renewing.cancel()

    async def _renew(self, holding: Holding) -> None:
        while True:
            await asyncio.sleep(self.lease.ttl / 3)
            try:
                kept = await to_thread.run_sync(self.lease.renew, holding.token)
            except redis.RedisError:
                kept = False
            if not kept:
                holding.lost.set()
                return

    async def aclose(self) -> None:
        """Stop, and release the lease if held, so another node takes over without waiting for it to run out."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        if self.token is not None:
            try:
                await to_thread.run_sync(self.lease.release, self.token)
            except redis.RedisError as exc:
                log.warning("lease %s: not released (%s); it runs out by itself", self.lease.name, type(exc).__name__)
            self.token = None
