"""The request state machine: what each outcome leads to, backoff and the deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from registry_client import errors
from registry_client.states import JobState, RetryPolicy, after_run

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POLICY = RetryPolicy(base_seconds=30, max_seconds=600, deadline=timedelta(hours=1))


@pytest.mark.parametrize(
    ("outcome", "state"),
    [
        (None, JobState.READY),
        (errors.PersonNotFound(), JobState.NOT_FOUND),
        (errors.AmbiguousMatch(matches=2), JobState.AMBIGUOUS),
        (errors.NeedsActualization(), JobState.NEEDS_UPDATE),
        (errors.AccessDenied(), JobState.REFUSED),
        (errors.InvalidRequest(), JobState.REFUSED),
    ],
)
def test_answers_end_the_request(outcome: errors.RegistryError | None, state: JobState) -> None:
    step = after_run(outcome, attempts=1, created_at=T0, now=T0, policy=POLICY)
    assert step.state is state
    assert step.next_attempt_at is None


@pytest.mark.parametrize(
    "outcome",
    [errors.RegistryTimeout(), errors.RegistryServerError(), errors.MalformedResponse(), errors.GatewayError()],
)
def test_an_unavailable_registry_means_retry_later_with_doubling_waits(outcome: errors.RegistryError) -> None:
    first = after_run(outcome, attempts=1, created_at=T0, now=T0, policy=POLICY)
    third = after_run(outcome, attempts=3, created_at=T0, now=T0, policy=POLICY)
    assert first.state is third.state is JobState.RETRYING
    assert first.error_code == outcome.code
    assert first.next_attempt_at == T0 + timedelta(seconds=30)
    assert third.next_attempt_at == T0 + timedelta(seconds=120)
    assert first.counts_as_attempt


def test_waits_are_capped() -> None:
    step = after_run(errors.RegistryTimeout(), attempts=20, created_at=T0, now=T0, policy=POLICY)
    assert step.next_attempt_at == T0 + timedelta(seconds=600)


def test_a_paused_circuit_sent_nothing_so_the_run_does_not_count() -> None:
    step = after_run(errors.CircuitOpen(), attempts=5, created_at=T0, now=T0, policy=POLICY)
    assert step.state is JobState.RETRYING
    assert not step.counts_as_attempt
    assert step.next_attempt_at == T0 + timedelta(seconds=30)


def test_past_the_deadline_the_request_expires() -> None:
    late = T0 + timedelta(minutes=59, seconds=50)
    step = after_run(errors.RegistryServerError(), attempts=4, created_at=T0, now=late, policy=POLICY)
    assert step.state is JobState.EXPIRED
    assert step.error_code == "SERVER_ERROR"
