"""What the app's lifespan makes once: the registry's HTTP client, and the worker's tasks that run requests
(woken on this node, and polling on the one node that holds the `registry-jobs` lease)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import timedelta

import httpx
import redis
from sqlalchemy.orm import Session, sessionmaker

from hotline.leases import Lease, Periodic
from hotline.secrets import session_key
from hotline.settings import Settings
from registry_client.client import ClientConfig, RegistryClient, make_http_client
from registry_client.states import RetryPolicy
from registry_client.worker import Worker


@dataclass
class Registry:
    """The registry part of the app; `client` is None when no registry URL is configured."""

    client: RegistryClient | None
    worker: Worker | None
    http: httpx.AsyncClient | None = None
    task: asyncio.Task[None] | None = None
    poller: Periodic | None = None

    def wake(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    async def aclose(self) -> None:
        if self.poller is not None:
            await self.poller.aclose()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.http is not None:
            await self.http.aclose()


def client_config(settings: Settings) -> ClientConfig:
    return ClientConfig(
        url=settings.registry_url,
        client_id=settings.registry_client_id,
        service_id=settings.registry_service_id,
        header_prefix=settings.registry_header_prefix,
        purpose_id=settings.registry_purpose_id,
        connect_timeout=settings.registry_connect_timeout_seconds,
        read_timeout=settings.registry_read_timeout_seconds,
        attempts=settings.registry_attempts,
        backoff_seconds=settings.registry_backoff_seconds,
        circuit_threshold=settings.registry_circuit_threshold,
        circuit_reset_seconds=settings.registry_circuit_reset_seconds,
        cert_file=settings.registry_client_cert,
        key_file=settings.registry_client_key,
        ca_file=settings.registry_ca_cert,
    )


def lease_for(config: ClientConfig) -> timedelta:
    """Longer than the longest a run can take (every attempt timing out, plus backoff), with a margin."""
    per_attempt = config.connect_timeout + config.read_timeout + config.backoff_seconds * 8
    return timedelta(seconds=config.attempts * per_attempt + 30)


def start(settings: Settings, sessions: sessionmaker[Session], redis_client: redis.Redis) -> Registry:
    """Make the client and start the worker (call inside the running event loop)."""
    if not settings.registry_url:
        return Registry(client=None, worker=None)
    config = client_config(settings)
    http = make_http_client(config)
    client = RegistryClient(http, config)
    policy = RetryPolicy(
        base_seconds=settings.registry_retry_seconds,
        deadline=timedelta(hours=settings.registry_deadline_hours),
    )
    worker = Worker(
        sessions,
        client,
        audit_key=session_key(settings.secret_key.get_secret_value(), settings.data_dir),
        policy=policy,
        lease=lease_for(config),
    )
    registry = Registry(client=client, worker=worker, http=http)
    if settings.registry_poll_seconds > 0:
        registry.task = asyncio.get_running_loop().create_task(worker.run_when_woken(), name="registry-worker")
        lease = Lease(redis_client, "registry-jobs", prefix=settings.redis_prefix, ttl=settings.lease_seconds)
        registry.poller = Periodic(lease, lambda _: worker.drain(), every=settings.registry_poll_seconds)
        registry.poller.start()
    return registry
