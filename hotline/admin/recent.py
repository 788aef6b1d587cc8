"""Results kept for a short while in the process, so a page opened again soon costs no new work."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    """The last `size` results by key, each answered again for `seconds` after it was worked out.

    The statistics page keeps its figures here per date range and threshold: an admin going back and
    forth between ranges, adding unmatched phrases one by one (each add reloads the page) or
    exporting what is on the screen gets the same figures at once, at most a minute old.
    """

    def __init__(self, seconds: float, size: int = 16, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.size = size
        self.clock = clock
        self._kept: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, work: Callable[[], T]) -> T:
        now = self.clock()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and now - kept[0] < self.seconds:
                return kept[1]
        result = work()  # outside the lock: the work takes a while, other keys need not wait
        with self._lock:
            self._kept[key] = (now, result)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return result
