"""The async sender against the fake Viber API and a real Redis: timeouts, retries, once, in order, the limit."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from channels.chat.outbox import Outcome
from channels.viber import keys, render
from channels.viber.client import Retry, ViberApi, ViberRefused, ViberUnavailable, make_http
from channels.viber.outbox import Outbox
from channels.viber.wire import Look, Outgoing, text_message
from tests.fakes.viber_api import FakeViberApi
from tests.viber.conftest import TOKEN

LOOK = Look(name="Соцзахист")


class Sink:
    """Where the outbox writes what it could not send (the app writes it to SQL)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def __call__(self, event: str, user_id: str, detail: str) -> None:
        self.rows.append((event, user_id, detail))


@pytest.fixture
def fake() -> Any:
    server = FakeViberApi()
    yield server
    server.close()


@pytest.fixture
async def parts(fake: FakeViberApi, redis_url: str) -> AsyncIterator[tuple[Outbox, Sink, aioredis.Redis, str]]:
    async for found in _parts(fake, redis_url, timeout_seconds=10):  # a slow answer under load still counts
        yield found


@pytest.fixture
async def impatient(fake: FakeViberApi, redis_url: str) -> AsyncIterator[tuple[Outbox, Sink, aioredis.Redis, str]]:
    """An outbox whose answers time out at once, for the fake's late answers."""
    async for found in _parts(fake, redis_url, timeout_seconds=0.3):
        yield found


async def _parts(
    fake: FakeViberApi, redis_url: str, *, timeout_seconds: float
) -> AsyncIterator[tuple[Outbox, Sink, aioredis.Redis, str]]:
    http = make_http(TOKEN, timeout_seconds=timeout_seconds)
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    sink = Sink()
    api = ViberApi(http, base_url=fake.url, retry=Retry(attempts=3, first_delay=0.05))
    yield Outbox(client, api, prefix=prefix, limit=3, record=sink), sink, client, prefix
    await http.aclose()
    await client.aclose()


def message(n: int, receiver: str = "u1==", turn: str = "viber:1") -> Outgoing:
    body = text_message(f"повідомлення {n}", render.keyboard((), "uk"), LOOK, receiver)
    return Outgoing(f"{turn}:{n}", receiver, body)


async def test_a_failing_api_is_retried_and_the_message_arrives_once(parts: Any, fake: FakeViberApi) -> None:
    outbox, sink, _, _ = parts
    fake.fail_next(2, http_status=503)
    done = await outbox.deliver([message(0)])
    assert [d.outcome for d in done] == [Outcome.SENT] and done[0].message_token
    assert len(fake.arrived) == 3 and len(fake.sent_to("u1==")) == 1
    sent = fake.delivered[0]
    assert sent.token == TOKEN and sent.content_type and sent.content_type.startswith("application/json")
    assert sent.body["text"] == "повідомлення 0" and sent.body["sender"]["name"] == "Соцзахист"
    assert sink.rows == []


async def test_a_message_answered_after_the_timeout_is_not_sent_twice(impatient: Any, fake: FakeViberApi) -> None:
    outbox, sink, _, _ = impatient
    fake.answer_late_next(1, seconds=1.0)  # Viber took it, but answered too late
    done = await outbox.deliver([message(0), message(1)])
    assert [d.outcome for d in done] == [Outcome.UNKNOWN, Outcome.SENT]
    assert [m["text"] for m in fake.sent_to("u1==")] == ["повідомлення 0", "повідомлення 1"]
    assert len(fake.arrived) == 2 and [row[0] for row in sink.rows] == ["send_unknown"]
    again = await outbox.deliver([message(0), message(1)])  # e.g. Viber repeated the callback
    assert [d.outcome for d in again] == [Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert len(fake.sent_to("u1==")) == 2


async def test_a_message_that_could_not_connect_is_tried_again(parts: Any) -> None:
    outbox, sink, _, _ = parts
    with socket.socket() as closed:  # a port nobody listens on: the request never left
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    outbox.api = ViberApi(
        outbox.api.http, base_url=f"http://127.0.0.1:{port}/pa/", retry=Retry(attempts=3, first_delay=0.01)
    )
    assert [d.outcome for d in await outbox.deliver([message(0)])] == [Outcome.FAILED]
    assert "gave up after 3 attempts" in sink.rows[0][2]


async def test_two_deliveries_of_the_same_messages_at_once_send_each_once(parts: Any, fake: FakeViberApi) -> None:
    outbox, _, _, _ = parts
    batch = [message(n) for n in range(3)]
    await asyncio.gather(outbox.deliver(batch), outbox.deliver(batch))
    assert [m["text"] for m in fake.sent_to("u1==")] == [f"повідомлення {n}" for n in range(3)]


async def test_giving_up_is_recorded_and_frees_the_slot(parts: Any, fake: FakeViberApi) -> None:
    outbox, sink, client, prefix = parts
    fake.fail_next(3)
    done = await outbox.deliver([message(0)])
    assert done[0].outcome is Outcome.FAILED
    assert sink.rows and sink.rows[0][0] == "send_failed" and sink.rows[0][1] == "u1=="
    assert await client.zcard(keys.unanswered(prefix, "u1==")) == 0


async def test_a_refusal_is_not_retried(parts: Any, fake: FakeViberApi) -> None:
    outbox, sink, _, _ = parts
    fake.refuse_next(1, viber_status=6)  # receiver not subscribed
    done = await outbox.deliver([message(0)])
    assert done[0].outcome is Outcome.REFUSED and len(fake.arrived) == 1
    assert sink.rows[0][0] == "send_refused"


async def test_no_more_than_the_limit_without_a_reply_until_the_user_writes(parts: Any, fake: FakeViberApi) -> None:
    outbox, sink, client, prefix = parts
    done = await outbox.deliver([message(n, turn="op:c1") for n in range(5)])
    assert [d.outcome for d in done] == [Outcome.SENT] * 3 + [Outcome.RATE_LIMITED] * 2
    assert len(fake.sent_to("u1==")) == 3
    assert [row[0] for row in sink.rows] == ["rate_limited", "rate_limited"]
    await client.delete(keys.unanswered(prefix, "u1=="))  # what the webhook does when the user writes
    assert (await outbox.deliver([message(9, turn="op:c2")]))[0].outcome is Outcome.SENT


async def test_vibers_own_too_many_requests_counts_as_the_limit(parts: Any, fake: FakeViberApi) -> None:
    outbox, _, _, _ = parts
    fake.refuse_next(1, viber_status=12)
    assert (await outbox.deliver([message(0)]))[0].outcome is Outcome.RATE_LIMITED
    assert len(fake.arrived) == 1


async def test_nothing_goes_to_someone_who_unsubscribed(parts: Any, fake: FakeViberApi) -> None:
    outbox, _, client, prefix = parts
    await client.set(keys.of(prefix).left("u1=="), "1")
    assert (await outbox.deliver([message(0)]))[0].outcome is Outcome.UNSUBSCRIBED
    assert fake.arrived == []


async def test_the_client_raises_clear_errors() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>")

    async with httpx.AsyncClient(transport=httpx.MockTransport(broken)) as http:
        api = ViberApi(http, base_url="http://viber.invalid/pa", retry=Retry(attempts=2, first_delay=0.01))
        with pytest.raises(ViberUnavailable, match="gave up after 2 attempts"):
            await api.send_message({"receiver": "u"})
    refusing = httpx.MockTransport(lambda r: httpx.Response(200, json={"status": 2, "status_message": "bad token"}))
    async with httpx.AsyncClient(transport=refusing) as http:
        with pytest.raises(ViberRefused, match="bad token"):
            await ViberApi(http, base_url="http://viber.invalid/pa/").send_message({})
