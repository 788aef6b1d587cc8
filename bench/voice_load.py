"""Phone-line load: N simulated callers walk the menu at once through signed Twilio webhooks.

    .venv/bin/python bench/voice_load.py [--callers N] [--seconds S] [--workers W] [--url URL] [--write]

Without `--url` the script starts its own server the way an office runs it: `hotline serve --workers W`
on a scratch PostgreSQL database it creates (and drops) and Redis database 14. With `--url` it loads a
running server (its `HOTLINE_TWILIO_AUTH_TOKEN` must be in the environment). It prints turns/s and
p50/p99 latency of the webhooks, then the same for `/healthz` of the same server at the same
concurrency (the ceiling of the HTTP stack), and `--write` puts them into docs/BENCHMARKS.md.
The load generator runs on the same machine, so it takes its share of the same cores; it is aiohttp
(installed with twilio): httpx's async client spent about 4 ms of CPU per request here, more than
the server's bare endpoint, so with it the benchmark measured its own client.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import redis
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "docs" / "BENCHMARKS.md"
START, END = "<!-- voice_load:start -->", "<!-- voice_load:end -->"
POSTGRES = os.environ.get("HOTLINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("HOTLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
TOKEN = "bench-token"
# One call: the language, a category, an answer, back to the menu, a spoken question, repeat.
WALK: list[dict[str, str]] = [
    {"Digits": "1"},
    {"Digits": "1"},
    {"Digits": "3"},
    {"Digits": "2"},
    {"SpeechResult": "як оформити субсидію", "Confidence": "0.9"},
    {"Digits": "1"},
]


@dataclass(frozen=True)
class Figures:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def line(self) -> str:
        return f"{self.name}: {self.per_second:.0f}/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Caller:
    """One simulated caller: a new call, the walk through the menu, the status callback; again and again."""

    def __init__(self, http: aiohttp.ClientSession, base: str, validator: RequestValidator) -> None:
        self.http, self.base, self.validator = http, base.rstrip("/"), validator

    async def post(self, url: str, params: dict[str, str]) -> str:
        signature = self.validator.compute_signature(url, params)
        async with self.http.post(url, data=params, headers={"X-Twilio-Signature": signature}) as response:
            body = await response.text()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}: {body[:200]}")
        return body

    async def call(self, timed: Callable[[Awaitable[str]], Awaitable[str]]) -> None:
        form = {"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": "AC" + "b" * 32, "From": "+380501234567"}
        body = await timed(self.post(f"{self.base}/twilio/voice", form))
        for answer in WALK:
            action = re.search(r'<Gather action="([^"]+)"', body)
            if action is None:
                raise RuntimeError(f"no Gather to answer in {body[:200]}")
            body = await timed(self.post(action.group(1).replace("&amp;", "&"), {**form, **answer}))
        await timed(self.post(f"{self.base}/twilio/status", {**form, "CallStatus": "completed", "CallDuration": "60"}))


async def load(name: str, callers: int, seconds: float, one: Callable[..., Awaitable[None]]) -> Figures:
    """`callers` loops of `one` for `seconds` (after a warm-up); every timed request's latency kept."""
    latencies: list[float] = []
    measuring = False

    async def timed(request: Awaitable[str]) -> str:
        began = time.perf_counter()
        result = await request
        if measuring:
            latencies.append(time.perf_counter() - began)
        return result

    async def loop(until: float) -> None:
        while time.perf_counter() < until:
            await one(timed)

    await asyncio.gather(*(loop(time.perf_counter() + min(3.0, seconds / 3)) for _ in range(callers)))
    measuring, began = True, time.perf_counter()
    await asyncio.gather(*(loop(began + seconds) for _ in range(callers)))
    elapsed = time.perf_counter() - began
    return Figures(name, len(latencies), elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99))


async def measure(base: str, token: str, callers: int, seconds: float) -> tuple[Figures, Figures]:
    connector = aiohttp.TCPConnector(limit=callers)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
        caller = Caller(http, base, RequestValidator(token))
        turns = await load("webhook turns", callers, seconds, caller.call)

        async def health(timed: Callable[[Awaitable[str]], Awaitable[str]]) -> None:
            async def get() -> str:
                async with http.get(f"{base.rstrip('/')}/healthz") as response:
                    return await response.text()

            await timed(get())

        bare = await load("GET /healthz", callers, seconds, health)
    return turns, bare


@contextmanager
def server(workers: int) -> Iterator[str]:
    """`hotline serve --workers N` on a scratch PostgreSQL database and Redis db 14; gone afterwards."""
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as data:
            env = {
                **os.environ,
                "HOTLINE_DATABASE_URL": POSTGRES.rsplit("/", 1)[0] + f"/{name}",
                "HOTLINE_REDIS_URL": REDIS,
                "HOTLINE_REDIS_PREFIX": f"bench-{name}",
                "HOTLINE_PUBLIC_URL": base,
                "HOTLINE_TWILIO_AUTH_TOKEN": TOKEN,
                "HOTLINE_SECRET_KEY": uuid.uuid4().hex,
                "HOTLINE_DATA_DIR": data,
            }
            hotline = str(Path(sys.executable).parent / "hotline")
            command = [hotline, "serve", "--port", str(port), "--workers", str(workers)]
            log_path = Path(data) / "server.log"
            with open(log_path, "wb") as log:
                process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
                try:
                    _wait_ready(base, process, log_path)
                    yield base
                finally:
                    process.terminate()
                    process.wait(timeout=30)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        with redis.Redis.from_url(REDIS) as client:
            for key in client.scan_iter(f"bench-{name}:*", count=1000):
                client.delete(key)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited before it was ready: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server was not ready in 120 s: {log.read_text()[-2000:]}")


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = found.group(1).strip() if found else model
    return f"{os.cpu_count()} CPUs (nproc), {model}, Python {platform.python_version()}, {platform.system()}"


def render(turns: Figures, bare: Figures, command: str, setup: str, load: float) -> str:
    share = 100 * turns.per_second / bare.per_second
    return "\n".join(
        [
            START,
            "## Phone line under load (`bench/voice_load.py`)",
            "",
            f"Command: `{command}`  ",
            f"Machine: {machine()}; load average before the run {load:.1f} (other work shares the cores)  ",
            f"Server: {setup}",
            "",
            "| what | requests/s | p50 | p99 |",
            "|---|---|---|---|",
            f"| webhook turns (signed, engine, Redis, SQL log) | {turns.per_second:.0f} | {turns.p50_ms:.1f} ms "
            f"| {turns.p99_ms:.1f} ms |",
            f"| `GET /healthz` (the same server's ceiling) | {bare.per_second:.0f} | {bare.p50_ms:.1f} ms "
            f"| {bare.p99_ms:.1f} ms |",
            "",
            f"Webhook turns reach {share:.0f} % of the bare endpoint's throughput. Target: ≥ 500 turns/s at "
            "p99 < 50 ms, and ≥ 50 % of the bare endpoint. The load generator shares the same cores.",
            END,
        ]
    )


def write(section: str) -> None:
    old = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.is_file() else "# Benchmarks\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    new = pattern.sub(lambda _: section, old) if pattern.search(old) else old.rstrip() + "\n\n" + section + "\n"
    BENCHMARKS.write_text(new, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=32, help="simulated callers at once")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per figure")
    parser.add_argument("--workers", type=int, default=2, help="server workers (when the script starts it)")
    parser.add_argument("--url", help="load this running server instead of starting one")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()
    command = "python bench/voice_load.py " + " ".join(sys.argv[1:])
    load = os.getloadavg()[0]
    if args.url:
        token = os.environ.get("HOTLINE_TWILIO_AUTH_TOKEN", "")
        turns, bare = asyncio.run(measure(args.url, token, args.callers, args.seconds))
        setup = f"{args.url}, {args.callers} callers"
    else:
        with server(args.workers) as base:
            turns, bare = asyncio.run(measure(base, TOKEN, args.callers, args.seconds))
        setup = f"`hotline serve --workers {args.workers}`, PostgreSQL + Redis, {args.callers} callers at once"
    print(turns.line())
    print(bare.line())
    print(f"turns reach {100 * turns.per_second / bare.per_second:.0f} % of the bare endpoint")
    if args.write:
        write(render(turns, bare, command.strip(), setup, load))
        print(f"wrote {BENCHMARKS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
