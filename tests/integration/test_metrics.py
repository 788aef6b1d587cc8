"""`GET /metrics`: Prometheus text with requests per route and the live queues, one worker or several."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import METRICS, chat, free_port, serving

ROOT = Path(__file__).resolve().parents[2]


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_requests_are_counted_by_route_and_the_waiting_citizen_shows_in_the_queue(client: TestClient) -> None:
    session = client.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    chat(client, session, text="Як оформити житлову субсидію?")
    answer = chat(client, session, text="оператор")
    queue = answer["replies"][0]["handoff"]["queue"]
    assert client.get(f"/no-such-page/{uuid.uuid4().hex}").status_code == 404

    response = client.get("/metrics", headers=METRICS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    messages = "/api/chat/sessions/{session_id}/messages"
    assert _value(samples, "hotline_http_requests_total", method="POST", route=messages, status="200") == 2
    assert _value(samples, "hotline_http_requests_total", method="POST", route="/api/chat/sessions", status="201") == 1
    # Unknown paths share one label, so a scanner cannot create a series per path.
    assert _value(samples, "hotline_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert _value(samples, "hotline_http_request_duration_seconds_count", method="POST", route=messages) == 2
    assert client.get("/metrics", headers=METRICS).status_code == 200  # plain routes (not FastAPI's own) are named too
    again = _samples(client.get("/metrics", headers=METRICS).text)
    assert _value(again, "hotline_http_requests_total", method="GET", route="/metrics", status="200") == 2
    waiting = {
        dict(labels)["queue"]: value for (name, labels), value in samples.items() if name == "hotline_queue_waiting"
    }
    assert waiting == {f"{queue}:uk": 1}, waiting
    assert _value(samples, "hotline_queue_abandoned_today", queue=f"{queue}:uk") == 0


@pytest.fixture
def two_workers(postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[str]:
    """`hotline serve --workers 2` on PostgreSQL and the test Redis."""
    port = free_port()
    env = {
        **os.environ,
        "HOTLINE_DATA_DIR": str(tmp_path),
        "HOTLINE_DATABASE_URL": postgres_url,
        "HOTLINE_REDIS_URL": redis_url,
        "HOTLINE_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with serving(tmp_path, port, env, "--workers", "2", wait=90):
        yield f"http://127.0.0.1:{port}"


def test_every_worker_answers_with_the_sum_of_all_workers(two_workers: str) -> None:
    for _ in range(30):
        # A new connection each time, so both workers take some of them.
        assert httpx.get(f"{two_workers}/healthz", headers={"Connection": "close"}).status_code == 200
    for _ in range(6):
        scraped = httpx.get(f"{two_workers}/metrics", headers={"Connection": "close", **METRICS})
        samples = _samples(scraped.text)
        assert _value(samples, "hotline_http_requests_total", method="GET", route="/healthz", status="200") == 30
