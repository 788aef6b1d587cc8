"""Live queue figures: pure arithmetic over what Redis and the queue log hold. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from specialist_queue.model import Operator, OperatorState

# Taking conversations (a paused or offline operator takes none).
WORKING = (OperatorState.AVAILABLE, OperatorState.BUSY, OperatorState.WRAP_UP)


@dataclass(frozen=True)
class QueueFigures:
    queue: str
    waiting: int  # those on offer too: they wait for an operator's answer
    offered: int  # of `waiting`, on offer now
    longest_wait: float  # seconds the longest-waiting conversation has waited, 0 with none
    estimated_wait: int  # seconds a conversation joining now would wait
    staffed: int  # operators serving this queue who are not paused or offline
    available: int
    answered: int  # today
    service_level: float | None  # share answered within the threshold, None before the first
    abandoned: int  # today
    unserved_since: float | None = None  # nobody on shift may take its waiting conversations, since then


@dataclass(frozen=True)
class Line:
    """A queue's line now."""

    waiting: int  # those on offer too
    offered: int
    came: list[float]  # when the oldest of each priority class, and each on offer, came
    unserved_since: float | None


def average_handling(recent: Sequence[float], default: float) -> float:
    """The mean of the recent handling times, or `default` while there are none."""
    return sum(recent) / len(recent) if recent else default


def estimated_wait(position: int, recent: Sequence[float], staffed: int, default: float) -> int:
    """Seconds until a conversation at `position` is answered: the ones ahead, shared by the staff.

    With nobody staffed the estimate assumes one specialist, so a citizen still hears a figure.
    """
    return round(max(0, position) * average_handling(recent, default) / max(1, staffed))


def wait_minutes(seconds: int) -> int:
    """An estimated wait as citizens are told it on every channel: whole minutes, rounded up, never
    under one ('about 0 minutes' helps nobody)."""
    return max(1, -(-seconds // 60))


def service_level(answered_waits: Sequence[float], abandoned_waits: Sequence[float], threshold: float) -> float | None:
    """Answered within `threshold` over all answered plus those abandoned after it (the usual rule:
    someone who gave up quickly is not counted against the line)."""
    counted = len(answered_waits) + sum(1 for w in abandoned_waits if w > threshold)
    if counted == 0:
        return None
    return sum(1 for w in answered_waits if w <= threshold) / counted


def longest_wait(enqueued: Sequence[float], now: float) -> float:
    return max((now - t for t in enqueued), default=0.0)


def unserved_since(queue: str, operators: Sequence[Operator], *, oldest: float, emergency: bool) -> float | None:
    """Since when nobody on shift may take a queue's waiting conversations (none serves its skill and language,
    or all who do are paused or offline); None while someone may. `oldest`: when the longest-waiting one
    came; `emergency`: one of them is, so any operator speaking the language may take it."""
    lang = queue.rsplit(":", 1)[1]
    eligible = [op for op in operators if op.serves(queue) or (emergency and (not op.langs or lang in op.langs))]
    if any(op.state in WORKING for op in eligible):
        return None
    return max([oldest, *(op.since for op in eligible if op.since is not None)])
