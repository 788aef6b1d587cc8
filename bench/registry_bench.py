"""Registry requests: how fast the worker clears a backlog, and what one registry call costs us.

The sandbox registry runs on 127.0.0.1 (uvicorn in a thread) with a set latency; the database is a
fresh SQLite file. `--write` replaces the registry section of docs/BENCHMARKS.md. Never run as a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import uvicorn
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine, write_section  # noqa: E402
from hotline.bootstrap import migrate  # noqa: E402
from hotline.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from hotline.users import Role, create  # noqa: E402
from registry_client import service  # noqa: E402
from registry_client.client import CallContext, ClientConfig, RegistryClient, make_http_client  # noqa: E402
from registry_client.identifiers import IdKind  # noqa: E402
from registry_client.models import RegistryJob  # noqa: E402
from registry_client.sandbox import FaultSettings, create_sandbox_app  # noqa: E402
from registry_client.service import CaseKind, ConsentBasis  # noqa: E402
from registry_client.states import RetryPolicy  # noqa: E402
from registry_client.wire import ExtractRequest, Subject  # noqa: E402
from registry_client.worker import Worker  # noqa: E402
from tests.helpers import free_port  # noqa: E402

PERSON = ("Шевченко Марія Іванівна", date(1978, 4, 12), IdKind.RNOKPP, "2876543211")


def serve_sandbox(latency_ms: int) -> str:
    port = free_port()
    app = create_sandbox_app(faults=FaultSettings(latency_ms=latency_ms))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}/restapi"


def config(url: str) -> ClientConfig:
    return ClientConfig(url=url, client_id="SEVDEIR-TEST/GOV/1/HOTLINE", service_id="SEVDEIR-TEST/GOV/2/RTG/X")


async def calls(url: str, count: int) -> list[float]:
    """Seconds per `fetch_extract`, one after another (new idempotency key each time)."""
    client = RegistryClient(make_http_client(config(url)), config(url))
    name, born, kind, value = PERSON
    request = ExtractRequest(
        subject=Subject(id_kind=kind, id_value=value, full_name=name, birth_date=born), purpose="Бенчмарк"
    )
    took = []
    for n in range(count):
        started = time.perf_counter()
        await client.fetch_extract(request, CallContext(user_id="bench", issue="C-1", idempotency_key=f"k{n}"))
        took.append(time.perf_counter() - started)
    await client.http.aclose()
    return took


def backlog(url: str, count: int, folder: Path) -> dict[str, float]:
    engine = make_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
    migrate(engine)
    sessions = make_sessionmaker(engine)
    submit: list[float] = []
    with transaction(sessions) as session:
        user = create(session, username="bench", password="a long password", role=Role.OPERATOR)
    name, born, kind, value = PERSON
    for n in range(count):
        started = time.perf_counter()
        with transaction(sessions) as session:
            case = service.create(
                session, owner=user, kind=CaseKind.HOUSING_SUBSIDY, full_name=name, birth_date=born, id_kind=kind,
                id_value=value,
            )  # fmt: skip
            service.record_consent(session, case=case, basis=ConsentBasis.APPLICATION, reference=str(n), by=user)
            service.request_certificate(session, case=case, purpose="Призначення житлової субсидії", by=user)
        submit.append(time.perf_counter() - started)
    client = RegistryClient(make_http_client(config(url)), config(url))
    worker = Worker(sessions, client, audit_key="bench", policy=RetryPolicy(), lease=timedelta(minutes=5))

    async def clear() -> float:
        started = time.perf_counter()
        while await worker.run_once():
            pass
        return time.perf_counter() - started

    elapsed = asyncio.run(clear())
    with sessions() as session:
        jobs = session.scalars(select(RegistryJob)).all()
        waits = [(j.finished_at - j.created_at).total_seconds() for j in jobs if j.finished_at]
        ready = sum(j.state == "ready" for j in jobs)
    engine.dispose()
    return {
        "requests": count,
        "ready": ready,
        "submit_p50_ms": statistics.median(submit) * 1000,
        "per_second": count / elapsed,
        "wait_p50_s": statistics.median(waits),
    }


def section(f: dict[str, float], command: str) -> str:
    return "\n".join(
        [
            "## Registry requests (`bench/registry_bench.py`)",
            "",
            f"Machine: {machine()}. Command: `{command}`. Sandbox registry on 127.0.0.1 answering after "
            f"{f['latency_ms']:.0f} ms; fresh SQLite file; one worker (batches of 4 side by side). Load average "
            f"when run: {f['load']:.1f} (other work on the same cores inflates the figures).",
            "",
            "| requests | ready | submit p50 (case + consent + request, one transaction) | cleared per second "
            "| submit → ready p50 (all queued first) | one call p50 / p95 (0 ms registry) |",
            "|---|---|---|---|---|---|",
            f"| {f['requests']:.0f} | {f['ready']:.0f} | {f['submit_p50_ms']:.1f} ms | {f['per_second']:.1f} "
            f"| {f['wait_p50_s']:.1f} s | {f['call_p50_ms']:.1f} / {f['call_p95_ms']:.1f} ms |",
            "",
            "Submit is what a page or the API waits for; the registry call happens later in the worker. Cleared per "
            "second is bounded by the registry's latency times the batch of 4, plus the SQL claim and record of "
            "each job. One call: `RegistryClient.fetch_extract` against the sandbox with no added latency "
            "(headers, JSON, breaker, HTTP on loopback).",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="registry request benchmark")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=50, help="the sandbox registry's answer time")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()
    took = asyncio.run(calls(serve_sandbox(0), 200))
    with tempfile.TemporaryDirectory() as folder:
        figures = backlog(serve_sandbox(args.latency_ms), args.requests, Path(folder))
    figures |= {
        "load": load_average(),
        "latency_ms": args.latency_ms,
        "call_p50_ms": statistics.median(took) * 1000,
        "call_p95_ms": sorted(took)[int(len(took) * 0.95) - 1] * 1000,
    }
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}))
    if args.write:
        command = ".venv/bin/python bench/registry_bench.py " + " ".join(sys.argv[1:])
        written = write_section("registry_bench", section(figures, command.strip()))
        print(f"wrote {written.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
