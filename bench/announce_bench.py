"""Announcements: copies sent a second against the rate the channel allows (`HOTLINE_VIBER_ANNOUNCE_RATE`,
`HOTLINE_TELEGRAM_ANNOUNCE_RATE`: Telegram allows a bot about 30 messages a second).

Drives the announcement sender itself (`selfservice.sending.Sender`: the SQL claims and settles of each
batch, the pacing, the channel's client; on Telegram also the rate counters in Redis every node shares)
on a SQLite file — or the database of HOTLINE_BENCH_DATABASE_URL — against the local fake Viber API and
fake Bot API (each a process of its own), which answer at once: the figure is what our side can keep up,
not the platform's latency. For each allowed rate, about `--seconds` worth of subscribers get one
announcement. Prints the figures; `--write` replaces the announcements section of docs/BENCHMARKS.md.
Never run as a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine, write_section  # noqa: E402
from channels.telegram import client as telegram_client  # noqa: E402
from channels.telegram.sender import Rates  # noqa: E402
from channels.telegram.sender import Sender as TelegramSender  # noqa: E402
from channels.viber.client import ViberApi, make_http  # noqa: E402
from channels.viber.wire import Look  # noqa: E402
from hotline import bootstrap  # noqa: E402
from hotline.db import make_engine, make_sessionmaker, transaction, utcnow  # noqa: E402
from hotline.leases import Holding, Lease  # noqa: E402
from hotline.redis_conn import RedisHandle, connect  # noqa: E402
from selfservice import announcements  # noqa: E402
from selfservice.models import Announcement, Subscription, Topic  # noqa: E402
from selfservice.push import PushSender, TelegramPush, ViberPush  # noqa: E402
from selfservice.sending import Sender  # noqa: E402

Row = dict[str, Any]  # a channel's name, then its figures
VIBER_RATES = (10, 50, 200, 1000)
TELEGRAM_RATES = (25, 30)  # the default, and all Telegram allows a bot
BOT_TOKEN = "123456789:bench-token"


def _announcement(sessions: object, subscribers: int, channel: str) -> int:
    with transaction(sessions) as session:  # type: ignore[arg-type]
        topic = Topic(slug=f"b_{uuid.uuid4().hex[:8]}", title_uk="Бенчмарк", title_ru="Бенчмарк")
        session.add(topic)
        session.flush()
        session.add_all(
            Subscription(channel=channel, recipient=f"{topic.id}{n:06d}", topic_id=topic.id, lang="uk")
            for n in range(subscribers)
        )
        found = Announcement(
            topic_id=topic.id,
            text_uk="Виплати з 5 числа.",
            text_ru="Выплаты с 5 числа.",
            state=announcements.SCHEDULED,
            send_at=utcnow(),
        )
        session.add(found)
        session.flush()
        return found.id


@contextmanager
def fake_api(module: str, made: str) -> Iterator[str]:
    """A fake platform API (`tests.fakes.{module}`; `made` makes one) in a process of its own (in ours it
    would take the sender's interpreter lock); its URL."""
    code = f"from tests.fakes.{module} import *; import time; f = {made}; print(f.url, flush=True); time.sleep(1e9)"
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url:
            raise RuntimeError(f"the fake {module} did not start")
        yield url
    finally:
        process.kill()
        process.wait()


def _viber(url: str, rate: float, redis: RedisHandle) -> tuple[PushSender, Callable[[], object]]:
    http = make_http("bench-token", 5)
    return ViberPush(api=ViberApi(http, base_url=url), look=Look(name="Соцзахист"), rate=rate), http.aclose


def _telegram(url: str, rate: float, redis: RedisHandle) -> tuple[PushSender, Callable[[], object]]:
    http, client, prefix = telegram_client.make_http(5), redis.async_client(), f"bench-{uuid.uuid4().hex[:8]}"
    api = telegram_client.BotApi(http, api_url=url, token=BOT_TOKEN)

    async def record(outcome: str, chat_id: int, detail: str) -> None:
        pass  # nobody blocks the bench's bot

    sender = TelegramSender(api, client, prefix=prefix, rates=Rates(client, prefix), record=record)
    return TelegramPush(sender=sender, rate=rate), http.aclose


CHANNELS = {
    "viber": (_viber, VIBER_RATES, "viber_api", "FakeViberApi()"),
    "telegram": (_telegram, TELEGRAM_RATES, "telegram_api", f"FakeTelegramApi({BOT_TOKEN!r})"),
}


async def _one(
    sessions: object, lease: Lease, redis: RedisHandle, url: str, channel: str, rate: float, subscribers: int
) -> Row:
    pusher, close = CHANNELS[channel][0](url, rate, redis)
    sender = Sender(sessions, {channel: pusher})  # type: ignore[arg-type]
    announcement_id = _announcement(sessions, subscribers, channel)
    token = lease.acquire()
    assert token is not None
    started = time.perf_counter()
    await sender.round(Holding(lease, token))
    elapsed = time.perf_counter() - started
    await close()  # type: ignore[misc]
    with sessions() as session:  # type: ignore[operator]
        progress = announcements.progress(session, announcement_id=announcement_id)
    return {
        "channel": channel,
        "rate": rate,
        "copies": subscribers,
        "sent": progress.sent,
        "seconds": elapsed,
        "per_second": progress.sent / elapsed,
        "share": progress.sent / elapsed / rate,
    }


def run(seconds: float, database_url: str) -> list[Row]:
    data = Path(tempfile.mkdtemp())
    engine = make_engine(database_url or f"sqlite:///{data / 'bench.sqlite3'}")
    sessions = make_sessionmaker(engine)
    bootstrap.prepare(engine, sessions, load_demo=False)
    redis = connect(os.environ.get("HOTLINE_TEST_REDIS_URL", ""), data)
    lease = Lease(redis.client, "announcements", prefix=f"bench-{uuid.uuid4().hex[:8]}", ttl=30)
    try:
        rows = []
        for channel, (_, rates, module, made) in CHANNELS.items():
            with fake_api(module, made) as url:
                rows += [
                    asyncio.run(_one(sessions, lease, redis, url, channel, rate, max(40, int(rate * seconds))))
                    for rate in rates
                ]
        return rows
    finally:
        redis.close()
        engine.dispose()


def section(rows: list[Row], command: str, load: float, store: str) -> str:
    lines = [
        "## Announcements (`bench/announce_bench.py`)",
        "",
        f"Machine: {machine()}, load {load:.1f} at the start. Command: `{command}`. The sender itself on {store}, "
        "the fake Viber API and the fake Bot API each in its own process on 127.0.0.1 (they answer at once); one "
        "announcement per channel and allowed rate.",
        "",
        "| channel | allowed rate | copies | sent | time | sent a second | of the allowed rate |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['channel']} | {r['rate']:.0f}/s | {r['copies']:.0f} | {r['sent']:.0f} | {r['seconds']:.1f} s "
        f"| {r['per_second']:.0f} "
        f"| {100 * r['share']:.0f} % |"
        for r in rows
    ]
    lines += [
        "",
        "Each copy is claimed and settled in SQL in batches of 32 (one transaction each way), so a restart sends "
        "nobody anything twice; the pacing keeps every channel at or under its allowed rate. Where the share "
        "falls below 100 %, our side (SQL and the HTTP client on these cores, shared with other work: see the load) "
        "is the limit, not the pacing; a short run also carries the round's fixed start (the due check, each "
        "subscriber's row written) and the last batch's settle. Telegram allows a bot about 30 messages a second "
        "in all: its copies also pass the rate counters in Redis that the chats' own answers share, so together "
        "they stay within it on every node.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Announcement throughput against the allowed rate")
    parser.add_argument("--seconds", type=float, default=4.0, help="about how long each rate sends")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()
    load = load_average()
    database_url = os.environ.get("HOTLINE_BENCH_DATABASE_URL", "")
    rows = run(args.seconds, database_url)
    for row in rows:
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}))
    if args.write:
        command = ".venv/bin/python bench/announce_bench.py " + " ".join(sys.argv[1:])
        store = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
        written = write_section("announce_bench", section(rows, command.strip(), load, store))
        print(f"wrote {written.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
