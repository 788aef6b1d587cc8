"""The lean path of Twilio's webhooks: their endpoints run straight from ASGI, without FastAPI around them.

The routes in `ivr.routes` (and `/twilio/speech`) declare each webhook — URL, query parameters and their
rules, the entry in /docs — and their endpoints are what answers. Through FastAPI a turn spent most of its
CPU around the endpoint (session middleware, routing, dependency solving, form parsing, the shared
thread pool: docs/BENCHMARKS.md). This middleware sits inside the request metrics and in front of
everything else; a POST to a webhook's exact path has its body parsed once, its signature checked
(`ivr.line.check`), its query validated by FastAPI's own function against the route's declared
parameters, and the endpoint called in a small pool of its own. The body is counted while it is read
against the route's `max_body_size` (413 past it, before any parsing or signature check). Refusals
are answered by the app's own exception handlers, so a 403, 400, 413 or 422 reads as before.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.deps import Parts, get_parts
from hotline.rate_limits import CONVERSATION_WEBHOOKS, WEBHOOKS, address
from ivr.line import check, phone_of
from ivr.routes import signed

FORM = b"application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Hook:
    """One webhook route, and the names its endpoint takes the signed call and the parts by."""

    route: APIRoute
    call: str
    parts: str

    async def answer(self, request: Request, parts: Parts, threads: Executor) -> Response:
        """The endpoint's answer; HTTPException or RequestValidationError for a request it may not see."""
        if parts.limits is not None:  # before the body is read: a flood from one address costs nothing more
            await parts.limits.check(WEBHOOKS, address(request))
        pairs: list[tuple[str, str | UploadFile]] = [*parse_qsl((await request.body()).decode("latin-1"), True)]
        form = FormData(pairs)
        signature = request.headers.get("X-Twilio-Signature", "")
        path, query = request.scope["path"], request.scope["query_string"].decode("latin-1")
        call = check(phone_of(parts), path=path, query=query, form=form, signature=signature)
        if parts.limits is not None:  # after the signature: nobody else can spend a call's allowance
            await parts.limits.check(CONVERSATION_WEBHOOKS, f"call:{call.sid}")
        values, errors = request_params_to_args(self.route.dependant.query_params, request.query_params)
        if errors:
            raise RequestValidationError(errors)
        arguments = {self.call: call, self.parts: parts, **values}
        endpoint = self.route.endpoint
        answer = await asyncio.get_running_loop().run_in_executor(threads, functools.partial(endpoint, **arguments))
        if not isinstance(answer, Response):
            raise TypeError(f"{self.route.path} answered {type(answer).__name__}, not a Response")
        return answer


def hook_of(route: BaseRoute) -> Hook | None:
    """The route as a lean webhook: a synchronous POST endpoint taking only the signed call, the parts and
    query values (anything else is left to FastAPI)."""
    if not isinstance(route, APIRoute) or route.methods != {"POST"} or inspect.iscoroutinefunction(route.endpoint):
        return None
    dependant = route.dependant
    needs = {dependency.call: dependency.name for dependency in dependant.dependencies}
    more = [
        dependant.path_params,
        dependant.header_params,
        dependant.cookie_params,
        dependant.body_params,
        dependant.request_param_name,
        dependant.websocket_param_name,
        dependant.http_connection_param_name,
        dependant.response_param_name,
        dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
    ]
    call, parts = needs.get(signed), needs.get(get_parts)
    if len(needs) != 2 or call is None or parts is None or any(more):
        return None
    return Hook(route, call=call, parts=parts)


class TwilioWebhooks:
    """Pure ASGI middleware answering the webhooks of `routes` (those `hook_of` takes) itself."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute], threads: int) -> None:
        self.app = app
        self.hooks = {hook.route.path: hook for hook in map(hook_of, routes) if hook is not None}
        # The endpoints are synchronous (SQL, Redis): a few threads of their own, not the event loop (it
        # serves the media streams and consoles too) and not the shared pool of 40 (their GIL contention).
        self.threads = ThreadPoolExecutor(threads, thread_name_prefix="twilio-webhook")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hook = self._hook(scope)
        if hook is None:
            await self.app(scope, receive, send)
            return
        answer = functools.partial(self._answer, hook)
        if hook.route.max_body_size is None:
            await answer(scope, receive, send)
        else:  # the route's own limit, not only the app's (routing, which would apply it, is skipped here)
            await RequestBodyLimitMiddleware(answer, hook.route.max_body_size)(scope, receive, send)

    async def _answer(self, hook: Hook, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        scope["route"] = hook.route  # counted under its template (hotline.metrics)
        try:
            response = await hook.answer(request, request.app.state.parts, self.threads)
        except (HTTPException, RequestValidationError) as exc:
            response = await _refusal(request, exc)
        await response(scope, receive, send)

    def _hook(self, scope: Scope) -> Hook | None:
        """The webhook a request is for. Twilio posts urlencoded forms: anything else goes the long way
        (and is refused there as before)."""
        if scope["type"] != "http" or scope["method"] != "POST" or (hook := self.hooks.get(scope["path"])) is None:
            return None
        content_type: bytes = dict(scope["headers"]).get(b"content-type", b"")
        return hook if content_type.startswith(FORM) else None


async def _refusal(request: Request, exc: Exception) -> Response:
    """The app's own answer to `exc` (its exception handlers), so a refusal reads the same on both paths."""
    handlers: dict[Any, Any] = request.app.exception_handlers
    handler = next(handlers[kind] for kind in type(exc).__mro__ if kind in handlers)
    response = handler(request, exc)
    return await response if inspect.isawaitable(response) else response  # type: ignore[no-any-return]
