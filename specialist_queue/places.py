"""When a messenger citizen waiting for a person is told their place again (the web chat shows it live).

A messenger message pings the citizen's phone, so the place is not told on every move of the queue:

- the hand-off's answer tells it first (`channels.chat.messenger`); the first look here only notes it;
- after that, at most once in `every` seconds (`HOTLINE_QUEUE_PLACE_EVERY_SECONDS`, 5 minutes), and only
  when it changed meaningfully: another place in line, or an estimate at least `WAIT_STEP` away from the one
  told (a minute either way is noise);
- never while the place is unknown or nobody on shift may take the conversation (the hand-off said so).

What was told is kept in Redis (`keys.told_place`); one node looks (`Follow`, lease `queue-places`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import redis.asyncio as aioredis

from specialist_queue import keys

EVERY = 300.0  # seconds between two places told to one citizen, at least
WAIT_STEP = 300  # seconds an estimate must move to be worth a message of its own


@dataclass(frozen=True)
class Told:
    position: int
    wait_seconds: int
    at: float  # epoch seconds


def worth_telling(told: Told, now: Told, *, every: float) -> bool:
    """Whether the place `now` is worth a message after `told` (see the module's rules)."""
    if now.at - told.at < every:
        return False
    return now.position != told.position or abs(now.wait_seconds - told.wait_seconds) >= WAIT_STEP


class PlacesTold:
    """What each waiting messenger conversation was last told of its place, in Redis."""

    def __init__(self, client: aioredis.Redis, prefix: str, *, every: float = EVERY) -> None:
        self.client = client
        self.prefix = prefix
        self.every = every

    async def due(self, conversation_id: str, now: Told) -> bool:
        """Whether to tell `now`: True is remembered as told. The first look only remembers (the hand-off told it)."""
        key = keys.told_place(self.prefix, conversation_id)
        kept = await self.client.get(key)
        if kept is not None and not worth_telling(Told(**json.loads(kept)), now, every=self.every):
            return False
        await self.client.set(key, json.dumps(asdict(now)), ex=keys.PUSHED_SECONDS)
        return kept is not None
