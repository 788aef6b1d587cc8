"""The background worker that runs certificate requests, so no page or webhook ever waits on the registry.

Jobs live in SQL. A worker claims a due job by compare-and-set on its lease, calls the registry
outside any transaction, and records the outcome only if it still holds the lease. Several app
processes may run workers side by side: none runs a job another holds, and a job whose worker died
is taken again once its lease runs out. A repeated call carries the same idempotency key, so the
registry forms one certificate per request however often we ask.

Due jobs are looked for every `HOTLINE_REGISTRY_POLL_SECONDS` by the one node holding the
`registry-jobs` lease (`hotline.leases`, see `runtime`), and at once on the node where a request was
just made (`wake`). The SQL lease, not the Redis one, is what keeps a job from running twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction, utcnow
from hotline.users import User
from registry_client import errors
from registry_client.client import Answer, CallContext, RegistryClient, Trace
from registry_client.identifiers import IdKind, fingerprint, mask
from registry_client.models import Case, Certificate, RegistryAudit, RegistryJob
from registry_client.service import as_utc
from registry_client.states import ACTIVE, JobState, RetryPolicy, after_run
from registry_client.wire import ExtractRequest, Subject

log = logging.getLogger(__name__)
_ACTIVE = [state.value for state in ACTIVE]


@dataclass(frozen=True)
class Ticket:
    """A claimed job: what the call needs, read once when it was claimed."""

    job_id: int
    case_id: int
    case_number: str
    requested_by: int
    username: str
    purpose: str
    subject: Subject
    idempotency_key: str
    attempts: int
    created_at: datetime


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: RegistryClient,
        *,
        audit_key: str,
        policy: RetryPolicy,
        lease: timedelta,
        batch: int = 4,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.audit_key = audit_key
        self.policy = policy
        self.lease = lease
        self.batch = batch
        self.owner = uuid4().hex
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due jobs now (a request was just made) instead of at the next poll."""
        self._wake.set()

    async def run_when_woken(self) -> None:
        """Run the due jobs whenever this node is woken (a request was just made here), until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.drain()

    async def drain(self) -> None:
        """Run rounds until no job is due; a failed round (a database hiccup) ends this drain, not the worker."""
        while True:
            try:
                if not await self.run_once():
                    return
            except Exception:
                log.exception("registry worker: a round failed; trying again at the next poll")
                return

    async def run_once(self) -> int:
        """Claim the due jobs (up to a batch), run them side by side, and say how many ran."""
        tickets = await asyncio.to_thread(self._claim, utcnow())
        await asyncio.gather(*(self._run(ticket) for ticket in tickets))
        return len(tickets)

    def _claim(self, now: datetime) -> list[Ticket]:
        free = or_(RegistryJob.lease_until.is_(None), RegistryJob.lease_until < now)
        with self.sessions() as session:
            due = session.scalars(
                select(RegistryJob.id)
                .where(RegistryJob.state.in_(_ACTIVE), RegistryJob.next_attempt_at <= now, free)
                .order_by(RegistryJob.next_attempt_at)
                .limit(self.batch)
            ).all()
        tickets = []
        for job_id in due:
            with transaction(self.sessions) as session:
                taken = session.execute(
                    update(RegistryJob)
                    .where(RegistryJob.id == job_id, RegistryJob.state.in_(_ACTIVE), free)
                    .values(lease_owner=self.owner, lease_until=now + self.lease)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    tickets.append(_ticket(session, job_id))
        return tickets

    async def _run(self, ticket: Ticket) -> None:
        trace = Trace()
        context = CallContext(user_id=ticket.username, issue=ticket.case_number, idempotency_key=ticket.idempotency_key)
        request = ExtractRequest(subject=ticket.subject, purpose=ticket.purpose)
        outcome: Answer | errors.RegistryError
        try:
            outcome = await self.client.fetch_extract(request, context, trace)
        except errors.RegistryError as exc:
            outcome = exc
        kept = await asyncio.to_thread(self._finish, ticket, outcome, trace)
        result = "ready" if isinstance(outcome, Answer) else outcome.code
        log.info(
            "registry job %s (case %s): %s%s", ticket.job_id, ticket.case_id, result, "" if kept else ", lease lost"
        )

    def _finish(self, ticket: Ticket, outcome: Answer | errors.RegistryError, trace: Trace) -> bool:
        """Record the outcome; the audit row is written even when another worker has taken the job over."""
        now = utcnow()
        error = None if isinstance(outcome, Answer) else outcome
        attempts = ticket.attempts + 1
        step = after_run(
            error,
            attempts=attempts,
            created_at=ticket.created_at,
            now=now,
            policy=self.policy,
            jitter=random.uniform(0.8, 1.2),
        )
        with transaction(self.sessions) as session:
            if trace.message_ids:
                session.add(self._audit_row(ticket, outcome, trace))
            values: dict[str, Any] = {
                "state": step.state.value,
                "error_code": step.error_code,
                "lease_owner": None,
                "lease_until": None,
                "next_attempt_at": step.next_attempt_at or now,
                "finished_at": None if step.state in ACTIVE else now,
            }
            if step.counts_as_attempt:
                values["attempts"] = attempts
            done = session.execute(
                update(RegistryJob)
                .where(RegistryJob.id == ticket.job_id, RegistryJob.lease_owner == self.owner)
                .values(**values)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            if isinstance(outcome, Answer):
                session.add(_certificate(ticket, outcome, self.client.config.service_id))
        return True

    def _audit_row(self, ticket: Ticket, outcome: Answer | errors.RegistryError, trace: Trace) -> RegistryAudit:
        kind = ticket.subject.id_kind
        return RegistryAudit(
            user_id=ticket.requested_by,
            case_id=ticket.case_id,
            job_id=ticket.job_id,
            purpose=ticket.purpose,
            service=self.client.config.service_id,
            subject_kind=kind.value,
            subject_masked=mask(ticket.subject.id_value),
            subject_hash=fingerprint(IdKind(kind), ticket.subject.id_value, key=self.audit_key),
            message_ids=list(trace.message_ids),
            result=JobState.READY.value if isinstance(outcome, Answer) else outcome.code,
            request_hash=outcome.request_hash,
        )


def _ticket(session: Session, job_id: int) -> Ticket:
    job = session.get_one(RegistryJob, job_id)
    case = session.get_one(Case, job.case_id)
    user = session.get_one(User, job.requested_by)
    return Ticket(
        job_id=job.id,
        case_id=case.id,
        case_number=case.number,
        requested_by=user.id,
        username=user.username,
        purpose=job.purpose,
        subject=Subject.model_validate(job.subject),
        idempotency_key=job.idempotency_key,
        attempts=job.attempts,
        created_at=as_utc(job.created_at),
    )


def _certificate(ticket: Ticket, answer: Answer, source: str) -> Certificate:
    extract = answer.extract
    return Certificate(
        case_id=ticket.case_id,
        job_id=ticket.job_id,
        extract_id=extract.id,
        formed_at=extract.formed_at,
        full_name=extract.person.full_name,
        birth_date=extract.person.birth_date,
        address=extract.address,
        registered_on=extract.registered_on,
        household=[{"full_name": p.full_name, "birth_date": p.birth_date.isoformat()} for p in extract.household],
        source=source,
        request_hash=answer.request_hash,
    )
