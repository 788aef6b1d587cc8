"""The application factory: settings are built once here and each part gets what it needs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from channels import builtin
from channels.dialogue import ConversationBusy, Dialogue, NoPublishedTree, TreeCache
from channels.office import OfficeRules
from channels.registry import KEPT, Channels, Runtime
from channels.state_store import StateStore
from hotline import auth, bootstrap, pending_log, refusals
from hotline.admin import office as admin_office
from hotline.admin import web as admin_web
from hotline.admin.drafts import MatcherCache
from hotline.compression import Compression
from hotline.db import UNREACHABLE, make_engine, make_sessionmaker
from hotline.deps import Parts, PartsDep
from hotline.leases import Lease
from hotline.metrics import Metrics, RequestMetrics
from hotline.nul_guard import RefuseNul
from hotline.pending_log import PendingLog
from hotline.rate_limits import TIMEOUT_SECONDS as RATE_TIMEOUT
from hotline.rate_limits import RateLimits
from hotline.redis_conn import connect, sentinel_config
from hotline.secrets import session_key
from hotline.security_headers import SecurityHeaders
from hotline.settings import Settings
from hotline.static_files import VersionedStatic
from hotline.too_large import SaysTooLarge
from intents.vector_store import SqlVectors
from privacy import conversations as privacy_conversations
from privacy import runtime as privacy_runtime
from registry_client import api as registry_api
from registry_client import pages as registry_pages
from registry_client import runtime as registry_runtime
from selfservice import runtime as selfservice_runtime
from specialist_queue import api as queue_api
from specialist_queue import console as queue_console
from specialist_queue import runtime as queue_runtime
from specialist_queue.follow import Recordings

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # staff forms and API calls; the public chat and the webhooks set lower limits
DATABASE_DOWN = (
    "Вибачте, у нас технічна перерва: спробуйте, будь ласка, за хвилину. "
    "Извините, у нас технический перерыв: попробуйте, пожалуйста, через минуту."
)
# Staff pages and their API: the live queue goes on without the database (docs/ARCHITECTURE.md), the rest waits.
STAFF_PATHS = ("/api/operator", "/api/queues", "/api/supervisor", "/api/registry", "/api/admin", "/admin", "/operator")
STAFF_DATABASE_DOWN = (
    "База даних тимчасово недоступна: черга, пропозиції, прийняття розмов і листування працюють, а пошук, історія "
    "та зміни зачекають, доки вона повернеться. "
    "База данных временно недоступна: очередь, предложения, приём разговоров и переписка работают, а поиск, "
    "история и изменения подождут, пока она вернётся."
)


def create_app(settings: Settings | None = None, channels: Channels | None = None) -> FastAPI:
    """The app with `channels` (the built-in ones HOTLINE_CHANNELS chooses, by default)."""
    settings = settings or Settings()
    channels = channels or builtin.chosen(settings.channels)
    metrics = Metrics(settings.metrics_token.get_secret_value())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url())
        sessions = make_sessionmaker(engine)
        bootstrap.prepare(engine, sessions, load_demo=settings.load_demo_pack)
        redis = connect(settings.redis_url, settings.data_dir, sentinel=sentinel_config(settings))
        trees = TreeCache(sessions, second_opinion=settings.second_opinion)
        app.state.admin_matchers = MatcherCache(stores=[SqlVectors(sessions)], second_opinion=settings.second_opinion)
        try:
            trees.get(trees.current_version())  # build the matcher now, not on the first citizen's turn
        except NoPublishedTree as exc:
            log.warning("%s", exc)
        pending = PendingLog(redis.client, settings.redis_prefix)  # turns kept while the database is unreachable
        office = admin_office.source(sessions, settings)  # the admins' calendar, HOTLINE_OFFICE_HOURS by default
        office()  # read now, as the tree is: a database outage before anyone asked for a person still finds it
        rules = OfficeRules(office.hours, office.policy, after_hours_wait=settings.ivr_after_hours_queue)
        dialogue = Dialogue(
            StateStore(redis.client, settings.conversation_ttl_seconds, settings.redis_prefix, replicas=redis.replicas),
            sessions,
            trees,
            pending,
            rules,
        )
        pending_lease = Lease(redis.client, "pending-log", prefix=settings.redis_prefix, ttl=settings.lease_seconds)
        writer = pending_log.flusher(pending, sessions, pending_lease)
        writer.start()
        specialists = queue_runtime.build(
            settings, sessions, redis, dialogue, office.hours, office.policy, connectors=channels.connectors()
        )
        specialists.start()
        metrics.queue = specialists.queue
        registry = registry_runtime.start(settings, sessions, redis.client)  # the HTTP client + request worker
        limits = (
            RateLimits(redis.async_client(timeout=RATE_TIMEOUT), settings.redis_prefix)
            if settings.rate_limits
            else None
        )
        runtime = Runtime(settings, sessions, redis, dialogue, office, office.hours, specialists, limits)
        await channels.start(runtime)  # e.g. the phone's Vosk models load here, once
        # Daily, on one node; voice messages are deleted where a channel keeps them (Twilio: the phone's).
        retention = privacy_runtime.build(settings, sessions, redis, channels.find_part(Recordings))
        if retention is not None:
            retention.start()
        announcer = selfservice_runtime.start(settings, sessions, redis.client, channels)  # on the push channels
        app.state.parts = Parts(
            settings=settings,
            sessions=sessions,
            redis=redis,
            dialogue=dialogue,
            office_hours=office.hours,
            office=office,
            channels=channels,
            specialists=specialists,
            registry=registry,
            limits=limits,
        )
        try:
            yield
        finally:
            await writer.aclose()
            await registry.aclose()
            if retention is not None:
                await retention.aclose()
            if limits is not None:
                await limits.aclose()
            await announcer.aclose()  # the announcements' copies on their way finish before the channels close
            await channels.aclose()
            await specialists.aclose()
            redis.close()
            engine.dispose()

    app = _Hotline(
        title="Hotline",
        summary="Round-the-clock information line of a social-protection office",
        lifespan=lifespan,
        max_body_size=MAX_BODY,  # counted while the body is read (chunked too): 413 past it, before any parsing
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_key(settings.secret_key.get_secret_value(), settings.data_dir),
        session_cookie="hotline_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.public_url.startswith("https://"),
    )
    for own in channels.middleware():  # a channel's own way in (the phone's lean path), inside the others
        app.add_middleware(own.cls, *own.args, **own.kwargs)
    app.add_middleware(RefuseNul, signed=channels.signed_paths())  # their bytes reach the signature check unchanged
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics, requests=metrics.requests, latency=metrics.latency)
    app.add_middleware(Compression)
    _add_error_handlers(app)
    channels.install(app)
    app.include_router(auth.router)
    app.include_router(queue_console.router)
    app.include_router(queue_api.router)
    app.include_router(registry_api.router)
    app.include_router(registry_pages.router)
    app.include_router(privacy_conversations.router)
    admin_web.install(app)
    _add_health(app)
    app.add_route("/metrics", metrics.endpoint, include_in_schema=False)
    app.mount("/operator/static", VersionedStatic(queue_console.STATIC), name="operator-static")
    app.mount("/operator/cases/static", VersionedStatic(registry_pages.STATIC), name="cases-static")

    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return refusals.invalid(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return refusals.refused(exc)  # one error shape for every API client

    @app.exception_handler(ConversationBusy)
    async def busy(_: Request, exc: ConversationBusy) -> JSONResponse:
        message = "the conversation is busy with other messages: send yours again"
        return JSONResponse(status_code=409, content={"message": message}, headers={"Retry-After": "1"})

    @app.exception_handler(NoPublishedTree)
    async def no_tree(_: Request, exc: NoPublishedTree) -> JSONResponse:
        return JSONResponse(status_code=503, content={"message": str(exc)})

    for unreachable in UNREACHABLE:  # what needs the database and cannot wait for it: a polite "a minute, please"

        @app.exception_handler(unreachable)
        async def database_down(request: Request, exc: Exception) -> JSONResponse:
            log.warning("the database is unreachable (%s): answered 503", type(exc).__name__)
            staff = request.url.path.startswith(STAFF_PATHS)
            message = STAFF_DATABASE_DOWN if staff else DATABASE_DOWN
            return JSONResponse(status_code=503, content={"message": message}, headers={"Retry-After": "30"})


def _pending(parts: Parts) -> int:
    """Turns waiting for the database (0 when Redis cannot say: its own check reports that)."""
    if parts.dialogue.pending is None:
        return 0
    try:
        return parts.dialogue.pending.waiting()
    except Exception:
        return 0


def _tree_check(parts: Parts, checks: dict[str, str]) -> int | None:
    """The published tree's line; while the database cannot say which is current, the one new conversations start
    on (the newest this process has loaded). Its version, or None."""
    trees = parts.dialogue.trees
    try:
        version = trees.current_version()
    except UNREACHABLE:
        loaded = trees.newest_loaded()
        if loaded is None:
            checks["tree"] = "error: the database is unreachable and no tree is loaded: new conversations wait"
        else:
            checks["tree"] = f"{KEPT} version {loaded}, the newest loaded (the database cannot say which is current)"
        return loaded
    except Exception as exc:
        checks["tree"] = f"error: {exc}"
        return None
    checks["tree"] = f"version {version}"
    return version


def _add_health(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    def readyz(parts: PartsDep) -> JSONResponse:
        """The database, Redis and a published tree are there; `degraded` names the checks in error and the
        backlogs kept in Redis while the database is away (the line still answers: docs/ARCHITECTURE.md)."""
        checks: dict[str, str] = {}
        try:
            with parts.sessions() as session:
                session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # report, do not crash: this endpoint exists to say what is wrong
            checks["database"] = f"error: {type(exc).__name__}"
        try:
            parts.redis.client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
        version = _tree_check(parts, checks)
        checks.update(parts.channels.checks())
        waiting = _pending(parts)
        if waiting:
            checks["pending_log"] = (
                f"{KEPT} {waiting} records (new conversations, turns, queue and call events) in Redis"
            )
        try:
            if version is not None:
                checks["understanding"] = parts.dialogue.trees.get(version).matcher.second_opinion_state()
        except Exception as exc:
            checks["understanding"] = f"error: {exc}"
        ready = all(not v.startswith("error") for v in checks.values())
        degraded = [name for name, value in checks.items() if value.startswith(("error", KEPT))]
        content = {"ready": ready, "checks": checks, "degraded": degraded}
        return JSONResponse(status_code=200 if ready else 503, content=content)


class _Hotline(FastAPI):
    """The app, with its 413s said in its own words (`hotline.too_large`): outside even FastAPI's own
    middleware, where the body limit's plain-text answer is sent."""

    def build_middleware_stack(self) -> ASGIApp:
        return SaysTooLarge(super().build_middleware_stack())
