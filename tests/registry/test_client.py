"""The registry client through `httpx.MockTransport`: headers, answers, retries, circuit breaker, logs."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import date

import httpx
import pytest

from registry_client import errors
from registry_client.client import CallContext, ClientConfig, RegistryClient, Trace
from registry_client.identifiers import IdKind
from registry_client.wire import ExtractRequest, Subject

FOUND = {
    "status": "found",
    "extract": {
        "id": "RTG-000001",
        "formed_at": "2026-12-01T09:00:00Z",
        "person": {"full_name": "Шевченко Марія Іванівна", "birth_date": "1978-04-12"},
        "address": "м. Запоріжжя, вул. Садова, буд. 12, кв. 5",
        "registered_on": "2010-09-01",
        "household": [{"full_name": "Шевченко Петро Олексійович", "birth_date": "1975-09-30"}],
    },
}
REQUEST = ExtractRequest(
    subject=Subject(
        id_kind=IdKind.RNOKPP, id_value="2876543211", full_name="Шевченко Марія Іванівна", birth_date=date(1978, 4, 12)
    ),
    purpose="Призначення житлової субсидії",
)
CONTEXT = CallContext(user_id="olena", issue="C-000007", idempotency_key="k" * 64)
Handler = Callable[[httpx.Request], httpx.Response]


def make(handler: Handler, **config: object) -> RegistryClient:
    settings = {
        "url": "https://ss.example/restapi",
        "client_id": "SEVDEIR-TEST/GOV/00000001/HOTLINE",
        "service_id": "SEVDEIR-TEST/GOV/00000002/RTG/GetResidenceExtract/v1",
        "purpose_id": "PURPOSE42",
        "attempts": 3,
        "backoff_seconds": 0.001,
        **config,
    }
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return RegistryClient(http, ClientConfig(**settings))  # type: ignore[arg-type]


class Recorder:
    """Answers from a list, one per request, and keeps every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_a_certificate_comes_back_with_trembita_headers() -> None:
    recorder = Recorder(httpx.Response(200, json=FOUND, headers={"Uxp-Request-Hash": "abc=="}))
    answer = await make(recorder).fetch_extract(REQUEST, CONTEXT)
    assert answer.extract.address.startswith("м. Запоріжжя")
    assert [p.full_name for p in answer.extract.household] == ["Шевченко Петро Олексійович"]
    assert answer.request_hash == "abc=="
    sent = recorder.requests[0]
    assert sent.method == "POST" and str(sent.url) == "https://ss.example/restapi"
    assert sent.headers["Uxp-Client"] == "SEVDEIR-TEST/GOV/00000001/HOTLINE"
    assert sent.headers["Uxp-Service"] == "SEVDEIR-TEST/GOV/00000002/RTG/GetResidenceExtract/v1"
    assert sent.headers["Uxp-UserId"] == "olena"
    assert sent.headers["Uxp-Issue"] == "C-000007"
    assert sent.headers["Uxp-Purpose-Ids"] == "PURPOSE42"
    assert sent.headers["Idempotency-Key"] == "k" * 64
    assert len(sent.headers["Uxp-Id"]) == 32
    assert json.loads(sent.content)["subject"]["id_value"] == "2876543211"


async def test_the_header_prefix_is_configurable_for_x_road() -> None:
    recorder = Recorder(httpx.Response(200, json=FOUND))
    await make(recorder, header_prefix="X-Road-").fetch_extract(REQUEST, CONTEXT)
    sent = recorder.requests[0]
    assert sent.headers["X-Road-Client"] and sent.headers["X-Road-Id"]
    assert not any(name.lower().startswith("uxp-") for name in sent.headers)


async def test_registry_failures_are_retried_with_one_idempotency_key_and_new_message_ids() -> None:
    recorder = Recorder(httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(200, json=FOUND))
    trace = Trace()
    await make(recorder).fetch_extract(REQUEST, CONTEXT, trace)
    assert len(recorder.requests) == 3
    assert {r.headers["Idempotency-Key"] for r in recorder.requests} == {"k" * 64}
    assert len({r.headers["Uxp-Id"] for r in recorder.requests}) == 3
    assert trace.message_ids == [r.headers["Uxp-Id"] for r in recorder.requests]


async def test_after_the_last_attempt_the_registry_error_is_given_back() -> None:
    recorder = Recorder(
        httpx.Response(500, json={"type": "x"}, headers={"Uxp-Error": "Server.ServerProxy.ServiceFailed"})
    )
    with pytest.raises(errors.RegistryServerError):
        await make(recorder).fetch_extract(REQUEST, CONTEXT)
    assert len(recorder.requests) == 3


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(404, json={"code": "NOT_FOUND"}), errors.PersonNotFound),
        (httpx.Response(409, json={"code": "AMBIGUOUS_MATCH", "matches": 3}), errors.AmbiguousMatch),
        (httpx.Response(409, json={"code": "NEEDS_ACTUALIZATION"}), errors.NeedsActualization),
        (httpx.Response(422, json={"code": "INVALID_INPUT"}), errors.InvalidRequest),
        (httpx.Response(403, json={"code": "ACCESS_DENIED"}), errors.AccessDenied),
        (httpx.Response(400, headers={"Uxp-Error": "Client.BadRequest"}), errors.InvalidRequest),
        (httpx.Response(500, headers={"Uxp-Error": "Server.ClientProxy.OutdatedGlobalConf"}), errors.GatewayError),
    ],
)
async def test_answers_and_our_own_faults_are_not_retried(response: httpx.Response, error: type[Exception]) -> None:
    recorder = Recorder(response)
    with pytest.raises(error) as caught:
        await make(recorder).fetch_extract(REQUEST, CONTEXT)
    assert len(recorder.requests) == 1
    if isinstance(caught.value, errors.AmbiguousMatch):
        assert caught.value.matches == 3


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b'{"status": "found", "extract": {"id": 4'),
        httpx.Response(200, json={"status": "found", "extract": {"id": "x"}}),
        httpx.Response(302, headers={"location": "https://elsewhere.example/"}),
    ],
)
async def test_answers_we_cannot_read_are_malformed_and_retried(response: httpx.Response) -> None:
    recorder = Recorder(response)
    with pytest.raises(errors.MalformedResponse):
        await make(recorder).fetch_extract(REQUEST, CONTEXT)
    assert len(recorder.requests) == 3


async def test_a_connection_failure_is_a_connection_error() -> None:
    recorder = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(errors.RegistryConnectionError):
        await make(recorder, attempts=1).fetch_extract(REQUEST, CONTEXT)


async def test_the_circuit_opens_after_repeated_failures_and_closes_when_the_registry_answers() -> None:
    recorder = Recorder(httpx.Response(503))
    client = make(recorder, attempts=1, circuit_threshold=3, circuit_reset_seconds=0.3)
    for _ in range(3):
        with pytest.raises(errors.RegistryServerError):
            await client.fetch_extract(REQUEST, CONTEXT)
    assert await client.circuit_state() == "opened"
    with pytest.raises(errors.CircuitOpen):
        await client.fetch_extract(REQUEST, CONTEXT)
    assert len(recorder.requests) == 3, "an open circuit sends nothing"
    await asyncio.sleep(0.35)
    recorder.answers = [httpx.Response(200, json=FOUND)]
    await client.fetch_extract(REQUEST, CONTEXT)
    assert await client.circuit_state() == "closed"


async def test_not_found_answers_do_not_open_the_circuit() -> None:
    client = make(Recorder(httpx.Response(404, json={"code": "NOT_FOUND"})), circuit_threshold=2)
    for _ in range(4):
        with pytest.raises(errors.PersonNotFound):
            await client.fetch_extract(REQUEST, CONTEXT)
    assert await client.circuit_state() == "closed"


async def test_logs_carry_no_personal_data(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder(httpx.Response(503), httpx.Response(404, json={"code": "NOT_FOUND", "message": "Шевченко"}))
    with pytest.raises(errors.PersonNotFound) as caught:
        await make(recorder).fetch_extract(REQUEST, CONTEXT)
    logged = caplog.text + str(caught.value)
    assert recorder.requests[0].headers["Uxp-Id"] in caplog.text
    for secret in ("2876543211", "Шевченко", "1978-04-12", "Садова"):
        assert secret not in logged
