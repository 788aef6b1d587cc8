"""Who is on shift now: the operators by state, as the admin overview and the wallboard count them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from specialist_queue.model import Operator, OperatorState
from specialist_queue.service import SpecialistQueue

# On shift: logged in to the line, whether free, talking, wrapping up or on a break.
ON_SHIFT = (OperatorState.AVAILABLE, OperatorState.BUSY, OperatorState.WRAP_UP, OperatorState.PAUSED)


@dataclass(frozen=True)
class Shift:
    available: int = 0
    busy: int = 0
    wrap_up: int = 0
    paused: int = 0

    @property
    def on_shift(self) -> int:
        return self.available + self.busy + self.wrap_up + self.paused

    @property
    def working(self) -> int:
        """Taking conversations: free, talking or wrapping up (not on a break)."""
        return self.available + self.busy + self.wrap_up


def count(operators: list[Operator]) -> Shift:
    found = Counter(op.state for op in operators if op.state in ON_SHIFT)
    return Shift(**{state.value: found[state] for state in ON_SHIFT})


def now(queue: SpecialistQueue | None) -> Shift:
    """The line's operators by state now (none when the queue is not running)."""
    return count(queue.store.operators()) if queue else Shift()
