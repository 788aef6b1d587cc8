"""Security headers on every answer, by the kind of page (the header values are built with `secure`).

Staff pages (`/login`, `/operator…`, `/supervisor`, `/admin…`: names, dates of birth, tax numbers, addresses) get a
Content-Security-Policy that allows only our own scripts, styles, images and connections and no
framing, `X-Frame-Options: DENY` for older browsers, and `Cache-Control: no-store` so nothing stays
in a shared computer's cache or a proxy. API answers and `/metrics` are `no-store` too. Every answer
says `nosniff` and sends no referrer to other sites. The citizen's chat page may be framed by the
office's own site, so it gets no framing ban.
"""

from __future__ import annotations

from collections.abc import Mapping

import secure
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STAFF_PREFIXES = ("/login", "/logout", "/operator", "/supervisor", "/admin")
PRIVATE_PREFIXES = ("/api/", "/metrics")

_NOSNIFF = secure.XContentTypeOptions().nosniff()
_REFERRER = secure.ReferrerPolicy().same_origin()
_CSP = (
    secure.ContentSecurityPolicy()
    .default_src("'self'")
    .script_src("'self'")
    .style_src("'self'", "'unsafe-inline'")  # the staff pages' base template carries its small stylesheet
    .img_src("'self'", "data:")
    .connect_src("'self'")  # the console's API calls and live WebSocket
    .frame_ancestors("'none'")
    .base_uri("'none'")
    .form_action("'self'")
    .object_src("'none'")
)
_NO_STORE = secure.CacheControl().no_store()
STAFF = secure.Secure(csp=_CSP, xfo=secure.XFrameOptions().deny(), cache=_NO_STORE, xcto=_NOSNIFF, referrer=_REFERRER)
PRIVATE = secure.Secure(cache=_NO_STORE, xcto=_NOSNIFF, referrer=_REFERRER)
PUBLIC = secure.Secure(xcto=_NOSNIFF, referrer=_REFERRER)


def headers_for(path: str) -> Mapping[str, str]:
    if "/static/" in path:  # scripts and styles: cached as usual
        return PUBLIC.headers
    if path.startswith(STAFF_PREFIXES):
        return STAFF.headers
    return PRIVATE.headers if path.startswith(PRIVATE_PREFIXES) else PUBLIC.headers


class SecurityHeaders:
    """Pure ASGI middleware adding `headers_for(path)` to every HTTP answer (replacing what a route set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
