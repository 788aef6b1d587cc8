"""One asyncio lock per key (a user, a conversation), taken in the order asked and forgotten once free."""

from __future__ import annotations

import asyncio


class KeyedLocks:
    def __init__(self) -> None:
        self._held: dict[str, tuple[asyncio.Lock, int]] = {}

    def __call__(self, key: str) -> _Turn:
        return _Turn(self._held, key)


class _Turn:
    def __init__(self, held: dict[str, tuple[asyncio.Lock, int]], key: str) -> None:
        self.held = held
        self.key = key

    async def __aenter__(self) -> None:
        lock, count = self.held.get(self.key) or (asyncio.Lock(), 0)
        self.held[self.key] = (lock, count + 1)
        await lock.acquire()

    async def __aexit__(self, *_: object) -> None:
        lock, count = self.held[self.key]
        lock.release()
        if count <= 1:
            del self.held[self.key]
        else:
            self.held[self.key] = (lock, count - 1)
