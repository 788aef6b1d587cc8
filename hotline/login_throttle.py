"""How long a login try must wait: failed logins counted in Redis (shared by every node).

Three counts, each with a few free failures and then a wait that doubles with every further failure
(capped at 15 minutes; a count is forgotten 15 minutes after its last failure):

- the username *from this address* (5 free): someone guessing one account from one place;
- the username from any address (10 free): guessing one account from many places;
- the address, whatever the username (20 free; an office behind one NAT shares an address): trying
  many accounts from one place.

While a wait runs even the right password is refused, or guessing would go on during it. An address a
user logged in from in the last 30 days is *known* for that user: from there only the first count
applies, so nobody elsewhere can lock an account, or an office, out of the place it works from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import redis

FAILURE_WINDOW_SECONDS = 15 * 60
MAX_WAIT_SECONDS = 15 * 60
KNOWN_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class _Count:
    key: str
    free: int


class LoginThrottle:
    """Counts failed logins per username and address and says how long the next try must wait."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}:login"

    def _counts(self, username: str, address: str) -> tuple[str, list[_Count]]:
        user = username.casefold()
        known = f"{self.prefix}:known:{user}:{address}"
        pair = _Count(f"{self.prefix}:pair:{user}:{address}", 5)
        return known, [pair, _Count(f"{self.prefix}:user:{user}", 10), _Count(f"{self.prefix}:ip:{address}", 20)]

    def wait_seconds(self, username: str, address: str) -> int:
        """0 when a try is allowed now; else how many seconds until it is."""
        known, counts = self._counts(username, address)
        if self.client.exists(known):
            counts = counts[:1]
        pipe = self.client.pipeline(transaction=False)
        for count in counts:
            pipe.pttl(f"{count.key}:wait")
        waits = [int(ms) for ms in pipe.execute()]
        return math.ceil(max(0, *waits) / 1000)

    def failed(self, username: str, address: str) -> None:
        """One more failure in every count (a known address's failures still count against strangers)."""
        _, counts = self._counts(username, address)
        pipe = self.client.pipeline(transaction=False)
        for count in counts:
            pipe.incr(f"{count.key}:failures")
            pipe.expire(f"{count.key}:failures", FAILURE_WINDOW_SECONDS)
        failures = pipe.execute()[::2]
        for count, failed in zip(counts, failures, strict=True):
            if int(failed) > count.free:
                wait = min(2 ** (int(failed) - count.free), MAX_WAIT_SECONDS)
                self.client.set(f"{count.key}:wait", 1, ex=wait)

    def succeeded(self, username: str, address: str) -> None:
        """The address becomes known for the user; its own count starts afresh."""
        known, counts = self._counts(username, address)
        pair = counts[0].key
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(f"{pair}:failures", f"{pair}:wait")
        pipe.set(known, 1, ex=KNOWN_SECONDS)
        pipe.execute()
