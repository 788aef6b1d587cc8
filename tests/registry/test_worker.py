"""Certificate requests run by the worker against the sandbox over a real socket, on SQLite and
PostgreSQL: outcomes, faults, the circuit breaker, leases, and nothing lost or duplicated."""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction, utcnow
from hotline.users import Role, User, create
from registry_client import service
from registry_client.client import ClientConfig, RegistryClient, make_http_client
from registry_client.identifiers import IdKind
from registry_client.models import Certificate, RegistryAudit, RegistryJob
from registry_client.service import CaseKind, ConsentBasis
from registry_client.states import ACTIVE, RetryPolicy
from registry_client.worker import Worker
from tests.registry.conftest import Sandbox

MARIA = ("Шевченко Марія Іванівна", date(1978, 4, 12), IdKind.RNOKPP, "2876543211")
OLEH = ("Бондаренко Олег Васильович", date(1990, 11, 3), IdKind.RNOKPP, "3302145670")
HANNA = ("Мельник Ганна Степанівна", date(1962, 1, 8), IdKind.RNOKPP, "2468013570")
OLENA = ("Коваленко Олена Петрівна", date(1985, 3, 14), IdKind.RNOKPP, "1998877660")
IVAN = ("Сидоренко Іван Миколайович", date(1949, 7, 22), IdKind.RNOKPP, "1827364550")
NOBODY = ("Нема Такого Громадянина", date(1970, 1, 1), IdKind.RNOKPP, "2345678902")
PURPOSE = "Призначення житлової субсидії, заява № 17"


def operator(sessions: sessionmaker[Session]) -> User:
    with transaction(sessions) as session:
        return create(session, username=f"op{time.monotonic_ns()}", password="a long password", role=Role.OPERATOR)


def submit(sessions: sessionmaker[Session], user: User, person: tuple[Any, ...]) -> int:
    """Open a case for `person`, record consent and request a certificate; the job's id."""
    name, born, kind, value = person
    with transaction(sessions) as session:
        case = service.create(
            session, owner=user, kind=CaseKind.HOUSING_SUBSIDY, full_name=name, birth_date=born, id_kind=kind,
            id_value=value,
        )  # fmt: skip
        service.record_consent(session, case=case, basis=ConsentBasis.APPLICATION, reference="заява № 17", by=user)
        return service.request_certificate(session, case=case, purpose=PURPOSE, by=user).id


def worker(sessions: sessionmaker[Session], sandbox: Sandbox, **config: Any) -> Worker:
    settings: dict[str, Any] = {
        "url": sandbox.registry_url,
        "client_id": "SEVDEIR-TEST/GOV/00000001/HOTLINE",
        "service_id": "SEVDEIR-TEST/GOV/00000002/RTG/GetResidenceExtract/v1",
        "connect_timeout": 1.0,
        "read_timeout": 5.0,  # generous: a loaded CI machine must not turn a slow answer into a retry
        "backoff_seconds": 0.01,
        "circuit_threshold": 3,
        "circuit_reset_seconds": 0.5,
        **config,
    }
    client_config = ClientConfig(**settings)
    client = RegistryClient(make_http_client(client_config), client_config)
    policy = RetryPolicy(base_seconds=0.05, max_seconds=0.2)
    return Worker(sessions, client, audit_key="test", policy=policy, lease=timedelta(seconds=30))


def jobs(sessions: sessionmaker[Session]) -> list[RegistryJob]:
    with sessions() as session:
        return list(session.scalars(select(RegistryJob).order_by(RegistryJob.id)))


async def drain(*workers: Worker, timeout: float = 20) -> None:
    """Run the workers until no request is on its way."""
    deadline = time.monotonic() + timeout
    sessions = workers[0].sessions
    while time.monotonic() < deadline:
        await asyncio.gather(*(w.run_once() for w in workers))
        if not any(job.state in ACTIVE for job in jobs(sessions)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"requests still on their way: {[(j.id, j.state) for j in jobs(sessions)]}")


def count(sessions: sessionmaker[Session], model: Any) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_request_becomes_a_certificate_with_an_audit_row(
    sessions: sessionmaker[Session], clean_sandbox: Sandbox
) -> None:
    user = operator(sessions)
    job_id = submit(sessions, user, MARIA)
    await drain(worker(sessions, clean_sandbox))
    (job,) = jobs(sessions)
    assert (job.state, job.attempts, job.lease_owner, job.error_code) == ("ready", 1, None, None)
    assert job.finished_at is not None
    with sessions() as session:
        certificate = session.scalars(select(Certificate)).one()
        audit = session.scalars(select(RegistryAudit)).one()
    assert certificate.job_id == job_id
    assert certificate.address == "м. Запоріжжя, вул. Садова, буд. 12, кв. 5"
    assert {p["full_name"] for p in certificate.household} == {"Шевченко Петро Олексійович", "Шевченко Анна Петрівна"}
    assert certificate.request_hash
    assert (audit.user_id, audit.case_id, audit.job_id, audit.result) == (user.id, job.case_id, job_id, "ready")
    assert audit.purpose == PURPOSE
    assert audit.subject_masked == "28******11"
    assert "2876543211" not in audit.subject_hash
    assert audit.request_hash == certificate.request_hash
    assert len(audit.message_ids) == 1
    headers = clean_sandbox.stats()["last_headers"]
    assert headers["uxp-id"] == audit.message_ids[0]
    assert headers["uxp-userid"] == user.username
    assert headers["uxp-issue"] == f"C-{job.case_id:06d}"


async def test_answers_without_a_certificate_end_the_request(
    sessions: sessionmaker[Session], clean_sandbox: Sandbox
) -> None:
    user = operator(sessions)
    for person in (OLENA, IVAN, NOBODY):
        submit(sessions, user, person)
    await drain(worker(sessions, clean_sandbox))
    assert [(j.state, j.error_code) for j in jobs(sessions)] == [
        ("ambiguous", "AMBIGUOUS"),
        ("needs_update", "NEEDS_UPDATE"),
        ("not_found", "NOT_FOUND"),
    ]
    assert count(sessions, Certificate) == 0
    assert count(sessions, RegistryAudit) == 3


async def test_server_errors_are_retried_until_the_registry_answers(
    sessions: sessionmaker[Session], clean_sandbox: Sandbox
) -> None:
    submit(sessions, operator(sessions), OLEH)
    clean_sandbox.faults(fault="error500", count=4)  # the first run's 3 attempts and one more
    runner = worker(sessions, clean_sandbox, circuit_threshold=10)
    await runner.run_once()
    (job,) = jobs(sessions)
    assert (job.state, job.error_code, job.attempts) == ("retrying", "SERVER_ERROR", 1)
    await drain(runner)
    (job,) = jobs(sessions)
    assert (job.state, job.attempts) == ("ready", 2)
    assert clean_sandbox.stats()["formed"] == 1
    with sessions() as session:
        results = [a.result for a in session.scalars(select(RegistryAudit).order_by(RegistryAudit.id))]
    assert results == ["SERVER_ERROR", "ready"]


async def test_a_lost_answer_is_asked_again_under_the_same_key_and_formed_once(
    sessions: sessionmaker[Session], clean_sandbox: Sandbox
) -> None:
    submit(sessions, operator(sessions), HANNA)
    # The registry forms the extract, but the answer does not arrive within our read timeout.
    clean_sandbox.faults(fault="timeout", count=1, hang_seconds=3)
    await drain(worker(sessions, clean_sandbox, read_timeout=0.5))
    (job,) = jobs(sessions)
    assert job.state == "ready"
    stats = clean_sandbox.stats()
    assert stats["keys"] == {job.idempotency_key: 2}
    assert stats["formed"] == 1
    assert count(sessions, Certificate) == 1


async def test_malformed_answers_are_retried(sessions: sessionmaker[Session], clean_sandbox: Sandbox) -> None:
    submit(sessions, operator(sessions), MARIA)
    clean_sandbox.faults(fault="malformed", count=3)
    runner = worker(sessions, clean_sandbox, circuit_threshold=10)
    await runner.run_once()
    assert jobs(sessions)[0].error_code == "MALFORMED"
    await drain(runner)
    assert jobs(sessions)[0].state == "ready"


async def test_the_circuit_opens_then_closes_and_every_request_finishes_once(
    sessions: sessionmaker[Session], clean_sandbox: Sandbox
) -> None:
    user = operator(sessions)
    people = (MARIA, OLEH, HANNA, MARIA, OLEH)
    for person in people:
        submit(sessions, user, person)
    clean_sandbox.faults(fault="error503")
    # The pause outlasts the database work of a loaded machine, so the check below sees it still open.
    runner = worker(sessions, clean_sandbox, attempts=1, circuit_reset_seconds=2.0)
    await runner.run_once()  # a batch of four, sent side by side: their failures open the circuit
    assert await runner.client.circuit_state() == "opened"
    sent = clean_sandbox.stats()["requests"]
    assert sent == 4
    await asyncio.sleep(0.3)
    await runner.run_once()
    assert clean_sandbox.stats()["requests"] == sent, "nothing is sent while the circuit is open"
    assert {j.error_code for j in jobs(sessions)} == {"SERVER_ERROR", "CIRCUIT_OPEN"}
    clean_sandbox.faults(fault="none")  # the registry is back
    await drain(runner)
    assert await runner.client.circuit_state() == "closed"
    done = jobs(sessions)
    assert [j.state for j in done] == ["ready"] * len(people)
    with sessions() as session:
        certificates = session.scalars(select(Certificate.job_id)).all()
    assert sorted(certificates) == [j.id for j in done]
    assert clean_sandbox.stats()["formed"] == len(people)
    assert all(n <= 2 for n in clean_sandbox.stats()["keys"].values())


async def test_two_workers_never_run_one_request_twice(sessions: sessionmaker[Session], clean_sandbox: Sandbox) -> None:
    user = operator(sessions)
    for person in (MARIA, OLEH, HANNA, MARIA, OLEH, HANNA):
        submit(sessions, user, person)
    clean_sandbox.faults(fault="none", latency_ms=100)
    await drain(worker(sessions, clean_sandbox), worker(sessions, clean_sandbox))
    done = jobs(sessions)
    assert [j.state for j in done] == ["ready"] * 6
    assert sorted(clean_sandbox.stats()["keys"].values()) == [1] * 6
    assert count(sessions, Certificate) == 6
    assert count(sessions, RegistryAudit) == 6


async def test_a_request_whose_worker_died_is_taken_again_when_its_lease_runs_out(
    sessions: sessionmaker[Session], clean_sandbox: Sandbox
) -> None:
    user = operator(sessions)
    stale, held = submit(sessions, user, MARIA), submit(sessions, user, OLEH)
    now = utcnow()
    with transaction(sessions) as session:
        for job_id, until in ((stale, now - timedelta(seconds=1)), (held, now + timedelta(minutes=5))):
            session.execute(
                update(RegistryJob).where(RegistryJob.id == job_id).values(lease_owner="dead", lease_until=until)
            )
    assert await worker(sessions, clean_sandbox).run_once() == 1
    states = {j.id: j.state for j in jobs(sessions)}
    assert states == {stale: "ready", held: "pending"}


def test_asking_again_while_a_request_is_on_its_way_gives_the_same_request(
    sessions: sessionmaker[Session],
) -> None:
    user = operator(sessions)
    first = submit(sessions, user, MARIA)
    with transaction(sessions) as session:
        job = session.get_one(RegistryJob, first)
        case = service.get(session, case_id=job.case_id, viewer=user)
        again = service.request_certificate(session, case=case, purpose=f"  {PURPOSE} ", by=user)
        other = service.request_certificate(session, case=case, purpose="Призначення допомоги, заява № 18", by=user)
    assert again.id == first
    assert other.id != first
    assert count(sessions, RegistryJob) == 2


def test_a_request_needs_consent(sessions: sessionmaker[Session]) -> None:
    user = operator(sessions)
    with transaction(sessions) as session:
        case = service.create(
            session, owner=user, kind=CaseKind.BENEFIT, full_name=MARIA[0], birth_date=MARIA[1], id_kind=MARIA[2],
            id_value=MARIA[3],
        )  # fmt: skip
        with pytest.raises(service.NoConsent):
            service.request_certificate(session, case=case, purpose=PURPOSE, by=user)
