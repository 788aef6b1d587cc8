"""Every 413 of the app said as the app says a refusal (`hotline.refusals`, as the 429s are): a sentence in
JSON for API clients and webhooks, a page in Ukrainian or Russian for a form a browser sent.

Bodies are counted while they are read (Starlette's body limit, set for the app and lowered by the routers
of the public chat and the webhooks; the phone's lean path applies its own). Where the limit is passed decides
who answers: a route reading its body raises, and the app's handler answers; a middleware reading it, or a
route that answers without reading a body whose Content-Length is over, gets Starlette's own plain-text
answer, sent outside every middleware of ours. So the 413 is said here, around the whole app, whichever
sent it: a 413 is only ever the body limit's in this app.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline import pages, refusals
from hotline.security_headers import headers_for


class SaysTooLarge:
    """ASGI middleware around the whole app: a 413 on its way out is replaced by `answer`'s."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def said(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                replaced = True  # the rest of the original answer is dropped
                response = answer(scope)
                response.headers.update(headers_for(scope["path"]))  # this is outside `SecurityHeaders`
                await response(scope, receive, send)
            elif not replaced:
                await send(message)

        await self.app(scope, receive, said)


def answer(scope: Scope) -> Response:
    """The 413 for this request; the API's names the limit that was passed (the route's, else the app's)."""
    limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY)
    request = Request(scope)
    if _is_page(scope):
        return pages.refused(request, 413, "too_large", links=_back(request))
    most = f": at most {limit} bytes" if isinstance(limit, int) else ""
    return refusals.refused(HTTPException(status_code=413, detail=f"the request body is too large{most}"))


def _is_page(scope: Scope) -> bool:
    """A browser's form post (it asks for HTML), not a script, an API client or a webhook."""
    accepts = Headers(scope=scope).get("accept", "")
    return "text/html" in accepts and not str(scope.get("path", "")).startswith("/api/")


def _back(request: Request) -> list[tuple[str, str]]:
    """A link back to the form the body came from, when it is a page of this site."""
    came_from = urlsplit(request.headers.get("referer", ""))
    if came_from.netloc != request.url.netloc or not came_from.path.startswith("/"):
        return []
    return [(came_from.path + (f"?{came_from.query}" if came_from.query else ""), "refused_back")]
