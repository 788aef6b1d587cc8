"""Phone-line load: N simulated callers walk the menu at once through signed Twilio webhooks.

    .venv/bin/python bench/voice_load.py [--callers N] [--clients K] [--seconds S] [--workers W] [--url URL] [--write]
    .venv/bin/python bench/voice_load.py --second-opinion [...]
    .venv/bin/python bench/voice_load.py --old-webhooks [REV] [--rounds R] [...]

Without `--url` the script starts its own server the way an office runs it under load:
`hotline serve --workers W --no-access-log` on a scratch PostgreSQL database it creates (and drops)
and Redis database 14. With `--url` it loads a running server (its `HOTLINE_TWILIO_AUTH_TOKEN` must
be in the environment). It prints turns/s and p50/p99 latency of the webhooks, then the same for
`/healthz` of the same server at the same concurrency (the ceiling of the HTTP stack), the CPU
each side spent per request, and `--write` puts them into docs/BENCHMARKS.md.

`--second-opinion` instead starts the server twice in one run, with the sentence-embedding model off
(`HOTLINE_SECOND_OPINION=false`) and on, and walks calls in which the caller says something the lexical
matcher cannot answer (so the model is asked, and the caller says "no" to its suggestion): the CPU per
turn of the two, side by side.

`--old-webhooks` starts two servers at once in one run: this checkout, and a copy of it whose
`ivr/webhooks.py` is the one of commit REV (by default the last whose lean path called FastAPI's
internal `request_params_to_args`), run from that copy (`PYTHONPATH`); the old module lives only in
that temporary copy. It measures the same walk on the old and the new lean path by turns, R rounds
each, alternating, so both meet the same load from the rest of the machine.

The load generator shares the machine, so it must cost little: the callers run in K client
processes (default 1) on uvloop when installed, each request a hand-written HTTP/1.1 request on a
kept-alive socket (aiohttp spent ~0.7 ms of CPU per request here, httpx ~4 ms: more than the
server's bare endpoint). Each client process reports the CPU it used.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import redis
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine, percentile, write_section  # noqa: E402
from tests.helpers import free_port, serving  # noqa: E402

POSTGRES = os.environ.get("HOTLINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("HOTLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
TOKEN = "bench-token"
START_SECONDS = 5.0  # the client processes start and warm up; then every side measures the same window
# One call: the language, a category, an answer, back to the menu, a spoken question, repeat.
WALK: list[dict[str, str]] = [
    {"Digits": "1"},
    {"Digits": "1"},
    {"Digits": "3"},
    {"Digits": "2"},
    {"SpeechResult": "як оформити субсидію", "Confidence": "0.9"},
    {"Digits": "1"},
]
# The same, but the first spoken words are a message the lexical matcher cannot answer: with the second
# opinion on, the robot asks "did you mean …?" and the caller says no (2); without it, it asks again.
WALK_UNSURE: list[dict[str, str]] = [
    {"Digits": "1"},
    {"SpeechResult": "не знаю куди звернутися мені дуже важко", "Confidence": "0.9"},
    {"Digits": "2"},
    {"SpeechResult": "як оформити субсидію", "Confidence": "0.9"},
    {"Digits": "1"},
]
WALKS = {"turns": WALK, "unsure": WALK_UNSURE}
# The lean path before it kept to public API: ivr/webhooks.py as it was before the commit that took
# FastAPI's internal `request_params_to_args` out of it.
OLD_WEBHOOKS = "before-public-api"
PACKAGES = ("hotline", "intents", "ivr", "channels", "specialist_queue", "registry_client", "privacy")
Timed = Callable[[Awaitable[str]], Awaitable[str]]


class Connection:
    """One kept-alive HTTP/1.1 connection: a request written by hand, the answer read by Content-Length."""

    def __init__(self, base: str) -> None:
        self.host, self.port = urlsplit(base).hostname or "127.0.0.1", urlsplit(base).port or 80
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None) -> str:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        length = re.search(r"(?im)^content-length:\s*(\d+)", head)
        if length is None:
            raise RuntimeError(f"{target} answered without Content-Length: {head[:200]}")
        answer = (await reader.readexactly(int(length.group(1)))).decode()
        if not head.startswith("HTTP/1.1 2"):
            raise RuntimeError(f"{target} answered {head.splitlines()[0]}: {answer[:200]}")
        return answer


class Caller:
    """One simulated caller: a new call, the walk through the menu, the status callback; again and again."""

    def __init__(self, base: str, validator: RequestValidator) -> None:
        self.base, self.validator, self.http = base.rstrip("/"), validator, Connection(base)

    async def post(self, url: str, params: dict[str, str]) -> str:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(url, params),
        }
        return await self.http.request("POST", url.removeprefix(self.base), urlencode(params).encode(), headers)

    async def call(self, timed: Timed, walk: list[dict[str, str]] = WALK) -> None:
        form = {"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": "AC" + "b" * 32, "From": "+380501234567"}
        body = await timed(self.post(f"{self.base}/twilio/voice", form))
        for answer in walk:
            action = re.search(r'<Gather action="([^"]+)"', body)
            if action is None:
                raise RuntimeError(f"no Gather to answer in {body[:200]}")
            body = await timed(self.post(action.group(1).replace("&amp;", "&"), {**form, **answer}))
        await timed(self.post(f"{self.base}/twilio/status", {**form, "CallStatus": "completed", "CallDuration": "60"}))

    async def health(self, timed: Timed) -> None:
        await timed(self.http.request("GET", "/healthz"))


@dataclass(frozen=True)
class Run:
    """What one client process measured: latencies (seconds) in the window, and its CPU per request overall."""

    latencies: list[float]
    cpu_per_request: float


async def _load(base: str, token: str, callers: int, window: tuple[float, float], what: str) -> Run:
    """`callers` loops of one call (or one /healthz) until the window closes; the latencies begun in it kept."""
    opens, closes = window
    latencies: list[float] = []
    requests = 0
    cpu = _own_cpu()

    async def timed(request: Awaitable[str]) -> str:
        nonlocal requests
        began, counts = time.perf_counter(), opens <= time.time() < closes
        result = await request
        requests += 1
        if counts:
            latencies.append(time.perf_counter() - began)
        return result

    async def loop(caller: Caller) -> None:
        while time.time() < closes:
            await (caller.call(timed, WALKS[what]) if what in WALKS else caller.health(timed))

    await asyncio.gather(*(loop(Caller(base, RequestValidator(token))) for _ in range(callers)))
    return Run(latencies, (_own_cpu() - cpu) / max(requests, 1))


def _client(job: tuple[str, str, int, tuple[float, float], str]) -> Run:
    """One client process: its share of the callers on uvloop (when installed)."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(_load(*job))


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Figures:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    client_cpu_ms: float  # per request
    server_cpu_ms: dict[str, float]  # per request, by process kind (server workers, PostgreSQL, Redis)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def line(self) -> str:
        cpu = ", ".join(f"{kind} {ms:.2f}" for kind, ms in self.server_cpu_ms.items())
        return (
            f"{self.name}: {self.per_second:.0f}/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms; "
            f"CPU ms per request: client {self.client_cpu_ms:.2f}, {cpu}"
        )


def measure(base: str, token: str, what: str, load: argparse.Namespace, server_pid: int | None) -> Figures:
    """Run the client processes; meanwhile read the server side's CPU over the same measured window."""
    callers, clients = load.callers, load.clients
    share = [callers // clients + (i < callers % clients) for i in range(clients)]
    opens = time.time() + START_SECONDS
    window = (opens, opens + load.seconds)
    cpu: dict[str, float] = {}
    sampler = threading.Thread(target=_sample_cpu, args=(server_pid, window, cpu))
    sampler.start()
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        runs = pool.map(_client, [(base, token, n, window, what) for n in share])
    sampler.join()
    latencies = [s for run in runs for s in run.latencies]
    n = len(latencies)
    return Figures(
        name={"turns": "webhook turns", "unsure": "webhook turns, unsure words"}.get(what, "GET /healthz"),
        requests=n,
        seconds=load.seconds,
        p50_ms=percentile(latencies, 0.5) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        client_cpu_ms=sum(run.cpu_per_request for run in runs) / len(runs) * 1000,
        server_cpu_ms={kind: spent / n * 1000 for kind, spent in cpu.items()},
    )


def _sample_cpu(server_pid: int | None, window: tuple[float, float], into: dict[str, float]) -> None:
    """CPU seconds of the server's workers, PostgreSQL and Redis over the measured window (Linux /proc)."""
    if not Path("/proc").is_dir():
        return
    time.sleep(max(0.0, window[0] - time.time()))
    before = _cpu_by_kind(server_pid)
    time.sleep(max(0.0, window[1] - time.time()))
    after = _cpu_by_kind(server_pid)
    into.update({kind: after.get(kind, 0.0) - before.get(kind, 0.0) for kind in after})


def _cpu_by_kind(server_pid: int | None) -> dict[str, float]:
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
        spent = (int(fields[11]) + int(fields[12])) / tick
        parent = int(fields[1])
        if server_pid is not None and server_pid in (int(entry.name), parent):
            kind = "server"
        elif name.startswith("postgres"):
            kind = "PostgreSQL"
        elif name.startswith("redis-server"):
            kind = "Redis"
        else:
            continue
        found[kind] = found.get(kind, 0.0) + spent
    return found


@contextmanager
def server(workers: int, second_opinion: bool = True, source: Path | None = None) -> Iterator[tuple[str, int]]:
    """`hotline serve --workers N --no-access-log` on a scratch PostgreSQL database and Redis db 14; with
    `source`, the packages are imported from there instead of this checkout."""
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    port = free_port()
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
                "HOTLINE_SECOND_OPINION": "true" if second_opinion else "false",
                "HOTLINE_RATE_LIMITS": "false",  # every simulated caller comes from this one address
                **({"PYTHONPATH": str(source)} if source is not None else {}),
            }
            options = ("--workers", str(workers), "--no-access-log")
            with serving(Path(data), port, env, *options, wait=120) as process:
                yield base, process.pid
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        with redis.Redis.from_url(REDIS) as client:
            for key in client.scan_iter(f"bench-{name}:*", count=1000):
                client.delete(key)


def render(turns: Figures, bare: Figures, command: str, setup: str, load: float) -> str:
    share = 100 * turns.per_second / bare.per_second
    kinds = list(turns.server_cpu_ms)

    def row(what: str, f: Figures) -> str:
        cpu = " | ".join(f"{f.server_cpu_ms.get(kind, 0.0):.2f}" for kind in kinds)
        return (
            f"| {what} | {f.per_second:.0f} | {f.p50_ms:.1f} ms | {f.p99_ms:.1f} ms | {f.client_cpu_ms:.2f} | {cpu} |"
        )

    return "\n".join(
        [
            "## Phone line under load (`bench/voice_load.py`)",
            "",
            f"Command: `{command}`  ",
            f"Machine: {machine()}; load average before the run {load:.1f} (other work shares the cores)  ",
            f"Server: {setup}",
            "",
            "| what | requests/s | p50 | p99 | client CPU ms/request | "
            + " | ".join(f"{kind} CPU ms/request" for kind in kinds)
            + " |",
            "|---|---|---|---|---|" + "---|" * len(kinds),
            row("webhook turns (signed, engine, Redis, SQL log)", turns),
            row("`GET /healthz` (the same server's ceiling)", bare),
            "",
            *_ceiling(turns, bare),
            f"Webhook turns reach {share:.0f} % of the bare endpoint's throughput. Target: ≥ 500 turns/s at "
            "p99 < 50 ms, and ≥ 50 % of the bare endpoint. The load generator shares the same cores; CPU per "
            "request is read from /proc over the measured window (PostgreSQL and Redis: every process of "
            "theirs on the machine).",
        ]
    )


def _ceiling(turns: Figures, bare: Figures) -> list[str]:
    """What the server's own CPU per request allows on this machine's cores, with nothing else running."""
    spent, bare_spent = turns.server_cpu_ms.get("server"), bare.server_cpu_ms.get("server")
    if not spent or not bare_spent:
        return []
    cores = os.cpu_count() or 1
    return [
        f"The server's workers spent {spent:.2f} ms of CPU per webhook turn and {bare_spent:.2f} ms per `/healthz`: "
        f"with all {cores} cores to themselves they could answer at most {cores * 1000 / spent:.0f} turns/s "
        f"(and {cores * 1000 / bare_spent:.0f} `/healthz`/s).",
        "",
    ]


def compare_second_opinion(args: argparse.Namespace, command: str, load: float) -> int:
    """The same unsure calls against the server with the second opinion off, then on."""
    found: dict[bool, Figures] = {}
    for on in (False, True):
        with server(args.workers, second_opinion=on) as (base, pid):
            found[on] = measure(base, TOKEN, "unsure", args, pid)
        print(f"second opinion {'on' if on else 'off'}: {found[on].line()}")
    if args.write:
        print(f"wrote {write_section('voice_load_opinion', render_opinion(found, command, args, load))}")
    return 0


def render_opinion(found: dict[bool, Figures], command: str, args: argparse.Namespace, load: float) -> str:
    kinds = list(found[True].server_cpu_ms)

    def row(on: bool) -> str:
        f = found[on]
        cpu = " | ".join(f"{f.server_cpu_ms.get(kind, 0.0):.2f}" for kind in kinds)
        return f"| {'on' if on else 'off'} | {f.per_second:.0f} | {f.p50_ms:.1f} ms | {f.p99_ms:.1f} ms | {cpu} |"

    return "\n".join(
        [
            "## Phone line with the second opinion (`bench/voice_load.py --second-opinion`)",
            "",
            f"Command: `{command}`  ",
            f"Machine: {machine()}; load average before the run {load:.1f} (other work shares the cores)  ",
            f"Server: `hotline serve --workers {args.workers} --no-access-log`, PostgreSQL + Redis, "
            f"{args.callers} callers at once; each call: language, then a spoken message the lexical matcher "
            'cannot answer, "no" (2), a clear question, repeat (1).',
            "",
            "| second opinion | turns/s | p50 | p99 | " + " | ".join(f"{kind} CPU ms/turn" for kind in kinds) + " |",
            "|---|---|---|---|" + "---|" * len(kinds),
            row(False),
            row(True),
            "",
            "One request in seven of these calls (the call, five answers, the status callback) asks the model; "
            "the rest are the same with it on or off. The server's CPU per turn is read from /proc over the measured "
            "window; latencies and turns/s move with whatever else shares the two cores.",
        ]
    )


def old_revision(rev: str) -> str:
    """The commit `rev` names (the one before the lean path kept to public API, for OLD_WEBHOOKS)."""
    if rev == OLD_WEBHOOKS:
        log = ["git", "log", "-1", "--format=%H", "-S", "request_params_to_args", "--", "ivr/webhooks.py"]
        rev = subprocess.run(log, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip() + "^"
    found = ["git", "rev-parse", "--short", rev]
    return subprocess.run(found, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


@contextmanager
def with_old_webhooks(rev: str) -> Iterator[Path]:
    """A copy of this checkout's packages in which `ivr/webhooks.py` is the one of commit `rev`."""
    old = subprocess.run(["git", "show", f"{rev}:ivr/webhooks.py"], cwd=ROOT, check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as copy:
        for package in PACKAGES:
            shutil.copytree(ROOT / package, Path(copy) / package, ignore=shutil.ignore_patterns("__pycache__"))
        (Path(copy) / "ivr" / "webhooks.py").write_bytes(old.stdout)
        yield Path(copy)


def compare_webhooks(args: argparse.Namespace, command: str, load: float) -> int:
    """The same walk against the old and the new lean path, both servers up at once, rounds alternating."""
    found: dict[str, list[Figures]] = {"old": [], "new": []}
    args.old_webhooks = old_revision(args.old_webhooks)
    old_tree = with_old_webhooks(args.old_webhooks)
    with old_tree as copy, server(args.workers, source=copy) as old, server(args.workers) as new:
        for round_ in range(args.rounds):
            for side, (base, pid) in (("old", old), ("new", new)):
                found[side].append(measure(base, TOKEN, "turns", args, pid))
                print(f"round {round_ + 1}, {side}: {found[side][-1].line()}")
    if args.write:
        section = render_webhooks(found, command, args, load)
        print(f"wrote {write_section('voice_load_webhooks', section)}")
    return 0


def render_webhooks(found: dict[str, list[Figures]], command: str, args: argparse.Namespace, load: float) -> str:
    def row(side: str, what: str) -> str:
        runs = found[side]
        turns = sum(f.requests for f in runs) / sum(f.seconds for f in runs)
        cpu = sum(f.server_cpu_ms.get("server", 0.0) * f.requests for f in runs) / sum(f.requests for f in runs)
        spread = ", ".join(f"{f.per_second:.0f}" for f in runs)
        cpus = ", ".join(f"{f.server_cpu_ms.get('server', 0.0):.2f}" for f in runs)
        p99 = ", ".join(f"{f.p99_ms:.0f}" for f in runs)
        return f"| {what} | {turns:.0f} ({spread}) | {cpu:.2f} ({cpus}) | {p99} |"

    return "\n".join(
        [
            "## The webhooks' lean path, old and new (`bench/voice_load.py --old-webhooks`)",
            "",
            f"Command: `{command}`  ",
            f"Machine: {machine()}; load average before the run {load:.1f} (other work shares the cores)  ",
            f"Servers: two `hotline serve --workers {args.workers} --no-access-log` up at once, PostgreSQL + Redis, "
            f"{args.callers} callers; {args.rounds} rounds of {args.seconds:.0f} s each, old and new alternating. "
            f"Old: this checkout with `ivr/webhooks.py` of `{args.old_webhooks}` (FastAPI's internal "
            "`request_params_to_args` and route fields).",
            "",
            "| lean path | turns/s (each round) | server CPU ms/turn (each round) | p99 ms (each round) |",
            "|---|---|---|---|",
            row("old", "old: FastAPI internals"),
            row("new", "new: public API only (signature + Pydantic model of the declared `Query`s)"),
            "",
            "CPU per turn is the server's workers' CPU over the measured windows (/proc) divided by the turns "
            "answered in them (overall: weighted by the turns of each round); turns/s and p99 move with whatever "
            "else shares the two cores, CPU per turn much less.",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--callers", type=int, default=32, help="simulated callers at once")
    parser.add_argument("--clients", type=int, default=1, help="client processes the callers are spread over")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per figure")
    parser.add_argument("--workers", type=int, default=2, help="server workers (when the script starts it)")
    parser.add_argument("--url", help="load this running server instead of starting one")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    parser.add_argument(
        "--second-opinion", action="store_true", help="CPU per turn with the embedding model off and on, same run"
    )
    parser.add_argument(
        "--old-webhooks",
        nargs="?",
        const=OLD_WEBHOOKS,
        metavar="REV",
        help="old lean path (ivr/webhooks.py of REV; by default the one before it kept to public API) "
        "against this one, same run",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each side with --old-webhooks")
    args = parser.parse_args()
    command = ".venv/bin/python bench/voice_load.py " + " ".join(sys.argv[1:])
    load = load_average()
    if args.old_webhooks:
        return compare_webhooks(args, command.strip(), load)
    if args.second_opinion:
        return compare_second_opinion(args, command.strip(), load)
    if args.url:
        token = os.environ.get("HOTLINE_TWILIO_AUTH_TOKEN", "")
        turns = measure(args.url, token, "turns", args, None)
        bare = measure(args.url, token, "health", args, None)
        setup = f"{args.url}, {args.callers} callers"
    else:
        with server(args.workers) as (base, pid):
            turns = measure(base, TOKEN, "turns", args, pid)
            bare = measure(base, TOKEN, "health", args, pid)
        setup = (
            f"`hotline serve --workers {args.workers} --no-access-log`, PostgreSQL + Redis, "
            f"{args.callers} callers at once in {args.clients} client process(es)"
        )
    print(turns.line())
    print(bare.line())
    print(f"turns reach {100 * turns.per_second / bare.per_second:.0f} % of the bare endpoint")
    if args.write:
        print(f"wrote {write_section('voice_load', render(turns, bare, command.strip(), setup, load))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
