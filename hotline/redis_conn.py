"""The Redis connection: the configured server, or the embedded one (`hotline.embedded_redis`) by default."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import redis

from hotline.embedded_redis import EmbeddedRedis


@dataclass
class RedisHandle:
    """A client plus, for the embedded default, the server this service runs and stops."""

    client: redis.Redis
    url: str
    embedded: EmbeddedRedis | None = None

    def close(self) -> None:
        self.client.close()
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def connect(url: str, data_dir: Path) -> RedisHandle:
    """Connect to `url`, or start the embedded server whose data lives in `data_dir`."""
    if url:
        return RedisHandle(client=redis.Redis.from_url(url, decode_responses=True), url=url)
    server = EmbeddedRedis.start(data_dir)
    client = redis.Redis(unix_socket_path=str(server.socket), decode_responses=True)
    return RedisHandle(client=client, url=server.url, embedded=server)
