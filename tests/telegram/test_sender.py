"""The Bot API client and the sender against the fake Bot API on a real socket, with a real Redis."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from limits import parse

from channels.chat.outbox import Outcome
from channels.telegram import keys, render
from channels.telegram.client import BotApi, Retry, TelegramRefused, TelegramUnavailable, TelegramUnknown, make_http
from channels.telegram.sender import Rates, Sender
from tests.fakes.telegram_api import FakeTelegramApi
from tests.telegram.conftest import BOT_TOKEN


@pytest.fixture
def fake() -> Any:
    found = FakeTelegramApi(BOT_TOKEN)
    yield found
    found.close()


class Waits:
    """Records what the client or the rates asked to wait, and waits a token amount of it."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(min(seconds, 0.05))


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with make_http(10) as client:  # an answer slow under load still counts (a lost one is not resent)
        yield client


@pytest.fixture
async def impatient() -> AsyncIterator[httpx.AsyncClient]:
    """A client whose answers time out at once, for the fake's late answers."""
    async with make_http(0.3) as client:
        yield client


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


def api(http: httpx.AsyncClient, fake: FakeTelegramApi, waits: Waits, attempts: int = 4) -> BotApi:
    return BotApi(
        http, api_url=fake.url, token=BOT_TOKEN, retry=Retry(attempts=attempts, first_delay=0.01), sleep=waits
    )


class Recorded:
    def __init__(self) -> None:
        self.outcomes: list[tuple[str, int, str]] = []

    async def __call__(self, outcome: str, chat_id: int, detail: str) -> None:
        self.outcomes.append((outcome, chat_id, detail))


def sender(bot: BotApi, redis: aioredis.Redis, **rates: Any) -> tuple[Sender, Recorded, str]:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    recorded = Recorded()
    return Sender(bot, redis, prefix=prefix, rates=Rates(redis, prefix, **rates), record=recorded), recorded, prefix


def message(chat_id: int, text: str, turn: str | None = None) -> Any:
    return render.note(text, "uk", chat_id=chat_id, turn=turn or uuid.uuid4().hex)


async def test_calls_go_to_the_bot_token_url_and_failures_are_retried(
    http: httpx.AsyncClient, fake: FakeTelegramApi
) -> None:
    waits = Waits()
    fake.fail_next(2, http_status=502)
    result = await api(http, fake, waits).call("sendMessage", {"chat_id": 7, "text": "Привіт"})
    assert result["text"] == "Привіт"
    assert [c.token for c in fake.arrived] == [BOT_TOKEN] * 3 and len(fake.delivered) == 1
    assert waits.asked == [0.01, 0.02]  # doubling


async def test_a_429_waits_what_telegram_says(http: httpx.AsyncClient, fake: FakeTelegramApi) -> None:
    waits = Waits()
    fake.limit_next(1, retry_after=3)
    await api(http, fake, waits).call("sendMessage", {"chat_id": 7, "text": "x"})
    assert waits.asked == [3.0] and len(fake.delivered) == 1


async def test_a_429_longer_than_we_hold_messages_gives_up(http: httpx.AsyncClient, fake: FakeTelegramApi) -> None:
    fake.limit_next(1, retry_after=3600)
    with pytest.raises(TelegramUnavailable, match="wait 3600"):
        await api(http, fake, Waits()).call("sendMessage", {"chat_id": 7, "text": "x"})


async def test_a_message_answered_after_the_timeout_is_not_sent_again(
    impatient: httpx.AsyncClient, fake: FakeTelegramApi, redis: aioredis.Redis
) -> None:
    send, recorded, _ = sender(api(impatient, fake, Waits()), redis)
    fake.answer_late_next(1, seconds=1.0)  # Telegram took it, but answered too late
    done = await send.deliver([message(7, "Відповідь"), message(7, "Наступна")])
    assert [d.outcome for d in done] == [Outcome.UNKNOWN, Outcome.SENT]
    assert [c.text for c in fake.arrived] == ["Відповідь", "Наступна"]  # not a second copy
    assert [(o, c) for o, c, _ in recorded.outcomes] == [("send_unknown", 7)]


async def test_an_edit_answered_after_the_timeout_is_made_again(
    impatient: httpx.AsyncClient, fake: FakeTelegramApi
) -> None:
    fake.answer_late_next(1, seconds=1.0)  # a second copy of an edit shows the citizen nothing new
    await api(impatient, fake, Waits()).call("editMessageText", {"chat_id": 7, "message_id": 1, "text": "x"})
    assert [c.method for c in fake.arrived] == ["editMessageText"] * 2


async def test_a_message_that_could_not_connect_is_tried_again(http: httpx.AsyncClient) -> None:
    with socket.socket() as closed:  # a port nobody listens on: the request never left
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    waits = Waits()
    bot = BotApi(http, api_url=f"http://127.0.0.1:{port}", token=BOT_TOKEN, retry=Retry(first_delay=0.01), sleep=waits)
    with pytest.raises(TelegramUnavailable, match="gave up after 4 attempts") as failed:
        await bot.call("sendMessage", {"chat_id": 7, "text": "x"}, resend=False)
    assert not isinstance(failed.value, TelegramUnknown) and len(waits.asked) == 3


async def test_refusals_are_not_retried_and_every_attempt_failing_gives_up(
    http: httpx.AsyncClient, fake: FakeTelegramApi
) -> None:
    fake.refuse_next(1, code=400, description="Bad Request: chat not found")
    with pytest.raises(TelegramRefused) as refused:
        await api(http, fake, Waits()).call("sendMessage", {"chat_id": 7, "text": "x"})
    assert (refused.value.code, refused.value.blocked, len(fake.arrived)) == (400, False, 1)
    fake.fail_next(3, http_status=500)
    with pytest.raises(TelegramUnavailable, match="gave up after 3 attempts"):
        await api(http, fake, Waits(), attempts=3).call("sendMessage", {"chat_id": 7, "text": "x"})


async def test_the_token_never_shows_in_the_log(
    http: httpx.AsyncClient, fake: FakeTelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        await api(http, fake, Waits()).call("getMe", {})
    assert "HTTP Request" in caplog.text and BOT_TOKEN not in caplog.text and "bot<token>/getMe" in caplog.text


async def test_each_message_is_sent_once(http: httpx.AsyncClient, fake: FakeTelegramApi, redis: aioredis.Redis) -> None:
    send, _, _ = sender(api(http, fake, Waits()), redis)
    call = message(7, "Один раз")
    first, second = await asyncio.gather(send.deliver([call]), send.deliver([call]))
    assert sorted(d.outcome for d in first + second) == [Outcome.DUPLICATE, Outcome.SENT]
    assert [c.text for c in fake.delivered] == ["Один раз"]


async def test_each_chats_messages_keep_their_order_whoever_sends_them(
    http: httpx.AsyncClient, fake: FakeTelegramApi, redis: aioredis.Redis
) -> None:
    send, _, _ = sender(api(http, fake, Waits()), redis, one_chat=parse("100/second"))
    fake.fail_next(1)  # the first message needs a second try: the others still wait for it
    batches = [[message(chat, f"{chat}:{batch}:{n}") for n in range(3)] for batch in range(3) for chat in (1, 2)]
    await asyncio.gather(*(send.deliver(batch) for batch in batches))
    for chat in (1, 2):
        assert [c.text for c in fake.delivered if c.chat_id == chat] == [
            f"{chat}:{b}:{n}" for b in range(3) for n in range(3)
        ]


async def test_a_chat_gets_no_more_than_its_rate(
    http: httpx.AsyncClient, fake: FakeTelegramApi, redis: aioredis.Redis
) -> None:
    waits = Waits()
    send, _, _ = sender(api(http, fake, Waits()), redis, one_chat=parse("2/second"))
    send.rates.sleep = waits
    await send.deliver([message(5, str(n)) for n in range(4)])
    assert [c.text for c in fake.delivered] == ["0", "1", "2", "3"]
    # The third and fourth each waited for the window (the limiter's own count decides; its timing is limits')
    assert len(waits.asked) >= 2 and all(0 < w <= 1 for w in waits.asked)


async def test_all_chats_together_get_no_more_than_the_global_rate(
    http: httpx.AsyncClient, fake: FakeTelegramApi, redis: aioredis.Redis
) -> None:
    waits = Waits()
    send, _, _ = sender(api(http, fake, Waits()), redis, all_chats=parse("3/second"))
    send.rates.sleep = waits
    await asyncio.gather(*(send.deliver([message(chat, str(chat))]) for chat in range(6)))
    assert sorted(c.text for c in fake.delivered) == [str(chat) for chat in range(6)]
    assert len(waits.asked) >= 3 and all(0 < w <= 1 for w in waits.asked)  # three of the six waited


async def test_a_429_holds_every_chats_messages_for_its_retry_after(
    http: httpx.AsyncClient, fake: FakeTelegramApi, redis: aioredis.Redis
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    rates, waits = Rates(redis, prefix), Waits()
    rates.sleep = waits
    bot = BotApi(
        http, api_url=fake.url, token=BOT_TOKEN, retry=Retry(first_delay=0.01), sleep=Waits(), limited=rates.hold
    )
    send = Sender(bot, redis, prefix=prefix, rates=rates, record=Recorded())
    fake.limit_next(1, retry_after=2)
    await send.deliver([message(1, "a")])  # the 429; the call waits Telegram's 2 s itself, then goes
    assert waits.asked == []
    await send.deliver([message(2, "b")])  # another chat, on any node: what is left of the 2 s first
    assert len(waits.asked) == 1 and 0 < waits.asked[0] <= 2
    assert [c.text for c in fake.delivered] == ["a", "b"]


async def test_a_blocked_chat_gets_nothing_and_a_403_blocks_it(
    http: httpx.AsyncClient, fake: FakeTelegramApi, redis: aioredis.Redis
) -> None:
    send, recorded, prefix = sender(api(http, fake, Waits()), redis)
    fake.refuse_next(1)
    assert [d.outcome for d in await send.deliver([message(9, "a"), message(9, "b")])] == [Outcome.UNSUBSCRIBED] * 2
    assert await redis.exists(keys.of(prefix).left(9))
    assert len(fake.arrived) == 1  # the second was not even tried
    assert [(o, c) for o, c, _ in recorded.outcomes] == [("blocked", 9), ("blocked", 9)]
    assert "bot was blocked by the user" in recorded.outcomes[0][2]


async def test_what_could_not_be_sent_is_recorded_once(
    http: httpx.AsyncClient, fake: FakeTelegramApi, redis: aioredis.Redis
) -> None:
    send, recorded, _ = sender(api(http, fake, Waits(), attempts=2), redis)
    fake.fail_next(2)
    call = message(4, "x")
    assert [d.outcome for d in await send.deliver([call])] == [Outcome.FAILED]
    assert [d.outcome for d in await send.deliver([call])] == [Outcome.DUPLICATE]
    assert [o for o, _, _ in recorded.outcomes] == ["send_failed"]
