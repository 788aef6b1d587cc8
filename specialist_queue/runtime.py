"""The specialist queue's parts, built once in the app's lifespan, and its periodic tick (on one node at a time)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from channels.dialogue import Dialogue, NoPublishedTree
from hotline.leases import Lease, Periodic
from hotline.office_hours import OfficeHours, QueuePolicy
from hotline.redis_conn import RedisHandle
from hotline.settings import Settings
from specialist_queue.desk import Desk
from specialist_queue.follow import Connector, Follow
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
    follow: Follow  # the channels' way of following a conversation (`specialist_queue.follow`)
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
        await self.follow.aclose()
        await self.live_redis.aclose()


def build(
    settings: Settings,
    sessions: sessionmaker[Session],
    redis: RedisHandle,
    dialogue: Dialogue,
    office_hours: Callable[[], OfficeHours],
    policy: Callable[[], QueuePolicy],
    connectors: Mapping[str, Connector] | None = None,
) -> Specialists:
    """The queue, the operators' desk and the live-update client; the handoff listener is registered.

    `connectors`: channel name → how an accepted conversation of that channel reaches the specialist,
    where not by chat (`channels.registry.Channels.connectors`)."""
    queue = SpecialistQueue(
        store=QueueStore(redis.client, settings.redis_prefix, replicas=redis.replicas),
        sessions=sessions,
        office_hours=office_hours,
        policy=policy,
        timing=Timing(
            offer_timeout=settings.queue_offer_timeout_seconds,
            default_handling=settings.queue_default_handling_seconds,
        ),
        connectors=connectors,
        pending=dialogue.pending,  # the dialogue's turns and the queue's events wait in one log, in order
    )
    dialogue.handoff_listeners.append(queue.on_handoff)
    dialogue.callback_listeners.append(queue.on_callback)
    dialogue.message_listeners.append(queue.on_message)
    if dialogue.office is not None:
        dialogue.office.unserved = queue.unserved  # who is on shift counts in the office's rules

    def dispositions() -> set[str]:
        try:
            compiled = dialogue.trees.get(dialogue.trees.current_version())
        except NoPublishedTree:
            return set()
        return {node.slug for node in compiled.tree.intents()}

    if not queue.store.is_alive():
        queue.rebuild()  # Redis is new or lost its data: the SQL queue log knows who was waiting
    else:
        queue.messages.prime()
    ticker = None
    if settings.queue_tick_seconds > 0:
        # One node ticks (expires offers and wrap-ups, promotes due callbacks, offers); another takes over if it dies.
        lease = Lease(redis.client, "queue-tick", prefix=settings.redis_prefix, ttl=settings.lease_seconds)
        ticker = Periodic(lease, lambda _: to_thread.run_sync(queue.tick), every=settings.queue_tick_seconds)
    live_redis = redis.async_client()
    place_lease = None
    if settings.queue_place_every_seconds > 0:
        place_lease = Lease(redis.client, "queue-places", prefix=settings.redis_prefix, ttl=settings.lease_seconds)
    return Specialists(
        queue=queue,
        desk=Desk(queue, dispositions=dispositions, release=dialogue.release),
        figures=FiguresCache(queue),
        live_redis=live_redis,
        follow=Follow(queue, live_redis, place_lease=place_lease, place_every=settings.queue_place_every_seconds),
        ticker=ticker,
    )
