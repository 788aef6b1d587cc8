"""Real Redis processes for failover tests and the failover bench: a master, a replica and three sentinels
(`redis-server CONF --sentinel`) on free local ports, in a folder of their own; the master can be killed."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.helpers import free_port

MASTER = "hotline"
DOWN_AFTER_MS = 500  # small, so a test's failover takes a second or two (production: docs/DEPLOYMENT.md)
WAIT = 60.0


def available() -> bool:
    return shutil.which("redis-server") is not None


def _until(condition: object, what: str, wait: float = WAIT) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            if condition():  # type: ignore[operator]
                return
        except redis.RedisError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"Redis set-up: still not {what}")
        time.sleep(0.05)


@dataclass
class Sentinels:
    """The processes; `master_port` is whichever server the sentinels call master now."""

    folder: Path
    ports: list[int]  # the two data servers, the first starts as master
    sentinel_ports: list[int]
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def setting(self) -> str:
        """HOTLINE_REDIS_SENTINELS for these sentinels."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, decode_responses=True, socket_timeout=2, socket_connect_timeout=1)

    def master_port(self) -> int:
        """The master's port as a majority of the sentinels report it."""
        seen = []
        for port in self.sentinel_ports:
            with contextlib.suppress(redis.RedisError):
                seen.append(int(self.client(port).sentinel_get_master_addr_by_name(MASTER)[1]))
        return max(set(seen), key=seen.count)

    def kill_master(self) -> int:
        """SIGKILL the master (no shutdown, no last save); its port."""
        port = self.master_port()
        self.processes[port].send_signal(signal.SIGKILL)
        self.processes[port].wait()
        return port

    def wait_failover(self, old: int) -> int:
        """Until every sentinel names another master and that server answers as one; its port."""
        others = [p for p in self.ports if p != old]

        def promoted() -> bool:
            named = {int(self.client(p).sentinel_get_master_addr_by_name(MASTER)[1]) for p in self.sentinel_ports}
            return named == {others[0]} and self.client(others[0]).info("replication")["role"] == "master"

        _until(promoted, "failed over")
        return others[0]

    def _start(self, port: int, *args: str) -> None:
        log = (self.folder / f"{port}.log").open("wb")
        self.processes[port] = subprocess.Popen(
            ["redis-server", *args], stdout=log, stderr=subprocess.STDOUT, cwd=self.folder
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _server_args(port: int, folder: Path) -> list[str]:
    data = folder / str(port)
    data.mkdir()
    return [
        *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)),
        *("--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"),  # a replica syncs at once
    ]


def _sentinel_id(port: int) -> str:
    return f"{port:040x}"


def _sentinel_conf(found: Sentinels, port: int, down_after_ms: int) -> Path:
    """Told of the replica and the other sentinels from the start (else they find them in a few seconds)."""
    master, replica = found.ports
    lines = [
        f"port {port}",
        "bind 127.0.0.1",
        f"dir {found.folder}",
        f"sentinel myid {_sentinel_id(port)}",
        f"sentinel monitor {MASTER} 127.0.0.1 {master} 2",
        f"sentinel down-after-milliseconds {MASTER} {down_after_ms}",
        f"sentinel failover-timeout {MASTER} 10000",
        f"sentinel parallel-syncs {MASTER} 1",
        f"sentinel known-replica {MASTER} 127.0.0.1 {replica}",
        *(
            f"sentinel known-sentinel {MASTER} 127.0.0.1 {other} {_sentinel_id(other)}"
            for other in found.sentinel_ports
            if other != port
        ),
    ]
    conf = found.folder / f"sentinel-{port}.conf"  # sentinels rewrite their file: one each, writable
    conf.write_text("\n".join(lines) + "\n")
    return conf


@contextlib.contextmanager
def sentinels(folder: Path, down_after_ms: int = DOWN_AFTER_MS) -> Iterator[Sentinels]:
    """A master, its replica and three sentinels (quorum 2) that know each other; stopped afterwards."""
    found = Sentinels(folder, [free_port(), free_port()], [free_port() for _ in range(3)])
    master, replica = found.ports
    try:
        found._start(master, *_server_args(master, folder))
        found._start(replica, *_server_args(replica, folder), "--replicaof", "127.0.0.1", str(master))
        _until(lambda: found.client(replica).info("replication")["master_link_status"] == "up", "replicating")
        _until(lambda: found.client(master).wait(1, 100) == 1, "acknowledging writes")
        for port in found.sentinel_ports:
            found._start(port, str(_sentinel_conf(found, port, down_after_ms)), "--sentinel")
        for port in found.sentinel_ports:  # a failover needs sentinels that know the replica and each other
            sentinel = found.client(port)
            _until(lambda s=sentinel: len(s.sentinel_slaves(MASTER)) == 1, "seeing the replica")  # type: ignore[misc]
            _until(lambda s=sentinel: len(s.sentinel_sentinels(MASTER)) == 2, "seeing each other")  # type: ignore[misc]
        yield found
    finally:
        found.stop()
