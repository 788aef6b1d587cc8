"""A certificate request's states and what a run's outcome moves it to (pure: no I/O, no clock).

```
pending ──run──> ready | not_found | ambiguous | needs_update | refused
   │                     ^
   └─registry unavailable─> retrying ──run── (same arrows) ──> … ──deadline──> expired
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from registry_client import errors


class JobState(StrEnum):
    PENDING = "pending"
    RETRYING = "retrying"
    READY = "ready"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    NEEDS_UPDATE = "needs_update"
    REFUSED = "refused"
    EXPIRED = "expired"


ACTIVE = frozenset({JobState.PENDING, JobState.RETRYING})

_FINAL_ERRORS: tuple[tuple[type[errors.RegistryError], JobState], ...] = (
    (errors.PersonNotFound, JobState.NOT_FOUND),
    (errors.AmbiguousMatch, JobState.AMBIGUOUS),
    (errors.NeedsActualization, JobState.NEEDS_UPDATE),
    (errors.Refused, JobState.REFUSED),
)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between runs while the registry is unavailable, and when to stop trying."""

    base_seconds: float = 30.0
    max_seconds: float = 15 * 60.0
    deadline: timedelta = timedelta(hours=24)

    def delay(self, attempts: int, jitter: float = 1.0) -> timedelta:
        """Doubling after each failed run, capped; `jitter` (around 1) spreads jobs that failed together."""
        seconds = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return timedelta(seconds=seconds * jitter)


@dataclass(frozen=True)
class Next:
    state: JobState
    error_code: str | None = None
    next_attempt_at: datetime | None = None
    counts_as_attempt: bool = True


def after_run(
    outcome: errors.RegistryError | None,
    *,
    attempts: int,
    created_at: datetime,
    now: datetime,
    policy: RetryPolicy,
    jitter: float = 1.0,
) -> Next:
    """The job's next state after a run with `outcome` (None: a certificate came); `attempts` includes this run."""
    if outcome is None:
        return Next(JobState.READY)
    for kind, state in _FINAL_ERRORS:
        if isinstance(outcome, kind):
            return Next(state, outcome.code)
    # Unavailable: try again later. A paused circuit sent nothing, so that run is not counted.
    counted = not isinstance(outcome, errors.CircuitOpen)
    due = now + policy.delay(attempts if counted else 1, jitter)
    if due > created_at + policy.deadline:
        return Next(JobState.EXPIRED, outcome.code)
    return Next(JobState.RETRYING, outcome.code, due, counts_as_attempt=counted)
