"""Viber webhook: how long Viber waits for our 200, and how long until the answer reaches Viber.

Runs the whole app in-process (SQLite file, the Redis of HOTLINE_TEST_REDIS_URL or an embedded one)
against the local fake Viber API; each simulated citizen opens the chat (`conversation_started`),
asks a question and presses a button, every callback signed as Viber signs it. Prints the figures;
`--write` replaces the Viber section of docs/BENCHMARKS.md. Never run as a test.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from bench.report import citizens_main, machine, percentile  # noqa: E402
from channels.chat.abuse import screen  # noqa: E402
from channels.viber.wire import SIGNATURE_HEADER, signature  # noqa: E402
from hotline.app import create_app  # noqa: E402
from hotline.settings import Settings  # noqa: E402
from tests.fakes.viber_api import FakeViberApi  # noqa: E402

TOKEN = "bench-token"
QUESTIONS = ["Як мені оформити житлову субсидію", "Как получить справку переселенца", "subsidies"]


def _post(client: TestClient, event: dict[str, object]) -> float:
    body = json.dumps(event, ensure_ascii=False).encode()
    started = time.perf_counter()
    response = client.post("/viber/webhook", content=body, headers={SIGNATURE_HEADER: signature(body, TOKEN)})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed


def run(users: int, redis_url: str) -> dict[str, float]:
    fake = FakeViberApi()
    data = Path(tempfile.mkdtemp())
    settings = Settings(
        database_url=f"sqlite:///{data / 'hotline.sqlite3'}",
        redis_url=redis_url,
        data_dir=data / "var",
        redis_prefix=f"bench-{uuid.uuid4().hex[:8]}",
        viber_auth_token=TOKEN,
        viber_api_url=fake.url,
        queue_tick_seconds=0,
    )
    welcome: list[float] = []
    answered: list[float] = []  # webhook 200 plus the send after it (TestClient runs the background task)
    with TestClient(create_app(settings)) as client:
        for n in range(users):
            user = {"id": f"bench{n:05d}==", "name": "Bench", "language": "uk" if n % 2 else "ru"}
            welcome.append(
                _post(
                    client,
                    {
                        "event": "conversation_started",
                        "timestamp": 1,
                        "message_token": n * 10,
                        "type": "open",
                        "user": user,
                        "subscribed": False,
                    },
                )
            )
            for k, text in enumerate(QUESTIONS, start=1):
                answered.append(
                    _post(
                        client,
                        {
                            "event": "message",
                            "timestamp": 1,
                            "message_token": n * 10 + k,
                            "sender": user,
                            "message": {"type": "text", "text": text},
                        },
                    )
                )
    fake.close()
    sent = sum(1 for r in fake.delivered if r.path.endswith("send_message"))
    lines = [f"Ви всі ідіоти, коли прийде субсидія номер {i}" for i in range(2000)]
    started = time.perf_counter()
    for line in lines:
        screen(line, "uk")
    per_line = (time.perf_counter() - started) / len(lines)
    return {
        "users": users,
        "sent": sent,
        "welcome_p50": statistics.median(welcome) * 1000,
        "welcome_p95": percentile(welcome, 0.95) * 1000,
        "answer_p50": statistics.median(answered) * 1000,
        "answer_p95": percentile(answered, 0.95) * 1000,
        "screen_us": per_line * 1e6,
    }


def section(f: dict[str, float], command: str) -> str:
    return "\n".join(
        [
            "## Viber webhook (`bench/viber_bench.py`)",
            "",
            f"Machine: {machine()}. Command: `{command}`. Whole app in-process (SQLite, real Redis), "
            "the fake Viber API on 127.0.0.1; one citizen after another.",
            "",
            "| citizens | messages sent | welcome p50 | welcome p95 | message + send p50 | message + send p95 "
            "| abuse screen |",
            "|---|---|---|---|---|---|---|",
            f"| {f['users']:.0f} | {f['sent']:.0f} | {f['welcome_p50']:.1f} ms | {f['welcome_p95']:.1f} ms "
            f"| {f['answer_p50']:.1f} ms | {f['answer_p95']:.1f} ms | {f['screen_us']:.0f} µs a message |",
            "",
            "Welcome: `conversation_started` until its 200 (a new conversation, the welcome in the body). "
            "Message + send: a `message` callback until its 200 plus the background send to the fake API "
            "(the engine turn, the SQL log, the Redis claims). Viber itself waits only for the 200; the send follows.",
        ]
    )


if __name__ == "__main__":
    sys.exit(citizens_main("viber_bench", "Viber webhook latency benchmark", users=100, run=run, section=section))
