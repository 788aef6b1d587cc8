"""Operator consoles under load: N operators with their consoles open and M conversations waiting, one server.

    .venv/bin/python bench/console_load.py [--operators 50] [--waiting 500] [--idle-seconds 10]
        [--baseline GIT_REF] [--write]

It starts `hotline serve` (one worker, no access log) on a scratch PostgreSQL database it creates and drops
(HOTLINE_BENCH_POSTGRES_URL) and Redis (HOTLINE_BENCH_REDIS_URL, default 127.0.0.1:6379/14, a prefix of its
own), with the office open all week; adds N operators (every queue, default capacity: three chats); puts M
web chats in the queue through the chat API (each asks for a person); logs every operator in and opens their
console's live connection (`WS /api/operator/live`, the page's own), nobody on the line yet. Then:

1. **Idle**: N consoles open, M waiting, nothing offered: the server's CPU (share of one core) and memory
   (RSS of the server and its workers) over the idle seconds.
2. **Offers**: every operator becomes available and takes each offer at once (accept, close, wrap-up), so the
   next comes, until the M conversations are served. Offer-to-screen latency is when the console's frame
   with the offer arrived minus when Redis made the offer (its deadline minus the offer timeout: one machine,
   one clock); p50/p99 over the offers, with the server's CPU meanwhile.

The consoles run in this one process on asyncio and share the machine with the server: their own delay is
in the latency. `--baseline REF` first measures the same with the server of an earlier commit (its tree taken
with `git archive` into a scratch folder, run by this virtualenv), so both rows come from one run on one machine
state. `--write` puts the figures into docs/BENCHMARKS.md. Never run as a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import redis
import websockets
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine, percentile, write_section  # noqa: E402
from hotline import users  # noqa: E402
from hotline.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from tests.helpers import free_port, serving  # noqa: E402

POSTGRES = os.environ.get("HOTLINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("HOTLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PASSWORD = "bench-password-1"
OFFER_TIMEOUT = 60.0  # long enough that no offer runs out while the consoles work
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"|data-csrf="([^"]+)"')


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # seconds, offer made → on the console
    served: int = 0


@contextmanager
def source(ref: str) -> Iterator[Path]:
    """The project's tree at a git commit, in a scratch folder (the working tree and git's state untouched)."""
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        yield Path(folder)


@contextmanager
def server(tree: Path | None = None) -> Iterator[tuple[str, str, int]]:
    """`hotline serve` on a scratch database: (base URL, database URL, pid); `tree`: run that tree's code."""
    name = f"bench_console_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as data:
            env = {
                **os.environ,
                "HOTLINE_DATABASE_URL": database,
                "HOTLINE_REDIS_URL": REDIS,
                "HOTLINE_REDIS_PREFIX": f"bench-{name}",
                "HOTLINE_PUBLIC_URL": base,
                "HOTLINE_SECRET_KEY": uuid.uuid4().hex,
                "HOTLINE_DATA_DIR": data,
                "HOTLINE_OFFICE_HOURS": "mon-sun 00:00-23:59",
                "HOTLINE_QUEUE_OFFER_TIMEOUT_SECONDS": str(OFFER_TIMEOUT),
                "HOTLINE_SECOND_OPINION": "false",
                "HOTLINE_RATE_LIMITS": "false",  # every citizen and console comes from this one address
                **({"PYTHONPATH": str(tree)} if tree else {}),  # ahead of this checkout's editable install
            }
            with serving(Path(data), port, env, "--no-access-log", wait=120) as process:
                yield base, database, process.pid
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        with redis.Redis.from_url(REDIS) as client:
            for key in client.scan_iter(f"bench-{name}:*", count=1000):
                client.delete(key)


def add_operators(database: str, count: int) -> list[str]:
    engine = make_engine(database)
    names = [f"op{n:03d}" for n in range(count)]
    with transaction(make_sessionmaker(engine)) as session:
        for name in names:
            users.create(session, username=name, password=PASSWORD, role=users.Role.OPERATOR)
    engine.dispose()
    return names


async def citizens(base: str, count: int) -> None:
    """`count` web chats, each asking for a person (ten at a time)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def one() -> None:
            started = await http.post("/api/chat/sessions", json={"lang": "uk"})
            session = started.json()["session_id"]
            asked = await http.post(f"/api/chat/sessions/{session}/messages", json={"button": "operator"})
            assert asked.json()["replies"][-1]["handoff"], asked.text

        for start in range(0, count, 10):
            await asyncio.gather(*(one() for _ in range(min(10, count - start))))


async def log_in(base: str, name: str) -> tuple[httpx.AsyncClient, str]:
    """A console's HTTP client, logged in, and its CSRF token."""
    # Idle connections are let go well before the server's keep-alive (5 s) ends them, so a post is not sent on
    # a connection the server is closing (on a loaded machine that race drops a request now and then).
    http = httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(keepalive_expiry=1.0))
    form = await http.get("/login")
    token = CSRF.search(form.text)
    assert token, "no CSRF token on the login form"
    data = {"username": name, "password": PASSWORD, "next": "", "csrf_token": token.group(1)}
    assert (await http.post("/login", data=data)).status_code == 303
    page = await http.get("/operator")
    found = re.search(r'data-csrf="([^"]+)"', page.text)
    assert found, "no CSRF token on the console"
    return http, found.group(1)


async def console(
    base: str, name: str, opened: asyncio.Event, go: asyncio.Event, done: asyncio.Event, run: Run, total: int
) -> None:
    http, token = await log_in(base, name)
    headers = {"X-CSRF-Token": token}
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    url = base.replace("http://", "ws://") + "/api/operator/live"
    async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": base}, max_size=None) as ws:
        await ws.recv()  # the first state: the console is on screen
        opened.set()
        await go.wait()
        await post(http, "/api/operator/state", headers, {"state": "available"})
        seen: set[str] = set()
        while not done.is_set():
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=1.0))
            except TimeoutError:
                continue
            offer = frame.get("offer") if frame.get("type") == "state" else None
            if not offer or offer["conversation_id"] in seen:
                continue
            run.latencies.append(time.time() - (offer["deadline"] - OFFER_TIMEOUT))
            conversation = offer["conversation_id"]
            seen.add(conversation)
            path = f"/api/operator/conversations/{conversation}"
            await post(http, f"/api/operator/offers/{conversation}/accept", headers)
            # Closed whatever the accept answered: a resent accept answers 409 when the first one did arrive.
            if (await post(http, f"{path}/close", headers)).status_code == 200:
                await post(http, f"{path}/wrap-up", headers, {"disposition": "other"})
                run.served += 1
                if run.served >= total:
                    done.set()
    await http.aclose()


async def post(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], body: dict[str, str] | None = None
) -> httpx.Response:
    """A console's post, sent again once when the connection was dropped before any answer (the server then
    answers it as the first time, or with 409 when the first did arrive: either way the console goes on)."""
    try:
        return await http.post(path, json=body or {}, headers=headers)
    except httpx.RemoteProtocolError:
        return await http.post(path, json=body or {}, headers=headers)


def cpu_seconds(process: psutil.Process) -> float:
    found = [process, *process.children(recursive=True)]
    return float(sum(p.cpu_times().user + p.cpu_times().system for p in found))


def rss_mb(process: psutil.Process) -> float:
    return float(sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])) / 2**20


async def measure(base: str, pid: int, names: list[str], waiting: int, idle_seconds: float) -> dict[str, float]:
    proc = psutil.Process(pid)
    await citizens(base, waiting)
    run, go, done = Run(), asyncio.Event(), asyncio.Event()
    opened = [asyncio.Event() for _ in names]
    tasks = [
        asyncio.create_task(console(base, n, o, go, done, run, waiting)) for n, o in zip(names, opened, strict=True)
    ]
    await asyncio.gather(*(o.wait() for o in opened))
    before, start = cpu_seconds(proc), time.monotonic()
    await asyncio.sleep(idle_seconds)
    idle_cpu = (cpu_seconds(proc) - before) / (time.monotonic() - start)
    idle_rss = rss_mb(proc)
    before, start = cpu_seconds(proc), time.monotonic()
    go.set()
    await asyncio.wait_for(done.wait(), timeout=600)
    busy_seconds = time.monotonic() - start
    busy_cpu = (cpu_seconds(proc) - before) / busy_seconds
    await asyncio.gather(*tasks)
    return {
        "idle_cpu": 100 * idle_cpu,
        "idle_rss": idle_rss,
        "busy_cpu": 100 * busy_cpu,
        "busy_rss": rss_mb(proc),
        "served": run.served,
        "per_second": run.served / busy_seconds,
        "p50": 1000 * percentile(run.latencies, 0.5),
        "p99": 1000 * percentile(run.latencies, 0.99),
        "offers": len(run.latencies),
    }


def rows(f: dict[str, float], operators: int, waiting: int, which: str) -> str:
    idle = f"| {which}idle: {operators} consoles open, {waiting} waiting, nobody on the line "
    idle += f"| {f['idle_cpu']:.0f} % | {f['idle_rss']:.0f} MB | — | — | — | — |"
    busy = f"| {which}offers: every operator takes each offer at once | {f['busy_cpu']:.0f} % "
    busy += f"| {f['busy_rss']:.0f} MB | {f['offers']:.0f} | {f['per_second']:.1f} | {f['p50']:.0f} ms "
    busy += f"| {f['p99']:.0f} ms |"
    return f"{idle}\n{busy}"


def render(runs: list[tuple[str, dict[str, float]]], operators: int, waiting: int, command: str, load: float) -> str:
    table = "\n".join(rows(f, operators, waiting, which) for which, f in runs)
    return f"""## Operator consoles: {operators} open, {waiting} conversations waiting (one server)

`{command}`

| phase | server CPU (% of one core) | server memory (RSS) | offers | served/s | offer → console p50 | p99 |
|---|---|---|---|---|---|---|
{table}

One `hotline serve` worker on PostgreSQL and Redis; the {operators} consoles are live WebSockets in one asyncio
client process on the same machine (their delay is in the latency). Offer → console: from Redis making the
offer (its deadline minus the offer timeout) to the console's frame with it. Each console reads its state again
at least once a second (queue waits grow by themselves; the idle CPU is that refresh for {operators} consoles) and
when a change concerns its operator (an offer, their conversations, their state: the queue's notice names them).
Before that notice named anyone, every change of the queue woke all {operators} consoles, each reading everything
again ({machine()}; load average {load:.1f} at the start).
"""


def one_run(args: argparse.Namespace, tree: Path | None) -> dict[str, float]:
    with server(tree) as (base, database, pid):
        names = add_operators(database, args.operators)
        return asyncio.run(measure(base, pid, names, args.waiting, args.idle_seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--waiting", type=int, default=500)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--baseline", metavar="GIT_REF", help="measure an earlier commit's server first")
    parser.add_argument("--write", action="store_true", help="put the figures into docs/BENCHMARKS.md")
    args = parser.parse_args()
    load = load_average()
    runs: list[tuple[str, dict[str, float]]] = []
    if args.baseline:
        with source(args.baseline) as tree:
            runs.append((f"before ({args.baseline}): ", one_run(args, tree)))
    runs.append(("now: " if args.baseline else "", one_run(args, None)))
    command = "python bench/console_load.py " + " ".join(sys.argv[1:])
    body = render(runs, args.operators, args.waiting, command.strip(), load)
    print(body)
    if args.write:
        print(f"written to {write_section('console_load', body)}")


if __name__ == "__main__":
    main()
