"""The Viber channel as the app builds it once in its lifespan, and closes at shutdown."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
import redis.asyncio as aioredis
from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from channels.chat.kept import Replaying
from channels.dialogue import Dialogue
from channels.viber import keys
from channels.viber.client import Retry, ViberApi, make_http
from channels.viber.flows import Handled, ViberFlows
from channels.viber.outage import Deferred
from channels.viber.outbox import Outbox
from channels.viber.relay import ViberRelay
from channels.viber.wire import Event, Look
from hotline.db import UNREACHABLE
from hotline.leases import Holding, Lease
from hotline.redis_conn import RedisHandle
from hotline.settings import Settings
from specialist_queue.service import SpecialistQueue

log = logging.getLogger(__name__)
REPLAY_SECONDS = 2.0


@dataclass
class ViberLine:
    token: str
    flows: ViberFlows
    outbox: Outbox
    relay: ViberRelay
    http: httpx.AsyncClient
    redis: aioredis.Redis
    deferred: Deferred  # callbacks kept while the database is unreachable
    replaying: Replaying | None = None  # the kept callbacks, handed back once the database is back, on one node

    def take(self, body: bytes, event: Event) -> Handled:
        """Handle a callback (from Redis alone while the database is unreachable: the robot answers, a person is
        asked for), or keep it for later when it needs the database (and while one of the citizen's messages waits:
        their messages are answered in the order they came)."""
        if self.deferred.holds(event):  # asks Redis only while some are kept
            return self.deferred.keep(body, event)
        try:
            return self.flows.handle(event)
        except UNREACHABLE:
            log.warning("the database is unreachable: a Viber %s callback kept for later", event.event)
            return self.deferred.keep(body, event)

    async def replay(self, _: Holding) -> None:
        if await to_thread.run_sync(self.flows.behind_pending_log):
            return
        try:
            outgoing = await to_thread.run_sync(self.deferred.replay, self.flows)
        except UNREACHABLE:
            return  # still away: the next round tries again
        await self.outbox.deliver(outgoing)

    async def aclose(self) -> None:
        if self.replaying is not None:
            await self.replaying.aclose()
        await self.http.aclose()
        await self.redis.aclose()


def api_for(settings: Settings, http: httpx.AsyncClient) -> ViberApi:
    retry = Retry(attempts=settings.viber_send_attempts, first_delay=settings.viber_retry_seconds)
    return ViberApi(http, base_url=settings.viber_api_url, retry=retry)


def open_line(
    settings: Settings,
    *,
    redis: RedisHandle,
    sessions: sessionmaker[Session],
    dialogue: Dialogue,
    queue: SpecialistQueue | None = None,
) -> ViberLine:
    """Everything the webhook and the relay share; call it from the running event loop (the lifespan)."""
    token = settings.viber_auth_token.get_secret_value()
    flows = ViberFlows(
        dialogue=dialogue,
        sessions=sessions,
        redis_client=redis.client,
        keys=keys.of(settings.redis_prefix),
        ttl_seconds=settings.conversation_ttl_seconds,
        look=Look(name=settings.viber_bot_name, avatar=settings.viber_bot_avatar),
        queue=queue,
    )
    http = make_http(token, settings.viber_timeout_seconds)
    async_redis = redis.async_client()
    outbox = Outbox(
        async_redis,
        api_for(settings, http),
        prefix=settings.redis_prefix,
        limit=settings.viber_unanswered_limit,
        record=flows.record_outcome,
    )
    relay = ViberRelay(flows, outbox, asyncio.get_running_loop())
    lease = Lease(redis.client, "viber-deferred", prefix=settings.redis_prefix, ttl=settings.lease_seconds)
    line = ViberLine(
        token=token,
        flows=flows,
        outbox=outbox,
        relay=relay,
        http=http,
        redis=async_redis,
        deferred=Deferred(redis.client, settings.redis_prefix, flows.look),
    )
    line.replaying = Replaying(line.deferred.kept, lease, line.replay, every=REPLAY_SECONDS, name="viber")
    return line
