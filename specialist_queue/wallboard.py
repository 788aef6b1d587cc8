"""The supervisor's wallboard: every queue's live figures with the alarms the admins' thresholds raise, and
every operator on the line (state and since when, the offer or conversation in hand, today's handled count
and average handling time).

Built at most once a second per process however many supervisors watch (`WallboardCache`); the operators'
day is read from the SQL queue log (`closed` events since midnight in the office's time zone).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from anyio import to_thread
from sqlalchemy import select

from hotline.office_hours import QueuePolicy
from hotline.queue_log import QueueEvent, QueueEventKind
from specialist_queue.events import at
from specialist_queue.figures import QueueFigures
from specialist_queue.model import Entry, Operator, OperatorState
from specialist_queue.service import SpecialistQueue

MISSED_OFFER = "missed_offer"
# Busy first, then the rest as a supervisor scans for who can take work.
ORDER = {
    OperatorState.BUSY: 0,
    OperatorState.WRAP_UP: 1,
    OperatorState.AVAILABLE: 2,
    OperatorState.PAUSED: 3,
    OperatorState.OFFLINE: 4,
}


@dataclass(frozen=True)
class Day:
    handled: int
    average_handling: float | None


def alarms(figures: QueueFigures, policy: QueuePolicy) -> list[str]:
    """Which of the admins' thresholds a queue crosses now (and whether nobody on shift may take it)."""
    found = []
    if figures.unserved_since is not None:
        found.append("unserved")
    if figures.waiting > policy.alert_waiting:
        found.append("waiting")
    if figures.waiting and figures.longest_wait > policy.alert_wait_seconds:
        found.append("longest")
    if figures.service_level is not None and figures.service_level * 100 < policy.alert_service_level_percent:
        found.append("service_level")
    return found


def build(queue: SpecialistQueue, *, now: float | None = None) -> dict[str, Any]:
    """The wallboard as JSON: thresholds, queues with their alarms, operators with their day."""
    now = queue.now(now)
    policy = queue.policy()
    day = operators_day(queue, now)
    operators = sorted(queue.store.operators(), key=lambda op: (ORDER[op.state], op.name, op.id))
    return {
        "now": now,
        "thresholds": {
            "waiting": policy.alert_waiting,
            "wait_seconds": policy.alert_wait_seconds,
            "service_level_percent": policy.alert_service_level_percent,
        },
        "queues": [{**asdict(f), "alarms": alarms(f, policy)} for f in queue.figures(now=now)],
        "operators": [_operator(queue, op, day.get(op.id), now) for op in operators if _shown(op, day)],
    }


def _shown(op: Operator, day: dict[int, Day]) -> bool:
    """On the line now, or worked today."""
    return op.state is not OperatorState.OFFLINE or op.id in day


def _operator(queue: SpecialistQueue, op: Operator, day: Day | None, now: float) -> dict[str, Any]:
    offer = queue.store.entry(op.offer) if op.offer else None
    held = [e for e in map(queue.store.entry, op.conversations) if e is not None]
    return {
        "id": op.id,
        "name": op.name,
        "state": op.state.value,
        "reason": op.reason,
        "since": op.since,
        "alarm": MISSED_OFFER if op.state is OperatorState.PAUSED and op.reason == MISSED_OFFER else None,
        "offer": _conversation(offer, now) if offer and offer.operator == op.id else None,
        "conversations": [_conversation(e, now) for e in sorted(held, key=lambda e: e.connected or 0)],
        "handled": day.handled if day else 0,
        "average_handling": day.average_handling if day else None,
    }


def _conversation(entry: Entry, now: float) -> dict[str, Any]:
    return {
        "conversation_id": entry.conversation_id,
        "queue": entry.queue,
        "channel": entry.channel,
        "kind": entry.kind.value,
        "priority": entry.priority,
        "since": entry.connected or entry.enqueued,
        "deadline": entry.deadline,
    }


def operators_day(queue: SpecialistQueue, now: float) -> dict[int, Day]:
    """Each operator's conversations closed since midnight (office time) and their average handling time."""
    zone = ZoneInfo(queue.office_hours().timezone)
    midnight = datetime.combine(at(now).astimezone(zone).date(), datetime.min.time(), zone).astimezone(UTC)
    query = select(QueueEvent.operator_id, QueueEvent.data).where(
        QueueEvent.at >= midnight, QueueEvent.event == QueueEventKind.CLOSED.value, QueueEvent.operator_id.is_not(None)
    )
    handled: dict[int, list[float]] = defaultdict(list)
    with queue.sessions() as session:
        for operator_id, data in session.execute(query):
            handled[int(operator_id)].append(float((data or {}).get("handled") or 0))
    return {op: Day(len(times), round(sum(times) / len(times), 1)) for op, times in handled.items()}


class WallboardCache:
    """The wallboard built at most once a second per process, however many supervisors watch."""

    def __init__(self, queue: SpecialistQueue, max_age: float = 1.0) -> None:
        self.queue = queue
        self.max_age = max_age
        self._at = -1.0
        self._value: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    async def get(self) -> dict[str, Any]:
        async with self._lock:
            if time.monotonic() - self._at > self.max_age:
                self._value = await to_thread.run_sync(build, self.queue)
                self._at = time.monotonic()
            return self._value
