"""Rates per address and per conversation on the public chat API and the webhooks, counted in Redis so
that every node shares them; 429 with Retry-After past a limit; concurrent writes to one chat give
409 or 429, never a 500 (issue 18, item 6)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis.asyncio as aioredis
from fastapi.testclient import TestClient

from channels.state_store import StateStore, state_key
from hotline import conversation_log
from hotline.app import create_app
from hotline.deps import Parts
from hotline.rate_limits import TIMEOUT_SECONDS, RateLimits, Rule
from tests.abuse.conftest import browser_at, twilio_post, viber_post
from tests.ivr.phone import PUBLIC_URL
from tests.viber.conftest import conversation_started, new_user, text_message

SQLITE = pytest.mark.parametrize("app", ["sqlite"], indirect=True)  # the counts live in Redis


def _from(client: TestClient, address: str | None = None) -> TestClient:
    """A browser at an address no other test uses."""
    return browser_at(client, address or f"203.0.113.{uuid.uuid4().hex[:8]}")


def _client(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)


def _new_chat(client: TestClient) -> int:
    return client.post("/api/chat/sessions", json={"lang": "uk"}).status_code


async def test_a_rule_counts_in_redis_and_says_how_long_to_wait(redis_url: str) -> None:
    limits = RateLimits(_client(redis_url), f"test-{uuid.uuid4().hex[:8]}")
    rule = Rule.of("test", "3/minute")
    assert [await limits.retry_after(rule, "a") for _ in range(3)] == [0, 0, 0]
    wait = await limits.retry_after(rule, "a")
    assert 1 <= wait <= 60
    assert await limits.retry_after(rule, "b") == 0  # another address or conversation has its own count
    await limits.aclose()


async def test_when_redis_does_not_answer_requests_go_on() -> None:
    limits = RateLimits(_client("redis://127.0.0.1:9/0"), "nowhere")  # nothing listens on the discard port
    assert await limits.retry_after(Rule.of("test", "1/minute"), "a") == 0
    await limits.aclose()


@SQLITE
def test_one_address_starting_chats_without_end_gets_429_with_retry_after(client: TestClient) -> None:
    flooder, neighbour = _from(client), _from(client)
    statuses = [_new_chat(flooder) for _ in range(12)]
    assert statuses[:10] == [201] * 10 and statuses[10:] == [429, 429]
    refused = flooder.post("/api/chat/sessions", json={"lang": "uk"})
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 and "try again" in refused.json()["message"]
    assert _new_chat(neighbour) == 201


@SQLITE
def test_every_node_shares_the_counts(client: TestClient) -> None:
    """A second app (another node) on the same Redis sees what the first one counted."""
    parts: Parts = client.app.state.parts  # type: ignore[attr-defined]
    address = f"198.51.100.{uuid.uuid4().hex[:6]}"
    assert [_new_chat(_from(client, address)) for _ in range(6)] == [201] * 6
    with TestClient(create_app(parts.settings), base_url=PUBLIC_URL) as other_node:
        assert [_new_chat(browser_at(other_node, address)) for _ in range(5)] == [201] * 4 + [429]


@SQLITE
def test_one_conversation_flooded_with_messages_gets_429_others_go_on(client: TestClient) -> None:
    citizen = _from(client)
    busy = citizen.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    calm = citizen.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    statuses = [citizen.post(f"/api/chat/sessions/{busy}/messages", json={"text": "1"}).status_code for _ in range(21)]
    assert statuses == [200] * 20 + [429]
    assert citizen.post(f"/api/chat/sessions/{calm}/messages", json={"text": "1"}).status_code == 200


def test_many_writes_at_once_to_one_chat_are_409_or_429_never_500(client: TestClient) -> None:
    citizen = _from(client)
    session = citizen.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]

    def send(n: int) -> int:
        return citizen.post(f"/api/chat/sessions/{session}/messages", json={"text": f"питання {n}"}).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = Counter(pool.map(send, range(40)))
    assert set(statuses) <= {200, 409, 429} and statuses[200] >= 1, statuses
    parts: Parts = client.app.state.parts  # type: ignore[attr-defined]
    stored = parts.dialogue.store.read(session)
    with parts.sessions() as db:
        logged = conversation_log.last_turn(db, conversation_id=session)
    assert stored.data is not None and int(stored.data["step"]) == logged  # every step that happened is in SQL


class _Contended(StateStore):
    """The real store, with another writer getting in before every write (as a storm of requests would)."""

    def advance(self, conversation_id: str, **kwargs: Any) -> bool:
        key = state_key(self.prefix, conversation_id)
        self.client.set(key, json.dumps({**json.loads(self.client.get(key) or "{}"), "other": uuid.uuid4().hex}))
        return super().advance(conversation_id, **kwargs)


@SQLITE
def test_a_conversation_that_stays_contended_is_a_409_not_a_500(client: TestClient) -> None:
    parts: Parts = client.app.state.parts  # type: ignore[attr-defined]
    citizen = _from(client)
    session = citizen.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    store = parts.dialogue.store
    parts.dialogue.store = _Contended(store.client, store.ttl, store.prefix)
    try:
        busy = citizen.post(f"/api/chat/sessions/{session}/messages", json={"text": "субсидія"})
    finally:
        parts.dialogue.store = store
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1" and "again" in busy.json()["message"]
    assert citizen.post(f"/api/chat/sessions/{session}/messages", json={"text": "субсидія"}).status_code == 200


@SQLITE
def test_a_replayed_twilio_webhook_is_limited_per_call(client: TestClient) -> None:
    call = "CA" + uuid.uuid4().hex
    params = {"CallSid": call, "From": "+380501112233"}
    statuses = Counter(twilio_post(client, "/twilio/voice", params).status_code for _ in range(61))
    assert statuses == {200: 60, 429: 1}
    other = twilio_post(client, "/twilio/voice", {**params, "CallSid": "CA" + uuid.uuid4().hex})
    assert other.status_code == 200


@SQLITE
def test_a_viber_user_past_the_limit_is_told_to_come_back_later(client: TestClient) -> None:
    user = new_user()
    assert viber_post(client, conversation_started(user)).status_code == 200
    statuses = Counter(viber_post(client, text_message(user, "1")).status_code for _ in range(61))
    assert statuses == {200: 59, 429: 2}  # 60 callbacks with the greeting; Viber sends a refused one again later
    assert viber_post(client, text_message(new_user(), "1")).status_code == 200
