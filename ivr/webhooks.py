"""The lean path of Twilio's webhooks: their endpoints run straight from ASGI, without FastAPI around them.

The routes in `ivr.routes` (and `/twilio/speech`) declare each webhook — URL, query parameters and their
rules, the entry in /docs — and their endpoints are what answers. Through FastAPI a turn spent most of its
CPU around the endpoint (session middleware, routing, dependency solving, form parsing, the shared
thread pool: docs/BENCHMARKS.md). This middleware sits inside the request metrics and in front of
everything else; a POST to a webhook's exact path has its body parsed once, its signature checked
(`ivr.line.check`), its query validated against the parameters the endpoint declares, and the endpoint
called in a small pool of its own. The body is counted while it is read against the phone line's
`MAX_BODY` (413 past it, before any parsing or signature check). Refusals have the app's one error
shape (`hotline.refusals`), so a 403, 400, 413, 422 or 429 reads the same on both paths.

Only public API: an endpoint's parameters are read from its signature (`inspect`), and its query
parameters are validated by a Pydantic model made of the very `Query(...)` it declares (FastAPI
documents `Query` as a Pydantic `FieldInfo`), so a FastAPI release that reshapes its internals cannot
break the phone line.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin
from urllib.parse import parse_qsl

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError, create_model
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from hotline import refusals
from hotline.deps import Parts
from hotline.rate_limits import CONVERSATION_WEBHOOKS, WEBHOOKS, address
from ivr.line import MAX_BODY, TwilioCall, check, phone_of

FORM = b"application/x-www-form-urlencoded"
QUERY = type(Query())  # what a parameter declared with FastAPI's `Query(...)` carries: a Pydantic FieldInfo


@dataclass(frozen=True)
class Hook:
    """One webhook route, the names its endpoint takes the signed call and the parts by, and the model its
    query parameters are validated with."""

    route: APIRoute
    call: str
    parts: str
    query: type[BaseModel]

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
        try:  # the last value of a repeated parameter, as FastAPI takes it
            values = self.query.model_validate(dict(request.query_params)).model_dump()
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from None
        arguments = {self.call: call, self.parts: parts, **values}
        endpoint = functools.partial(self.route.endpoint, **arguments)
        answer = await asyncio.get_running_loop().run_in_executor(threads, endpoint)
        if not isinstance(answer, Response):
            raise TypeError(f"{self.route.path} answered {type(answer).__name__}, not a Response")
        return answer


def hook_of(route: BaseRoute) -> Hook | None:
    """The route as a lean webhook: a synchronous POST endpoint taking only the signed call, the parts and
    query values (anything else is left to FastAPI)."""
    if not isinstance(route, APIRoute) or route.methods != {"POST"} or inspect.iscoroutinefunction(route.endpoint):
        return None
    call = parts = None
    fields: dict[str, Any] = {}
    for name, parameter in inspect.signature(route.endpoint, eval_str=True).parameters.items():
        kind, *marks = get_args(parameter.annotation) if get_origin(parameter.annotation) is Annotated else [None]
        if kind is TwilioCall and call is None:
            call = name
        elif kind is Parts and parts is None:
            parts = name
        elif len(marks) == 1 and isinstance(marks[0], QUERY):
            required = parameter.default is inspect.Parameter.empty
            fields[name] = (parameter.annotation, ... if required else parameter.default)
        else:  # a header, a body, the request itself...: FastAPI's to solve
            return None
    if call is None or parts is None:
        return None
    query = create_model(f"Query of {route.path}", **fields)
    return Hook(route, call=call, parts=parts, query=query)


class TwilioWebhooks:
    """Pure ASGI middleware answering the webhooks of `routes` (those `hook_of` takes) itself."""

    def __init__(self, app: ASGIApp, routes: Iterable[BaseRoute], threads: int) -> None:
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
        # Routing, which would apply the webhooks' own limit, is skipped here: the limit is applied here.
        limited = RequestBodyLimitMiddleware(functools.partial(self._answer, hook), MAX_BODY)
        await limited(scope, receive, send)

    async def _answer(self, hook: Hook, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        scope["route"] = hook.route  # counted under its template (hotline.metrics)
        try:
            response = await hook.answer(request, request.app.state.parts, self.threads)
        except HTTPException as exc:
            response = refusals.refused(exc)
        except RequestValidationError as exc:
            response = refusals.invalid(exc)
        await response(scope, receive, send)

    def _hook(self, scope: Scope) -> Hook | None:
        """The webhook a request is for. Twilio posts urlencoded forms: anything else goes the long way
        (and is refused there as before)."""
        if scope["type"] != "http" or scope["method"] != "POST" or (hook := self.hooks.get(scope["path"])) is None:
            return None
        content_type: bytes = dict(scope["headers"]).get(b"content-type", b"")
        return hook if content_type.startswith(FORM) else None
