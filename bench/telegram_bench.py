"""Telegram: a message turn, from the webhook's POST to the answer's sendMessage reaching the Bot API.

Runs the whole app served by uvicorn on 127.0.0.1 (SQLite file, the Redis of HOTLINE_TEST_REDIS_URL)
against the local fake Bot API; each simulated citizen presses Start, asks questions and presses a
button, every update carrying the secret token. Times are taken on one monotonic clock: the POST's
start, its 200, and the fake API's arrival of the turn's last sendMessage. Prints the figures;
`--write` replaces the Telegram section of docs/BENCHMARKS.md. Never run as a test.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from bench.report import citizens_main, load_average, machine, percentile  # noqa: E402
from channels.telegram.wire import SECRET_HEADER  # noqa: E402
from hotline.settings import Settings  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramApi  # noqa: E402
from tests.helpers import free_port  # noqa: E402
from tests.telegram.conftest import BOT_TOKEN, SECRET, new_user, press, start, text_update  # noqa: E402

QUESTIONS = ["Як мені оформити житлову субсидію", "Как получить справку переселенца", "допомога на дитину"]


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    from hotline.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/telegram/webhook"
    server.should_exit = True
    thread.join(timeout=30)


def turn(
    http: httpx.Client, url: str, fake: FakeTelegramApi, body: dict[str, Any], chat_id: int
) -> tuple[float, float]:
    """(until the 200, until the answer's last message reached the API), in seconds."""
    before = len(fake.calls("sendMessage", chat_id))
    started = time.monotonic()
    answer = http.post(url, content=json.dumps(body, ensure_ascii=False).encode(), headers={SECRET_HEADER: SECRET})
    acknowledged = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    arrived = fake.wait_for(before + 1, chat_id=chat_id)
    time.sleep(0.02)  # a split answer's later pieces
    last = fake.calls("sendMessage", chat_id)[-1].at
    return acknowledged, max(last, arrived[-1].at) - started


def run(users: int, redis_url: str) -> dict[str, float]:
    fake = FakeTelegramApi(BOT_TOKEN)
    data = Path(tempfile.mkdtemp())
    settings = Settings(
        database_url=f"sqlite:///{data / 'hotline.sqlite3'}",
        redis_url=redis_url,
        data_dir=data / "var",
        redis_prefix=f"bench-{uuid.uuid4().hex[:8]}",
        telegram_bot_token=BOT_TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_url=fake.url,
        queue_tick_seconds=0,
        rate_limits=False,
    )
    acks: list[float] = []
    turns: list[float] = []
    with served(settings) as url, httpx.Client(timeout=30) as http:
        citizens = [new_user("uk" if n % 2 else "ru") for n in range(users)]
        for user in citizens:
            turn(http, url, fake, start(user), user["id"])  # not counted: the first builds the matcher
        # Round after round, so one chat's turns are as far apart as a person's (within its rate).
        for round_ in [*([text_update, q] for q in QUESTIONS), [press, "subsidies"]]:
            make, value = round_
            for user in citizens:
                ack, whole = turn(http, url, fake, make(user, value), user["id"])  # type: ignore[operator]
                acks.append(ack)
                turns.append(whole)
    fake.close()
    return {
        "users": users,
        "turns": len(turns),
        "sent": len(fake.calls("sendMessage")),
        "ack_p50": statistics.median(acks) * 1000,
        "ack_p95": percentile(acks, 0.95) * 1000,
        "turn_p50": statistics.median(turns) * 1000,
        "turn_p95": percentile(turns, 0.95) * 1000,
        "load": load_average(),
    }


def section(f: dict[str, float], command: str) -> str:
    return "\n".join(
        [
            "## Telegram message turn (`bench/telegram_bench.py`)",
            "",
            f"Machine: {machine()}; load average {f['load']:.1f} when it ended. Command: `{command}`. "
            "The whole app served by uvicorn on 127.0.0.1 (SQLite, real Redis), the fake Bot API on 127.0.0.1; "
            "citizens take turns (each chat's turns far enough apart to keep within its rate): /start, then three "
            "questions and a button press each.",
            "",
            "| turns | messages sent | webhook 200 p50 | webhook 200 p95 | turn (webhook → send at the API) p50 "
            "| turn p95 |",
            "|---|---|---|---|---|---|",
            f"| {f['turns']:.0f} | {f['sent']:.0f} | {f['ack_p50']:.1f} ms | {f['ack_p95']:.1f} ms "
            f"| {f['turn_p50']:.1f} ms | {f['turn_p95']:.1f} ms |",
            "",
            "Webhook 200: the POST until Telegram has its answer (secret check, the update claimed, the engine "
            "turn, the SQL log). Turn: the POST until the fake Bot API received the answer's last sendMessage "
            "(the sender after the response: the Redis claim and both rate counters, then the call). "
            "A button press adds answerCallbackQuery before its message.",
        ]
    )


if __name__ == "__main__":
    sys.exit(
        citizens_main("telegram_bench", "Telegram message-turn latency benchmark", users=50, run=run, section=section)
    )
