"""Announcements through the whole app and the fake Viber and Telegram APIs: preview, send now or later, cancel,
progress; 1,000 Viber subscribers, and Telegram subscribers within Telegram's rates, with failures and a restart
in the middle, each getting it exactly once; a copy whose answer never came, or that a sender died sending, is
never sent again. SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.admin.models import AuditEntry
from hotline.db import transaction, utcnow
from selfservice.channels import push_channels
from selfservice.models import Announcement, Delivery, Subscription, Topic
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.viber_api import FakeViberApi
from tests.ivr.phone import PUBLIC_URL
from tests.selfservice.conftest import line_settings, log_in_admin, sessions_of
from tests.telegram.conftest import BOT_TOKEN

SUBSCRIBERS = 1000


def _topic(
    sessions: sessionmaker[Session], subscribers: int = 0, prefix: str = "", channel: str = "viber"
) -> tuple[int, list[str]]:
    """A topic with `subscribers` subscribers on `channel` (every fourth in Russian), written straight to SQL:
    Viber user ids, or Telegram chat ids."""
    if channel == "telegram":
        first = int(uuid.uuid4().int % 10**9) * 10**4
        people = [str(first + n) for n in range(subscribers)]
    else:
        people = [f"{prefix or uuid.uuid4().hex[:6]}{n:05d}A==" for n in range(subscribers)]
    with transaction(sessions) as session:
        topic = Topic(slug=f"t_{uuid.uuid4().hex[:8]}", title_uk="Строки виплат", title_ru="Сроки выплат")
        session.add(topic)
        session.flush()
        session.add_all(
            Subscription(channel=channel, recipient=p, topic_id=topic.id, lang="ru" if n % 4 == 0 else "uk")
            for n, p in enumerate(people)
        )
    return topic.id, people


def _send(client: TestClient, csrf: str, topic_id: int, **more: str) -> int:
    form = {
        "csrf_token": csrf,
        "topic_id": str(topic_id),
        "action": "send",
        "text_uk": "Виплати з 5 числа.",
        "text_ru": "Выплаты с 5 числа.",
        **more,
    }
    sent = client.post("/admin/announcements", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    found = re.search(r"/admin/announcements/(\d+)$", sent.headers["location"])
    assert found
    return int(found.group(1))


def _kyiv(at: datetime) -> str:
    """As an admin picks it in a `datetime-local` field, on the office's clock."""
    return at.astimezone(ZoneInfo("Europe/Kyiv")).strftime("%Y-%m-%dT%H:%M")


def _progress(client: TestClient, announcement_id: int) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/api/admin/announcements/{announcement_id}").json()
    return found


def _until(check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def _received(fake: FakeViberApi, people: list[str]) -> Counter[str]:
    wanted = set(people)
    return Counter(
        r.body["receiver"]
        for r in list(fake.delivered)
        if r.path.endswith("send_message") and r.body.get("receiver") in wanted
    )


def test_a_preview_shows_each_channel_and_language_and_saves_nothing(line: TestClient) -> None:
    csrf = log_in_admin(line)
    topic_id, _ = _topic(sessions_of(line), 3)
    form = {
        "csrf_token": csrf,
        "topic_id": str(topic_id),
        "action": "preview",
        "text_uk": "Нова допомога.",
        "text_ru": "Новая помощь.",
        "when": "now",
    }
    page = line.post("/admin/announcements?lang=uk", data=form).text
    pushing = [c.name for c in push_channels(line.app.state.parts.channels)]  # type: ignore[attr-defined]
    assert "viber" in pushing  # and Telegram, once it is a channel of the registry
    for channel in pushing:
        for lang in ("uk", "ru"):
            assert f'data-channel="{channel}" data-lang="{lang}"' in page
    footer = "Щоб відписатися від розсилок, напишіть «стоп»."
    assert f'<p class="preview-text citizen-text" lang="uk">Нова допомога.\n\n{footer}</p>' in page
    assert "Отримають: 3" in page and 'value="send"' in page
    with sessions_of(line)() as session:
        assert session.scalar(select(Announcement.id).where(Announcement.topic_id == topic_id)) is None


def test_later_means_later_and_a_cancelled_one_reaches_nobody(line: TestClient, fake_viber: FakeViberApi) -> None:
    csrf = log_in_admin(line)
    sessions = sessions_of(line)
    topic_id, people = _topic(sessions, 5)
    later = _send(line, csrf, topic_id, when="at", send_at=_kyiv(utcnow() + timedelta(hours=1)))
    cancelled = _send(line, csrf, topic_id, when="at", send_at=_kyiv(utcnow() + timedelta(hours=1)))
    assert _progress(line, later)["state"] == "scheduled"
    assert line.post(f"/admin/announcements/{cancelled}/cancel", data={"csrf_token": csrf}).status_code == 200
    with transaction(sessions) as session:  # the hour has passed
        session.execute(update(Announcement).where(Announcement.topic_id == topic_id).values(send_at=utcnow()))
    _until(lambda: _progress(line, later)["state"] == "done")
    assert _progress(line, later) | {"percent": 0} == {
        "id": later,
        "state": "done",
        "total": 5,
        "sent": 5,
        "failed": 0,
        "gone": 0,
        "waiting": 0,
        "cancelled": 0,
        "percent": 0,
    }
    assert _progress(line, cancelled)["state"] == "cancelled" and _progress(line, cancelled)["total"] == 0
    assert all(n == 1 for n in _received(fake_viber, people).values()) and len(_received(fake_viber, people)) == 5
    ru = next(r.body for r in fake_viber.delivered if r.body.get("receiver") == people[0])
    assert ru["text"] == "Выплаты с 5 числа.\n\nЧтобы отписаться от рассылок, напишите «стоп»."
    again = line.post(f"/admin/announcements/{later}/cancel?lang=uk", data={"csrf_token": csrf})
    assert again.status_code == 400 and "вже надіслано або скасовано" in again.text
    with sessions() as session:
        actions = Counter(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("announcement.%"))))
    assert actions["announcement.create"] >= 2 and actions["announcement.cancel"] >= 1
    page = line.get(f"/admin/announcements/{later}").text
    assert '<progress id="announcement-bar" max="5" value="5"' in page


def _telegram_received(fake: FakeTelegramApi, people: list[str]) -> Counter[str]:
    wanted = set(people)
    return Counter(str(c.chat_id) for c in fake.calls("sendMessage") if str(c.chat_id) in wanted)


@pytest.mark.parametrize("own_database", ["postgres"], indirect=True)  # production's store; SQLite runs the rest
def test_a_thousand_subscribers_get_it_exactly_once_across_failures_and_a_restart(
    own_database: str, redis_url: str, tmp_path: Path, fake_viber: FakeViberApi, fake_telegram: FakeTelegramApi
) -> None:
    from hotline.app import create_app

    prefix = f"test-{uuid.uuid4().hex[:8]}"
    slow = line_settings(
        own_database,
        redis_url,
        tmp_path,
        fake_viber.url,
        fake_telegram.url,
        redis_prefix=prefix,
        viber_announce_rate=150,
        # Time enough for every answer on a loaded machine: a late answer is a copy never sent again
        # (`test_a_copy_whose_answer_never_came_is_not_sent_again`), not what this test counts.
        viber_timeout_seconds=10,
        load_demo_pack=False,
    )
    with TestClient(create_app(slow), base_url=PUBLIC_URL) as first:
        sessions = sessions_of(first)
        topic_id, people = _topic(sessions, SUBSCRIBERS, prefix=uuid.uuid4().hex[:6])
        # The first copies meet trouble.
        fake_viber.fail_next(3)  # Viber down for a moment: the client tries again
        fake_viber.refuse_next(2, viber_status=6)  # two citizens have left the bot
        fake_viber.refuse_next(1, viber_status=12)  # one got 100 messages this hour without answering
        announcement_id = _send(first, log_in_admin(first), topic_id)
        _until(lambda: sum(_received(fake_viber, people).values()) >= 300)
    # The first node has stopped: the copies on their way finished, none is left claimed.
    with sessions() as session:
        states = Counter(session.scalars(select(Delivery.state).where(Delivery.announcement_id == announcement_id)))
    assert states["sending"] == 0 and states["pending"] > 0, states
    fast = slow.model_copy(update={"viber_announce_rate": 1000.0})
    with TestClient(create_app(fast), base_url=PUBLIC_URL) as second:
        log_in_admin(second)
        _until(lambda: _progress(second, announcement_id)["state"] == "done")
        progress = _progress(second, announcement_id)
    received = _received(fake_viber, people)
    assert max(received.values()) == 1  # nobody twice
    assert progress["total"] == SUBSCRIBERS and progress["sent"] == len(received) == SUBSCRIBERS - 3
    assert (progress["gone"], progress["failed"], progress["waiting"]) == (2, 1, 0)
    with sessions() as session:
        left = set(session.scalars(select(Subscription.recipient).where(Subscription.topic_id == topic_id)))
    assert len(left) == SUBSCRIBERS - 2  # those who left the bot are no longer subscribed


@pytest.mark.parametrize("own_database", ["postgres", "sqlite"], indirect=True)
def test_telegram_subscribers_get_it_once_within_its_rates_across_429_403_and_a_restart(
    own_database: str, redis_url: str, tmp_path: Path, fake_viber: FakeViberApi
) -> None:
    from hotline.app import create_app

    telegram = FakeTelegramApi(BOT_TOKEN)  # its own: the trouble scripted below is for this test's copies only
    settings = line_settings(
        own_database,
        redis_url,
        tmp_path,
        fake_viber.url,
        telegram.url,
        redis_prefix=f"test-{uuid.uuid4().hex[:8]}",
        telegram_timeout_seconds=5,
        load_demo_pack=False,
    )
    try:
        with TestClient(create_app(settings), base_url=PUBLIC_URL) as first:
            sessions = sessions_of(first)
            topic_id, people = _topic(sessions, 120, channel="telegram")
            telegram.limit_next(2, retry_after=1)  # flood control: wait what Telegram says, then the same copy
            telegram.refuse_next(2)  # two citizens have blocked the bot: 403
            telegram.refuse_next(1, code=400, description="Bad Request: message is too long")
            telegram.answer_late_next(1, seconds=7)  # delivered, but the answer never comes in time
            announcement_id = _send(first, log_in_admin(first), topic_id)
            _until(lambda: sum(_telegram_received(telegram, people).values()) >= 30)
        with sessions() as session:
            states = Counter(session.scalars(select(Delivery.state).where(Delivery.announcement_id == announcement_id)))
        assert states["sending"] == 0 and states["pending"] > 0, states
        with TestClient(create_app(settings), base_url=PUBLIC_URL) as second:
            log_in_admin(second)
            _until(lambda: _progress(second, announcement_id)["state"] == "done")
            progress = _progress(second, announcement_id)
    finally:
        telegram.close()
    received = _telegram_received(telegram, people)
    assert max(received.values()) == 1 and len(received) == 120 - 3  # nobody twice; the late copy arrived
    assert (progress["total"], progress["sent"], progress["gone"], progress["failed"]) == (120, 116, 2, 2)
    limited = [c for c in telegram.arrived if c.method == "sendMessage" and str(c.chat_id) in set(people)]
    first_try: dict[int, float] = {}
    for call in limited:
        first_try.setdefault(call.chat_id, call.at)
    retried = [c for c in limited if c.at > first_try[c.chat_id]]
    assert len(retried) == 2 and all(c.at - first_try[c.chat_id] >= 1 for c in retried)  # retry_after honoured
    with sessions() as session:
        left = set(session.scalars(select(Subscription.recipient).where(Subscription.topic_id == topic_id)))
    assert len(left) == 120 - 2  # those who blocked the bot are no longer subscribed


def test_a_copy_whose_answer_never_came_is_not_sent_again(line: TestClient, fake_viber: FakeViberApi) -> None:
    csrf = log_in_admin(line)
    topic_id, people = _topic(sessions_of(line), 3)
    fake_viber.answer_late_next(1, seconds=1.5)  # past the client's 0.5 s: it may have arrived, so it did
    announcement_id = _send(line, csrf, topic_id)
    _until(lambda: _progress(line, announcement_id)["state"] == "done")
    received = _received(fake_viber, people)
    assert set(received) == set(people) and max(received.values()) == 1
    assert (_progress(line, announcement_id)["sent"], _progress(line, announcement_id)["failed"]) == (2, 1)


def test_a_copy_a_dead_sender_was_sending_is_never_sent_again(line: TestClient, fake_viber: FakeViberApi) -> None:
    csrf = log_in_admin(line)
    sessions = sessions_of(line)
    topic_id, people = _topic(sessions, 3)
    announcement_id = _send(line, csrf, topic_id, when="at", send_at=_kyiv(utcnow() + timedelta(hours=1)))
    with transaction(sessions) as session:  # a node took it, claimed the first copy, and died before hearing back
        session.execute(update(Announcement).where(Announcement.id == announcement_id).values(state="sending"))
        session.add_all(
            Delivery(
                announcement_id=announcement_id,
                channel="viber",
                recipient=p,
                lang="uk",
                state="sending" if n == 0 else "pending",
                token=1 if n == 0 else None,
            )
            for n, p in enumerate(people)
        )
    _until(lambda: _progress(line, announcement_id)["state"] == "done")
    assert set(_received(fake_viber, people)) == set(people[1:])
    with sessions() as session:
        lost = session.scalars(select(Delivery.state).where(Delivery.recipient == people[0])).one()
    assert lost == "unknown" and _progress(line, announcement_id)["failed"] == 1
