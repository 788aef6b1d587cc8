"""The registry client: one `httpx.AsyncClient` made at start, Trembita/X-Road headers, retries for the
registry's own failures only, a circuit breaker, and answers mapped onto `registry_client.errors`.

Logs carry message ids, status codes and error codes; never a name, a date of birth or an identifier.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

import httpx
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from registry_client import errors
from registry_client.wire import Extract, ExtractRequest, Found, Problem

log = logging.getLogger(__name__)
CIRCUIT = "registry"


@dataclass(frozen=True)
class ClientConfig:
    """The client's part of the settings (`HOTLINE_REGISTRY_*`)."""

    url: str
    client_id: str
    service_id: str
    header_prefix: str = "Uxp-"
    purpose_id: str = ""
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    attempts: int = 3
    backoff_seconds: float = 0.5
    circuit_threshold: int = 5
    circuit_reset_seconds: float = 30.0
    cert_file: Path | None = None
    key_file: Path | None = None
    ca_file: Path | None = None


@dataclass(frozen=True)
class CallContext:
    """Who asks and why, as the registry's identification headers carry it."""

    user_id: str
    issue: str
    idempotency_key: str


@dataclass(frozen=True)
class Answer:
    extract: Extract
    request_hash: str | None


@dataclass
class Trace:
    """The message id of every attempt sent, for the audit."""

    message_ids: list[str] = field(default_factory=list)


def make_http_client(config: ClientConfig) -> httpx.AsyncClient:
    """The one HTTP client of the process, with timeouts and (for https) the mTLS certificate."""
    verify: ssl.SSLContext | bool = True
    if config.cert_file or config.ca_file:
        verify = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
        if config.cert_file:
            verify.load_cert_chain(str(config.cert_file), str(config.key_file) if config.key_file else None)
    timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
    # X-Road advises against following redirects blindly: a redirect is an answer we do not understand.
    return httpx.AsyncClient(timeout=timeout, verify=verify, follow_redirects=False)


def make_breakers(config: ClientConfig) -> AsyncCircuitBreakerFactory:
    # Only the registry's own failures count; "not found" and refusals are answers, not outages.
    return AsyncCircuitBreakerFactory(
        default_threshold=config.circuit_threshold,
        default_ttl=config.circuit_reset_seconds,
        exclude=[(errors.RegistryError, lambda exc: not isinstance(exc, errors.RegistryUnavailable))],
    )


class RegistryClient:
    """Asks the registry for residence certificates. Safe to share between tasks."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: ClientConfig,
        *,
        breakers: AsyncCircuitBreakerFactory | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.http = http
        self.config = config
        self.breakers = breakers or make_breakers(config)
        self._sleep = sleep

    async def circuit_state(self) -> str:
        """closed, opened or half-opened."""
        breaker = await self.breakers.get_breaker(CIRCUIT)
        return breaker.context.state

    async def fetch_extract(self, request: ExtractRequest, context: CallContext, trace: Trace | None = None) -> Answer:
        """The certificate, or a `RegistryError`; the registry's own failures are retried with backoff."""
        trace = trace or Trace()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.config.attempts),
            wait=wait_exponential_jitter(
                multiplier=self.config.backoff_seconds,
                jitter=self.config.backoff_seconds,
                max=self.config.backoff_seconds * 8,
            ),
            retry=retry_if_exception(lambda exc: isinstance(exc, errors.RegistryUnavailable) and exc.retry_now),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._through_breaker(request, context, trace)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _through_breaker(self, request: ExtractRequest, context: CallContext, trace: Trace) -> Answer:
        breaker = await self.breakers.get_breaker(CIRCUIT)
        try:
            async with breaker:
                return await self._send(request, context, trace)
        except OpenedState:
            raise errors.CircuitOpen("calls to the registry are paused after repeated failures") from None

    async def _send(self, request: ExtractRequest, context: CallContext, trace: Trace) -> Answer:
        message_id = uuid4().hex
        trace.message_ids.append(message_id)
        try:
            response = await self.http.post(
                self.config.url, json=request.model_dump(mode="json"), headers=self._headers(context, message_id)
            )
        except httpx.TimeoutException:
            log.warning("registry message %s: timed out", message_id)
            raise errors.RegistryTimeout("the registry did not answer in time") from None
        except httpx.TransportError as exc:
            log.warning("registry message %s: %s", message_id, type(exc).__name__)
            if _caused_by_tls(exc):
                raise errors.GatewayError("TLS with the security server failed: check the certificates") from None
            raise errors.RegistryConnectionError(f"could not reach the registry ({type(exc).__name__})") from None
        log.info("registry message %s: HTTP %s", message_id, response.status_code)
        return interpret(response.status_code, response.headers, response.content, prefix=self.config.header_prefix)

    def _headers(self, context: CallContext, message_id: str) -> dict[str, str]:
        p = self.config.header_prefix
        headers = {
            f"{p}Client": self.config.client_id,
            f"{p}Service": self.config.service_id,
            f"{p}Id": message_id,
            f"{p}UserId": quote(context.user_id, safe=""),
            f"{p}Issue": quote(context.issue, safe=""),
            "Idempotency-Key": context.idempotency_key,
        }
        if self.config.purpose_id:
            headers[f"{p}Purpose-Ids"] = self.config.purpose_id
        return headers


def interpret(status: int, headers: Mapping[str, str], body: bytes, *, prefix: str) -> Answer:
    """An HTTP answer as a certificate or a typed error (pure: no I/O)."""
    request_hash = headers.get(f"{prefix}Request-Hash")
    fault = headers.get(f"{prefix}Error")
    if fault:
        raise _security_server_error(fault, status, request_hash)
    if status == 200:
        try:
            return Answer(Found.model_validate_json(body).extract, request_hash)
        except ValidationError:
            raise errors.MalformedResponse("the registry's answer is not a certificate") from None
    if status >= 500:
        raise errors.RegistryServerError(f"the registry failed (HTTP {status})", request_hash=request_hash)
    problem = _problem(body)
    if status == 404 and problem.code == "NOT_FOUND":
        raise errors.PersonNotFound("no registered person matches", request_hash=request_hash)
    if status == 409 and problem.code == "AMBIGUOUS_MATCH":
        raise errors.AmbiguousMatch(
            "several registered people match", matches=problem.matches or 2, request_hash=request_hash
        )
    if status == 409 and problem.code == "NEEDS_ACTUALIZATION":
        raise errors.NeedsActualization("the record must be updated first", request_hash=request_hash)
    if status in (401, 403):
        raise errors.AccessDenied(f"access denied (HTTP {status})", request_hash=request_hash)
    if status in (400, 422):
        raise errors.InvalidRequest(
            f"the registry found the request invalid (HTTP {status})", request_hash=request_hash
        )
    raise errors.MalformedResponse(f"an answer we do not understand (HTTP {status})", request_hash=request_hash)


def _security_server_error(fault: str, status: int, request_hash: str | None) -> errors.RegistryError:
    """X-Road's rule: the `type` prefix says which side failed (PR-REST 4.6)."""
    kind = fault.split(":", 1)[0].strip()
    if kind.startswith("Server.ClientProxy"):
        return errors.GatewayError(f"our security server failed ({kind})", request_hash=request_hash)
    if kind.startswith("Client."):
        return errors.InvalidRequest(f"the security server refused the request ({kind})", request_hash=request_hash)
    return errors.RegistryServerError(f"the registry side failed ({kind}, HTTP {status})", request_hash=request_hash)


def _caused_by_tls(exc: BaseException) -> bool:
    """Whether a TLS error (certificates, handshake) is somewhere in the chain httpx and httpcore wrap."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _problem(body: bytes) -> Problem:
    try:
        return Problem.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        return Problem(code="")
