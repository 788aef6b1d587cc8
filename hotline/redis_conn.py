"""The Redis connection: the configured server, a master found through Redis Sentinel, or the embedded
one (`hotline.embedded_redis`) by default.

With Sentinel (`HOTLINE_REDIS_SENTINELS`) every client asks the sentinels where the master is whenever
its connection breaks, and retries a failed command for as long as a failover takes, so a request
pauses through a failover instead of failing. Writes the live queue depends on are then acknowledged
only once a replica has them (`durable`), so a failover does not lose what a citizen or an operator
was told had happened. Not Redis Cluster: the queue's Lua scripts touch many keys at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.asyncio.sentinel import SentinelManagedConnection as AsyncSentinelManagedConnection
from redis.backoff import ExponentialBackoff
from redis.commands.core import Script
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelManagedConnection

from hotline.embedded_redis import EmbeddedRedis
from hotline.settings import Settings

log = logging.getLogger(__name__)

# 0.05, 0.1, 0.2 … then 1 s apart: about 20 s of retries, more than a failover with Sentinel's
# down-after-milliseconds at 10 s takes (docs/DEPLOYMENT.md suggests 5 s).
_BACKOFF = ExponentialBackoff(cap=1.0, base=0.05)
_RETRIES = 24
_ERRORS = (redis.ConnectionError, redis.TimeoutError)
_SOCKET_TIMEOUT = 5.0  # a master that stops answering (not refusing) is left after this long
_CONNECT_TIMEOUT = 1.0
_SENTINEL_TIMEOUTS = {"socket_timeout": _SOCKET_TIMEOUT, "socket_connect_timeout": _CONNECT_TIMEOUT}
WAIT_MS = 500  # the longest a durable write waits for a replica before it is accepted without one
UNWAITED_SECONDS = 5.0  # after that, how long writes go without waiting before a replica is asked again


class _Following(SentinelManagedConnection):
    """Asks the sentinels where the master is on every reconnection. redis-py's own connection asks only on
    its first one and retries the old master's address until its retries run out (redis/redis-py#3874)."""

    def connect_check_health(self, check_health: bool = True, retry_socket_connect: bool = True) -> None:
        if self._sock is None and self.connection_pool.is_master:
            self.host, self.port = self.connection_pool.get_master_address()
        super().connect_check_health(check_health=check_health, retry_socket_connect=retry_socket_connect)


class _AsyncFollowing(AsyncSentinelManagedConnection):
    """`_Following` for asyncio clients."""

    async def connect_check_health(self, check_health: bool = True, retry_socket_connect: bool = True) -> None:
        if not self.is_connected and self.connection_pool.is_master:
            self.host, self.port = await self.connection_pool.get_master_address()
        await super().connect_check_health(check_health=check_health, retry_socket_connect=retry_socket_connect)


@dataclass(frozen=True)
class SentinelConfig:
    sentinels: tuple[tuple[str, int], ...]
    master: str
    password: str | None = None


@dataclass
class RedisHandle:
    """A client, how to make more (asyncio) of the same server, and for the embedded default the server this
    service runs and stops. `replicas`: how many replicas a durable write waits for (1 with Sentinel)."""

    client: redis.Redis
    url: str
    sentinel: SentinelConfig | None = None
    embedded: EmbeddedRedis | None = None
    replicas: int = 0

    def async_client(self, *, timeout: float | None = None) -> aioredis.Redis:
        """An asyncio client of the same server (pub/sub, live updates) that follows a failover too; with
        `timeout`, one that gives up after that long instead of waiting a failover out."""
        if self.sentinel is None:
            return aioredis.Redis.from_url(
                self.url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        config = self.sentinel
        sentinel = AsyncSentinel(list(config.sentinels), sentinel_kwargs=dict(_SENTINEL_TIMEOUTS))
        retry = AsyncRetry(_BACKOFF, _RETRIES if timeout is None else 0, supported_errors=_ERRORS)
        client: aioredis.Redis = sentinel.master_for(
            config.master,
            decode_responses=True,
            password=config.password,
            retry=retry,
            connection_class=_AsyncFollowing,
            socket_timeout=timeout or _SOCKET_TIMEOUT,
            socket_connect_timeout=timeout or _CONNECT_TIMEOUT,
        )
        return client

    def close(self) -> None:
        self.client.close()
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def parse_sentinels(value: str) -> tuple[tuple[str, int], ...]:
    """`host:port,host:port` (26379 when a port is left out)."""
    found = []
    for item in (part.strip() for part in value.split(",")):
        if item:
            host, _, port = item.rpartition(":") if ":" in item else (item, "", "26379")
            found.append((host, int(port)))
    if not found:
        raise ValueError("no sentinel address given")
    return tuple(found)


def sentinel_config(settings: Settings) -> SentinelConfig | None:
    """What HOTLINE_REDIS_SENTINELS, _MASTER and _PASSWORD say; None without sentinels."""
    if not settings.redis_sentinels:
        return None
    password = settings.redis_password.get_secret_value() or None
    return SentinelConfig(parse_sentinels(settings.redis_sentinels), settings.redis_master, password)


def connect(url: str, data_dir: Path, *, sentinel: SentinelConfig | None = None) -> RedisHandle:
    """The master named in `sentinel`, else `url`, else the embedded server whose data lives in `data_dir`."""
    if sentinel is not None:
        return _through_sentinel(sentinel)
    if url:
        return RedisHandle(client=redis.Redis.from_url(url, decode_responses=True), url=url)
    server = EmbeddedRedis.start(data_dir)
    client = redis.Redis(unix_socket_path=str(server.socket), decode_responses=True)
    return RedisHandle(client=client, url=server.url, embedded=server)


def _through_sentinel(config: SentinelConfig) -> RedisHandle:
    sentinel = Sentinel(list(config.sentinels), sentinel_kwargs=dict(_SENTINEL_TIMEOUTS))
    client = sentinel.master_for(
        config.master,
        decode_responses=True,
        password=config.password,
        retry=Retry(_BACKOFF, _RETRIES, supported_errors=_ERRORS),
        connection_class=_Following,
        socket_timeout=_SOCKET_TIMEOUT,
        socket_connect_timeout=_CONNECT_TIMEOUT,
    )
    where = ",".join(f"{host}:{port}" for host, port in config.sentinels)
    log.info("Redis master %r through the sentinels at %s", config.master, where)
    return RedisHandle(client=client, url=f"sentinel://{where}/{config.master}", sentinel=config, replicas=1)


@dataclass
class Durable:
    """Runs a script and acknowledges it only once `replicas` replicas have it (Redis's WAIT, in the same
    round trip), so a failover to one of them keeps it.

    When no replica answers within WAIT_MS the write stands anyway. If none is even connected (it is
    down, or it was the old master a failover left behind) writes go unwaited for UNWAITED_SECONDS
    before one is asked again, and the log says so once: a line that stalls because a replica is down
    would be worse than the rare write a failover could then lose (the queue rebuilds from SQL after
    one). A replica that is connected but slow is waited for again next time."""

    client: redis.Redis
    replicas: int = 0
    _unwaited_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, script: Script, keys: Sequence[str] = (), args: Sequence[Any] = ()) -> Any:
        if not self.replicas or time.monotonic() < self._unwaited_until:
            return script(keys=list(keys), args=list(args))
        try:
            reply, acknowledged = self._pipelined(script, keys, args)
        except redis.exceptions.NoScriptError:  # a new master after a failover: it has not seen the script
            reply, acknowledged = self._pipelined(script, keys, args)
        if int(acknowledged) < self.replicas and self._connected() < self.replicas:
            self._unwaited()
        return reply

    def _connected(self) -> int:
        return int(self.client.info("replication").get("connected_slaves", 0))

    def _pipelined(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> list[Any]:
        with self.client.pipeline(transaction=False) as pipe:  # loads the script where it is missing
            script(keys=list(keys), args=list(args), client=pipe)
            pipe.execute_command("WAIT", self.replicas, WAIT_MS)  # type: ignore[no-untyped-call]
            return pipe.execute()

    def _unwaited(self) -> None:
        with self._lock:
            first = self._unwaited_until == 0.0
            self._unwaited_until = time.monotonic() + UNWAITED_SECONDS
        if first:
            log.warning(
                "Redis: no replica connected; writes are not waited for (a failover now could lose the latest, "
                "which the queue then rebuilds from SQL)"
            )
