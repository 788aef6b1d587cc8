"""`GET /metrics` for Prometheus: requests per route, and the live queues read at scrape time.

Not public: Prometheus sends `HOTLINE_METRICS_TOKEN` as a bearer token (docs/SECURITY.md shows the
scrape configuration); a logged-in admin may open it in a browser. Anyone else gets a 401.

Request counts and latencies are kept per process; under `hotline serve --workers N` the CLI points
`PROMETHEUS_MULTIPROC_DIR` at a folder of the data dir before the workers start, and a scrape adds up
every worker's files (prometheus_client's multiprocess mode). Queue and operator figures are not
counted here at all: they are read from the shared queue when scraped, so every worker gives the same
answer and nothing is paid on the request path.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterable

from anyio import to_thread
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.deps import staff_of
from hotline.users import Role
from specialist_queue.service import SpecialistQueue

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Webhook turns take milliseconds; a registry call or a slow page takes seconds.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    """Pure ASGI middleware (no per-request task or body copy) counting each request by route template.

    The route template, not the raw path, is the label, so ids in URLs and unknown paths (all
    "unmatched") cannot grow the number of series without bound.
    """

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client sees if the app fails before it answers

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route") or _plain_route(scope), "path", "unmatched")
            method = scope["method"]
            self.latency.labels(method, route).observe(time.perf_counter() - started)
            self.requests.labels(method, route, str(status)).inc()


def _plain_route(scope: Scope) -> BaseRoute | None:
    """The route of a request FastAPI did not label: it sets `scope["route"]` only for its own API
    routes, not for plain ones (`/metrics`, `/docs`) or mounts (`/static`)."""
    for route in getattr(getattr(scope.get("app"), "router", None), "routes", ()):
        if route.matches(scope)[0] is Match.FULL:
            return route  # type: ignore[no-any-return]
    return None


class LiveQueues(Collector):
    """The specialist queues and operators as gauges, read from the shared queue at each scrape."""

    def __init__(self, queue: Callable[[], SpecialistQueue | None]) -> None:
        self.queue = queue

    def collect(self) -> Iterable[Metric]:
        queue = self.queue()
        if queue is None:  # scraped before start-up finished
            return
        labels = ["queue"]
        waiting = GaugeMetricFamily("hotline_queue_waiting", "Conversations waiting for a specialist", labels=labels)
        longest = GaugeMetricFamily("hotline_queue_longest_wait_seconds", "Longest current wait", labels=labels)
        estimated = GaugeMetricFamily(
            "hotline_queue_estimated_wait_seconds", "Estimated wait for a conversation joining now", labels=labels
        )
        staffed = GaugeMetricFamily("hotline_queue_operators_staffed", "Operators serving the queue", labels=labels)
        answered = GaugeMetricFamily("hotline_queue_answered_today", "Answered since midnight", labels=labels)
        abandoned = GaugeMetricFamily("hotline_queue_abandoned_today", "Abandoned since midnight", labels=labels)
        level = GaugeMetricFamily(
            "hotline_queue_service_level_ratio", "Share answered within the threshold today", labels=labels
        )
        for figures in queue.figures():
            name = [figures.queue]
            waiting.add_metric(name, figures.waiting)
            longest.add_metric(name, figures.longest_wait)
            estimated.add_metric(name, figures.estimated_wait)
            staffed.add_metric(name, figures.staffed)
            answered.add_metric(name, figures.answered)
            abandoned.add_metric(name, figures.abandoned)
            if figures.service_level is not None:
                level.add_metric(name, figures.service_level)
        operators = GaugeMetricFamily("hotline_operators", "Operators by state", labels=["state"])
        counted: dict[str, int] = {}
        for operator in queue.store.operators():
            counted[operator.state.value] = counted.get(operator.state.value, 0) + 1
        for state, count in sorted(counted.items()):
            operators.add_metric([state], count)
        yield from (waiting, longest, estimated, staffed, answered, abandoned, level, operators)


class Metrics:
    """One app's metrics: its own registry (tests build many apps in one process) and the scrape."""

    def __init__(self, token: str = "") -> None:
        self.token = token  # what Prometheus sends as its bearer token; empty: admins' browsers only
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hotline_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "hotline_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue: SpecialistQueue | None = None  # set when the app has started
        self.live = LiveQueues(lambda: self.queue)
        self.multiprocess_dir = os.environ.get(MULTIPROCESS_ENV)
        if not self.multiprocess_dir:
            ProcessCollector(registry=self.registry)
            self.registry.register(self.live)

    def scrape(self) -> bytes:
        if not self.multiprocess_dir:
            return generate_latest(self.registry)
        registry = CollectorRegistry()  # every worker's counters, summed from their files
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        registry.register(self.live)
        return generate_latest(registry)

    async def endpoint(self, request: Request) -> Response:
        if not await self._allowed(request):
            refusal = "send the metrics token (Authorization: Bearer), or log in as an admin"
            return Response(refusal, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        # The queue figures read Redis and SQL: keep them off the event loop.
        body = await to_thread.run_sync(self.scrape)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def _allowed(self, request: Request) -> bool:
        """Prometheus with HOTLINE_METRICS_TOKEN as its bearer token, or a logged-in admin's browser."""
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if self.token and scheme.lower() == "bearer":
            return hmac.compare_digest(sent.strip().encode(), self.token.encode())
        user = await to_thread.run_sync(staff_of, request, request.app.state.parts)
        return user is not None and user.role is Role.ADMIN
