"""The specialist queue's parts, built once in the app's lifespan, and its periodic tick (on one node at a time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from channels.dialogue import Dialogue, NoPublishedTree
from hotline.leases import Lease, Periodic
from hotline.office_hours import OfficeHours, QueuePolicy
from hotline.redis_conn import RedisHandle
from hotline.settings import Settings
from ivr.twilio_rest import TwilioRest
from specialist_queue.desk import Desk
from specialist_queue.live import FiguresCache
from specialist_queue.service import SpecialistQueue, Timing
from specialist_queue.store import QueueStore
from specialist_queue.wallboard import WallboardCache


@dataclass
class Specialists:
    queue: SpecialistQueue
    desk: Desk
    figures: FiguresCache
    live_redis: aioredis.Redis
    twilio: TwilioRest | None
    ticker: Periodic | None = None
    wallboard: WallboardCache = field(init=False)

    def __post_init__(self) -> None:
        self.wallboard = WallboardCache(self.queue)

    def start(self) -> None:
        """Start the periodic tick in the running event loop (unless HOTLINE_QUEUE_TICK_SECONDS is 0)."""
        if self.ticker is not None:
            self.ticker.start()

    async def aclose(self) -> None:
        if self.ticker is not None:
            await self.ticker.aclose()
        await self.live_redis.aclose()
        if self.twilio is not None:
            await self.twilio.aclose()


def build(
    settings: Settings,
    sessions: sessionmaker[Session],
    redis: RedisHandle,
    dialogue: Dialogue,
    office_hours: Callable[[], OfficeHours],
    policy: Callable[[], QueuePolicy],
) -> Specialists:
    """The queue, the operators' desk and the live-update client; the handoff listener is registered."""
    queue = SpecialistQueue(
        store=QueueStore(redis.client, settings.redis_prefix, replicas=redis.replicas),
        sessions=sessions,
        office_hours=office_hours,
        policy=policy,
        timing=Timing(
            offer_timeout=settings.queue_offer_timeout_seconds,
            default_handling=settings.queue_default_handling_seconds,
        ),
    )
    dialogue.handoff_listeners.append(queue.on_handoff)
    token = settings.twilio_auth_token.get_secret_value()
    twilio = None
    if settings.twilio_account_sid and token:
        twilio = TwilioRest(account_sid=settings.twilio_account_sid, auth_token=token, base_url=settings.twilio_api_url)

    def dispositions() -> set[str]:
        try:
            compiled = dialogue.trees.get(dialogue.trees.current_version())
        except NoPublishedTree:
            return set()
        return {node.slug for node in compiled.tree.intents()}

    if not queue.store.is_alive():
        queue.rebuild()  # Redis is new or lost its data: the SQL queue log knows who was waiting
    ticker = None
    if settings.queue_tick_seconds > 0:
        # One node ticks (expires offers and wrap-ups, promotes due callbacks, offers); another takes over if it dies.
        lease = Lease(redis.client, "queue-tick", prefix=settings.redis_prefix, ttl=settings.lease_seconds)
        ticker = Periodic(lease, lambda _: to_thread.run_sync(queue.tick), every=settings.queue_tick_seconds)
    return Specialists(
        queue=queue,
        desk=Desk(queue, twilio=twilio, dispositions=dispositions, release=dialogue.release),
        figures=FiguresCache(queue),
        live_redis=redis.async_client(),
        twilio=twilio,
        ticker=ticker,
    )
