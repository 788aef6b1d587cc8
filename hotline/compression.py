"""Answers compressed with gzip where the browser accepts it: the web chat's page, script and styles
shrink to about a third, seconds on a weak mobile connection.

Staff pages' HTML stays uncompressed: it carries the session's CSRF token beside text a citizen typed,
and compressing a secret together with text an attacker chooses lets the attacker guess the secret
from the sizes (BREACH). Their scripts, styles and JSON are compressed like everything else.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.security_headers import STAFF_PREFIXES

MINIMUM_SIZE = 500  # below this gzip's header costs more than it saves
LEVEL = 6  # zlib's default: nearly all of level 9's saving for a fraction of its CPU
# Already compressed, or streamed as it happens: compressing again only delays them.
ALREADY_COMPRESSED = ("text/event-stream", "application/pdf", "audio/mpeg", "image/png", "image/jpeg")


def _bears_secrets(path: str) -> bool:
    return path.startswith(STAFF_PREFIXES) and "/static/" not in path


class Compression:
    """Pure ASGI middleware: gzip for every HTTP answer except staff pages (see the module's note)."""

    def __init__(self, app: ASGIApp) -> None:
        self.plain = app
        self.gzip = GZipMiddleware(
            app, minimum_size=MINIMUM_SIZE, compresslevel=LEVEL, exclude_content_types=ALREADY_COMPRESSED
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _bears_secrets(scope["path"]):
            await self.gzip(scope, receive, send)
        else:
            await self.plain(scope, receive, send)
