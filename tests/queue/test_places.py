"""A messenger citizen waiting for a person is told their place again only when it changed, and not too often
(`specialist_queue.places`), with a real queue on real Redis and SQL; the channel's side records what it is given."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy.orm import Session, sessionmaker

from hotline.office_hours import QueuePolicy
from specialist_queue.desk import Desk
from specialist_queue.follow import Follow, Update, Waiting
from specialist_queue.model import OperatorState
from specialist_queue.places import Told, worth_telling
from specialist_queue.service import SpecialistQueue, Timing
from specialist_queue.store import QueueStore
from tests.queue.conftest import Office, conversation, operator


class Messenger:
    """A pushing channel's side (`follow.Listener`): what it was handed."""

    def __init__(self) -> None:
        self.pushed: list[tuple[str, Update]] = []

    async def push(self, conversation_id: str, update: Update) -> None:
        self.pushed.append((conversation_id, update))


def test_the_rule_a_change_of_place_or_a_real_change_of_the_estimate_and_not_too_soon() -> None:
    told = Told(position=3, wait_seconds=900, at=1000.0)
    assert not worth_telling(told, Told(2, 600, 1000.0 + 299), every=300)  # too soon
    assert worth_telling(told, Told(2, 600, 1300.0), every=300)  # moved up
    assert not worth_telling(told, Told(3, 960, 1300.0), every=300)  # a minute more: noise
    assert worth_telling(told, Told(3, 1200, 1300.0), every=300)  # five minutes more (fewer staff)


def test_a_waiting_messenger_citizen_hears_their_place_again_once_it_moved(
    store: QueueStore, sessions: sessionmaker[Session], office: Office, redis_url: str
) -> None:
    queue = SpecialistQueue(
        store=store,
        sessions=sessions,
        office_hours=office,
        policy=lambda: QueuePolicy(wrap_up_seconds=30, service_level_seconds=60, callback_retry_minutes=30),
        timing=Timing(offer_timeout=20, default_handling=300),
    )
    first, second, third = (conversation(sessions, channel="telegram") for _ in range(3))
    on_the_web = conversation(sessions, channel="web")  # its page shows the place live: not this way
    for conversation_id in (on_the_web, first, second):
        queue.enqueue(conversation_id, skill="subsidies", lang="uk")
    on_shift = operator(sessions, "olena-places", skills=["subsidies"])  # else the place is not what they hear
    Desk(queue, dispositions=set, release=lambda _: None).set_state(on_shift, OperatorState.AVAILABLE)

    async def run() -> tuple[list[Any], list[Any]]:
        client = aioredis.Redis.from_url(redis_url, decode_responses=True)
        often, hourly = Messenger(), Messenger()
        try:
            follow = Follow(queue, client, place_every=0)  # however soon, when it moved
            for _ in range(2):  # the first look only notes what the hand-off said; then nothing moved
                await follow.tell_places({"telegram": often})
            assert often.pushed == []
            queue.abandon(first)
            for _ in range(2):  # told once, not again while it stays
                await follow.tell_places({"telegram": often})

            queue.enqueue(third, skill="subsidies", lang="uk")
            slow = Follow(queue, client, place_every=3600)
            await slow.tell_places({"telegram": hourly})
            queue.abandon(on_the_web)  # everyone moves up, within the hour
            await slow.tell_places({"telegram": hourly})
        finally:
            await client.aclose()
        return often.pushed, hourly.pushed

    often, hourly = asyncio.run(run())
    assert [(c, u.position) for c, u in often if isinstance(u, Waiting)] == [(second, 2)] and len(often) == 1
    assert hourly == []
