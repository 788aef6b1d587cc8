"""The Viber channel as the app builds it once in its lifespan, and closes at shutdown."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import redis.asyncio as aioredis
from sqlalchemy.orm import Session, sessionmaker

from channels.dialogue import Dialogue
from channels.viber.client import Retry, ViberApi, make_http
from channels.viber.flows import ViberFlows
from channels.viber.outbox import Outbox
from channels.viber.relay import ViberRelay
from channels.viber.wire import Look
from hotline.redis_conn import RedisHandle
from hotline.settings import Settings
from specialist_queue.service import SpecialistQueue


@dataclass
class ViberLine:
    token: str
    flows: ViberFlows
    outbox: Outbox
    relay: ViberRelay
    http: httpx.AsyncClient
    redis: aioredis.Redis

    async def aclose(self) -> None:
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
        prefix=settings.redis_prefix,
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
    return ViberLine(token=token, flows=flows, outbox=outbox, relay=relay, http=http, redis=async_redis)
