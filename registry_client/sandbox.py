"""A sandbox territorial-community registry: its own FastAPI app, for development, demos and tests.

It speaks the exchange in `wire.py` behind Trembita-style identification headers, holds a small
seeded register (namesakes and a record needing actualisation among them, see `PEOPLE`), honours
`Idempotency-Key` (a repeated key gets the first answer back and forms nothing new), and has
switchable latency and faults (`PUT /_sandbox/faults`). `hotline registry-sandbox` runs it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from registry_client.identifiers import IdKind, InvalidIdentifier, normalise
from registry_client.wire import Extract, ExtractRequest, Found, Person, Problem


@dataclass(frozen=True)
class Resident:
    full_name: str
    birth_date: date
    address: str
    registered_on: date
    ids: dict[IdKind, str] = field(default_factory=dict)
    actualized: bool = True


_SADOVA = "м. Запоріжжя, вул. Садова, буд. 12, кв. 5"
_MELNYK = "м. Запоріжжя, вул. Гоголя, буд. 101, кв. 2"
R, U, P = IdKind.RNOKPP, IdKind.UNZR, IdKind.PASSPORT
PEOPLE: tuple[Resident, ...] = (
    Resident("Шевченко Марія Іванівна", date(1978, 4, 12), _SADOVA, date(2010, 9, 1),
             {R: "2876543211", U: "19780412-01234", P: "001234567"}),
    Resident("Шевченко Петро Олексійович", date(1975, 9, 30), _SADOVA, date(2010, 9, 1), {R: "3001122331"}),
    Resident("Шевченко Анна Петрівна", date(2008, 2, 17), _SADOVA, date(2010, 9, 1), {U: "20080217-00451"}),
    Resident("Бондаренко Олег Васильович", date(1990, 11, 3), "м. Запоріжжя, просп. Соборний, буд. 45, кв. 17",
             date(2019, 5, 14), {R: "3302145670", P: "СА123456"}),
    # Namesakes born the same day; neither has a tax number in the register, so a search by one is ambiguous.
    Resident("Коваленко Олена Петрівна", date(1985, 3, 14), "м. Запоріжжя, вул. Перемоги, буд. 7, кв. 31",
             date(2015, 3, 2), {U: "19850314-00012"}),
    Resident("Коваленко Олена Петрівна", date(1985, 3, 14), "м. Запоріжжя, вул. Незалежної України, буд. 3, кв. 88",
             date(2001, 6, 20)),
    # Registered long before the electronic register and never actualised.
    Resident("Сидоренко Іван Миколайович", date(1949, 7, 22), "смт Кушугум, вул. Шкільна, буд. 9",
             date(1998, 4, 10), {R: "1827364550"}, actualized=False),
    Resident("Мельник Ганна Степанівна", date(1962, 1, 8), _MELNYK, date(2004, 11, 23),
             {R: "2468013570", P: "ЗП654321"}),
    Resident("Мельник Василь Іванович", date(1987, 5, 19), _MELNYK, date(2004, 11, 23), {R: "3112233440"}),
)  # fmt: skip


class Fault(StrEnum):
    NONE = "none"
    TIMEOUT = "timeout"  # the answer is formed, then not sent in time (a repeated key must not form another)
    ERROR_500 = "error500"  # the provider's security server reports ServiceFailed
    ERROR_503 = "error503"
    MALFORMED = "malformed"  # 200 with a body that is not a certificate
    GATEWAY = "gateway"  # the client's own security server is broken (Server.ClientProxy.*)


class FaultSettings(BaseModel):
    fault: Fault = Fault.NONE
    count: int | None = Field(default=None, ge=1, description="Fault only the next N requests; empty: until reset.")
    latency_ms: int = Field(default=0, ge=0, le=120_000, description="Added before every answer.")
    hang_seconds: float = Field(default=60.0, ge=0, le=600, description="How long a 'timeout' keeps the caller.")


class Stats(BaseModel):
    requests: int
    formed: int = Field(description="Certificates formed: one per idempotency key, however often it is repeated.")
    keys: dict[str, int] = Field(description="Requests seen per idempotency key.")
    last_headers: dict[str, str]


class SandboxState:
    def __init__(self, people: tuple[Resident, ...], prefix: str, faults: FaultSettings) -> None:
        self.people = people
        self.prefix = prefix
        self.faults = faults
        self.answers: dict[str, tuple[int, bytes]] = {}
        self.keys: dict[str, int] = {}
        self.requests = 0
        self.formed = 0
        self.last_headers: dict[str, str] = {}

    def take_fault(self) -> Fault:
        fault = self.faults.fault
        if fault is not Fault.NONE and self.faults.count is not None:
            self.faults.count -= 1
            if self.faults.count <= 0:
                self.faults = self.faults.model_copy(update={"fault": Fault.NONE, "count": None})
        return fault


def lookup(people: tuple[Resident, ...], request: ExtractRequest) -> Resident | tuple[int, Problem]:
    """The one registered person the request is about, or the register's error answer (pure)."""
    subject = request.subject
    try:
        value = normalise(subject.id_kind, subject.id_value)
    except InvalidIdentifier as exc:
        return 422, Problem(code="INVALID_INPUT", message=str(exc))
    matches = [p for p in people if p.ids.get(subject.id_kind) == value]
    if not matches:  # records without this identifier are searched by name and date of birth
        name = " ".join(subject.full_name.split()).casefold()
        matches = [
            p
            for p in people
            if subject.id_kind not in p.ids and p.full_name.casefold() == name and p.birth_date == subject.birth_date
        ]
    matches = [p for p in matches if p.birth_date == subject.birth_date]
    if not matches:
        return 404, Problem(code="NOT_FOUND", message="Person not found")
    if len(matches) > 1:
        return 409, Problem(code="AMBIGUOUS_MATCH", message="Several persons match", matches=len(matches))
    if not matches[0].actualized:
        return 409, Problem(code="NEEDS_ACTUALIZATION", message="The record must be actualized at a ЦНАП")
    return matches[0]


def extract_of(people: tuple[Resident, ...], person: Resident, *, extract_id: str, formed_at: datetime) -> Extract:
    """The extract for `person`, with everyone else registered at the same address."""
    household = [Person(full_name=p.full_name, birth_date=p.birth_date) for p in people
                 if p.address == person.address and p is not person]  # fmt: skip
    return Extract(
        id=extract_id,
        formed_at=formed_at,
        person=Person(full_name=person.full_name, birth_date=person.birth_date),
        address=person.address,
        registered_on=person.registered_on,
        household=household,
    )


def create_sandbox_app(
    *, prefix: str = "Uxp-", faults: FaultSettings | None = None, people: tuple[Resident, ...] = PEOPLE
) -> FastAPI:
    app = FastAPI(
        title="Sandbox territorial-community registry",
        summary="Residence-registration extracts for development and tests: seeded people, switchable faults.",
    )
    state = SandboxState(people, prefix, faults or FaultSettings())
    app.state.sandbox = state

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        message = "; ".join(str(e.get("msg", "")) for e in exc.errors())
        return JSONResponse(status_code=422, content=Problem(code="INVALID_INPUT", message=message).model_dump())

    responses: dict[int | str, dict[str, Any]] = {
        200: {"model": Found, "description": "The extract, as of `formed_at`."},
        404: {"model": Problem, "description": "NOT_FOUND: nobody matches."},
        409: {"model": Problem, "description": "AMBIGUOUS_MATCH (with `matches`) or NEEDS_ACTUALIZATION."},
        422: {"model": Problem, "description": "INVALID_INPUT."},
        400: {"description": "Missing identification headers (`<prefix>Error: Client.BadRequest`)."},
        500: {"description": "A security-server failure (`<prefix>Error: Server.ServerProxy.ServiceFailed`)."},
    }

    @app.post("/restapi", responses=responses, tags=["registry"])
    async def residence_extract(
        body: ExtractRequest,
        request: Request,
        idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
    ) -> Response:
        """Form a residence-registration extract for one person (Trembita REST: `POST /restapi`)."""
        return await _answer(state, body, request, idempotency_key)

    @app.get("/_sandbox/faults", tags=["sandbox"])
    def get_faults() -> FaultSettings:
        return state.faults

    @app.put("/_sandbox/faults", tags=["sandbox"])
    def set_faults(settings: FaultSettings) -> FaultSettings:
        """Switch latency and faults (for the next `count` requests, or until switched back to `none`)."""
        state.faults = settings
        return state.faults

    @app.get("/_sandbox/stats", tags=["sandbox"])
    def stats() -> Stats:
        return Stats(requests=state.requests, formed=state.formed, keys=state.keys, last_headers=state.last_headers)

    @app.get("/_sandbox/people", tags=["sandbox"])
    def seeded_people() -> list[dict[str, Any]]:
        """Who is in the register, to try the flow with."""
        return [
            {"full_name": p.full_name, "birth_date": p.birth_date, "ids": p.ids, "actualized": p.actualized}
            for p in state.people
        ]

    return app


async def _answer(state: SandboxState, body: ExtractRequest, request: Request, key: str | None) -> Response:
    state.requests += 1
    p = state.prefix
    state.last_headers = {k: v for k, v in request.headers.items() if k.lower().startswith(p.lower())}
    fault = state.take_fault()
    await asyncio.sleep(state.faults.latency_ms / 1000)
    if fault is Fault.GATEWAY:
        return _fault(p, 500, "Server.ClientProxy.OutdatedGlobalConf")
    if not request.headers.get(f"{p}Client") or not request.headers.get(f"{p}Service"):
        return _fault(p, 400, "Client.BadRequest")
    if fault is Fault.ERROR_500:
        return _fault(p, 500, "Server.ServerProxy.ServiceFailed")
    if fault is Fault.ERROR_503:
        return Response(status_code=503, content=b"Service Unavailable")
    if fault is Fault.MALFORMED:
        return Response(
            status_code=200, content=b'{"status": "found", "extract": {"id": 42', media_type="application/json"
        )
    raw = await request.body()
    request_hash = base64.b64encode(hashlib.sha512(raw).digest()).decode()
    if key is not None:
        state.keys[key] = state.keys.get(key, 0) + 1
    status, content = state.answers.get(key or "") or _form(state, body, key)
    if fault is Fault.TIMEOUT:
        await asyncio.sleep(state.faults.hang_seconds)
    headers = {f"{p}Request-Hash": request_hash, f"{p}Id": request.headers.get(f"{p}Id", "")}
    return Response(status_code=status, content=content, media_type="application/json", headers=headers)


def _form(state: SandboxState, body: ExtractRequest, key: str | None) -> tuple[int, bytes]:
    found = lookup(state.people, body)
    if isinstance(found, Resident):
        state.formed += 1
        extract = extract_of(state.people, found, extract_id=f"RTG-{state.formed:06d}", formed_at=datetime.now(UTC))
        formed = (200, Found(status="found", extract=extract).model_dump_json().encode())
    else:
        formed = (found[0], found[1].model_dump_json().encode())
    if key is not None:
        state.answers[key] = formed
    return formed


def _fault(prefix: str, status: int, kind: str) -> Response:
    body = Problem(code=kind, message=f"{kind} (sandbox fault)").model_dump_json()
    return Response(status_code=status, content=body, media_type="application/json", headers={f"{prefix}Error": kind})


def serve(*, host: str, port: int, prefix: str, faults: FaultSettings) -> None:
    import uvicorn

    uvicorn.run(create_sandbox_app(prefix=prefix, faults=faults), host=host, port=port)
