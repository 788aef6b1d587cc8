"""Requests per second one app node and two app nodes (behind HAProxy) sustain, on the web chat API and on
the phone webhooks, with each node's CPU.

    .venv/bin/python bench/nodes_bench.py [--callers 32] [--seconds 15] [--workers 2] [--write]

Starts everything itself: a scratch PostgreSQL database (HOTLINE_BENCH_POSTGRES_URL), Redis db 14 with a
prefix of its own, `hotline serve --workers W --no-access-log` nodes (rate limits off: every client is
127.0.0.1), and for two nodes Debian's `haproxy` with deploy/haproxy.cfg (the file compose.yaml uses).
The load comes from one client process of hand-written HTTP/1.1 requests (bench/voice_load.py's): on
the phone, callers walk the menu through signed webhooks; on the chat, citizens open a chat and write
(the subsidies button, a question, the menu, a question). Each node's CPU is read from /proc over the
measured window, as is the proxy's, PostgreSQL's and Redis's. `--write` puts the table in
docs/BENCHMARKS.md. Never run as a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine, percentile, write_section  # noqa: E402
from bench.voice_load import POSTGRES, REDIS, START_SECONDS, TOKEN, Caller, Connection, _own_cpu  # noqa: E402
from tests.helpers import free_port, serving  # noqa: E402

CHAT_WALK = [
    {"button": "subsidies"},
    {"text": "як оформити субсидію"},
    {"button": "menu"},
    {"text": "пільги на проїзд"},
]


class Citizen:
    """One web-chat citizen: a new chat, a few messages; again and again."""

    def __init__(self, base: str) -> None:
        self.http = Connection(base)

    async def chat(self, timed: Callable[[Awaitable[str]], Awaitable[str]]) -> None:
        headers = {"Content-Type": "application/json"}
        created = await timed(self.http.request("POST", "/api/chat/sessions", b'{"lang":"uk"}', headers))
        path = f"/api/chat/sessions/{json.loads(created)['session_id']}/messages"
        for message in CHAT_WALK:
            await timed(self.http.request("POST", path, json.dumps(message).encode(), headers))


async def _load(base: str, what: str, users: int, window: tuple[float, float]) -> tuple[list[float], float]:
    """`users` loops until the window closes: latencies begun in it, and this process's CPU per request."""
    opens, closes = window
    latencies: list[float] = []
    requests, cpu = 0, _own_cpu()

    async def timed(request: Awaitable[str]) -> str:
        nonlocal requests
        began, counts = time.perf_counter(), opens <= time.time() < closes
        result = await request
        requests += 1
        if counts:
            latencies.append(time.perf_counter() - began)
        return result

    async def loop() -> None:
        one = Citizen(base).chat if what == "chat" else Caller(base, RequestValidator(TOKEN)).call
        while time.time() < closes:
            await one(timed)

    await asyncio.gather(*(loop() for _ in range(users)))
    return latencies, (_own_cpu() - cpu) / max(requests, 1)


def _client(job: tuple[str, str, int, tuple[float, float]]) -> tuple[list[float], float]:
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    return asyncio.run(_load(*job))


def _cpu_of(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process with its children, and of PostgreSQL and Redis (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            name = (entry / "comm").read_text().strip()
        except (OSError, IndexError):
            continue
        pid, parent = int(entry.name), int(fields[1])
        owner = next((label for label, root in pids.items() if root in (pid, parent)), None)
        if owner is None and name.startswith(("postgres", "redis-server")):
            owner = "PostgreSQL" if name.startswith("postgres") else "Redis"
        if owner is not None:
            found[owner] = found.get(owner, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return found


@dataclass(frozen=True)
class Figures:
    setup: str
    what: str
    per_second: float
    p50_ms: float
    p99_ms: float
    cpu: dict[str, float]  # share of one core over the window, per process


def measure(base: str, what: str, users: int, seconds: float, setup: str, pids: dict[str, int]) -> Figures:
    opens = time.time() + START_SECONDS
    window = (opens, opens + seconds)
    spent: dict[str, float] = {}

    def sample() -> None:
        time.sleep(max(0.0, window[0] - time.time()))
        before = _cpu_of(pids)
        time.sleep(max(0.0, window[1] - time.time()))
        after = _cpu_of(pids)
        spent.update({k: (after[k] - before.get(k, 0.0)) / seconds for k in after})

    sampler = threading.Thread(target=sample)
    sampler.start()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        latencies, _ = pool.apply(_client, ((base, what, users, window),))
    sampler.join()
    return Figures(
        setup=setup,
        what="chat API requests" if what == "chat" else "phone webhooks",
        per_second=len(latencies) / seconds,
        p50_ms=percentile(latencies, 0.5) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        cpu=spent,
    )


@contextlib.contextmanager
def database() -> Iterator[str]:
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def nodes(count: int, workers: int, database_url: str, folder: Path) -> Iterator[tuple[str, dict[str, int]]]:
    """`count` nodes (behind HAProxy when more than one): the base URL to load and the pids to watch."""
    ports = [free_port() for _ in range(count)]
    public = f"http://127.0.0.1:{free_port() if count > 1 else ports[0]}"
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    with contextlib.ExitStack() as stack:
        pids = {}
        for n, port in enumerate(ports, 1):
            data = folder / f"{prefix}-node{n}"
            data.mkdir()
            env = {
                **os.environ,
                "HOTLINE_DATABASE_URL": database_url,
                "HOTLINE_REDIS_URL": REDIS,
                "HOTLINE_REDIS_PREFIX": prefix,
                "HOTLINE_PUBLIC_URL": public,
                "HOTLINE_TWILIO_AUTH_TOKEN": TOKEN,
                "HOTLINE_SECRET_KEY": "bench-secret-key-shared-by-the-nodes",
                "HOTLINE_DATA_DIR": str(data),
                "HOTLINE_RATE_LIMITS": "false",
            }
            process = stack.enter_context(serving(data, port, env, "--workers", str(workers), "--no-access-log"))
            pids[f"node {n}"] = process.pid
        if count > 1:
            pids["HAProxy"] = stack.enter_context(proxy(public, ports, folder)).pid
        yield public, pids


@contextlib.contextmanager
def proxy(public: str, ports: list[int], folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "HOTLINE_PROXY_BIND": public.removeprefix("http://"),
        **{f"HOTLINE_NODE_{n}": f"127.0.0.1:{port}" for n, port in enumerate(ports, 1)},
    }
    log = (folder / "haproxy.log").open("wb")
    process = subprocess.Popen(["haproxy", "-f", str(ROOT / "deploy" / "haproxy.cfg")], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while "2 active" not in (folder / "haproxy.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.2)  # both nodes pass the health check
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def render(found: list[Figures], command: str, workers: int, users: int, seconds: float, load: float) -> str:
    rows = []
    for f in found:
        cpu = ", ".join(f"{k} {v * 100:.0f} %" for k, v in sorted(f.cpu.items()))
        nodes = sum(v for k, v in f.cpu.items() if k.startswith("node"))
        per_request = nodes / f.per_second * 1000 if f.per_second else float("nan")
        rows.append(
            f"| {f.setup} | {f.what} | {f.per_second:.0f} | {f.p50_ms:.1f} / {f.p99_ms:.1f} ms "
            f"| {per_request:.2f} ms | {cpu} |"
        )
    return "\n".join(
        [
            "## One node and two nodes (`bench/nodes_bench.py`)",
            "",
            f"Machine: {machine()}. Command: `{command}`. Load average when run: {load:.1f}. Each node is "
            f"`hotline serve --workers {workers}` on one PostgreSQL and one Redis; two nodes sit behind HAProxy "
            f"with `deploy/haproxy.cfg`. {users} simulated callers or chat citizens at once from one client "
            f"process; {seconds:.0f} s measured per row. CPU: share of one core over the window (100 % = a core).",
            "",
            "| setup | load | requests/s | p50 / p99 | nodes' CPU per request | CPU share (nodes with their workers, "
            "proxy, PostgreSQL, Redis) |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "**What this measures, honestly.** Both nodes, the proxy, PostgreSQL, Redis and the load generator "
            "share the same two cores (and other people's work ran on them too), so a second node here cannot "
            "add capacity: the two-node rows show what spreading requests over two nodes and a proxy costs, and "
            "that each node does half the work. The nodes' CPU per request grows with two nodes: twice the "
            "processes contend for the same cores (and the load average above was far over 2). On two machines "
            "each node would have its own cores, and requests/s would scale with nodes until PostgreSQL or Redis "
            "is the limit; their columns count every PostgreSQL and Redis process on this machine, other "
            "people's tests included, so read them as upper bounds.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callers", type=int, default=32, help="simulated callers, or chat citizens, at once")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per row")
    parser.add_argument("--workers", type=int, default=2, help="workers per node")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()
    if shutil.which("haproxy") is None:
        sys.exit("two nodes need a proxy: apt-get install haproxy")
    found = []
    with database() as database_url, tempfile.TemporaryDirectory() as folder:
        for count in (1, 2):
            with nodes(count, args.workers, database_url, Path(folder)) as (base, pids):
                setup = "one node" if count == 1 else "two nodes + HAProxy"
                for what in ("chat", "turns"):
                    figures = measure(base, what, args.callers, args.seconds, setup, pids)
                    print(
                        f"{setup}, {figures.what}: {figures.per_second:.0f}/s, p50 {figures.p50_ms:.1f} ms, "
                        f"p99 {figures.p99_ms:.1f} ms, CPU {figures.cpu}"
                    )
                    found.append(figures)
    if args.write:
        command = "python bench/nodes_bench.py " + " ".join(sys.argv[1:])
        body = render(found, command.strip(), args.workers, args.callers, args.seconds, load_average())
        print(write_section("nodes", body))


if __name__ == "__main__":
    main()
