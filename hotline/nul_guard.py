"""Refuse any request that carries a NUL character (U+0000), before a route can use it.

No text a citizen or a member of staff sends has a use for it, and PostgreSQL cannot keep it in a text
column (SQLite can: only one of the two databases failed, with a 500, after the dialogue had moved on).
So it is judged once, here, where every request comes in: the path and the query string at once, the
body as the app reads it (chunk by chunk, nothing buffered) — a raw zero byte in any body, `%00` in an
urlencoded form, `\\u0000` in JSON. The answer is a 400 with a message. Bodies of signed webhooks pass
unread: their bytes must reach the signature check exactly as sent, and the channel's codec drops the
character from the text instead (`channels.viber.wire`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MESSAGE = "the request contains a NUL character (U+0000), which no text may contain"
URLENCODED_NUL = re.compile(rb"%00|\x00")
# `\u0000` as an escape, not an escaped backslash followed by the letters u0000.
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000|\x00")
KEEP = 16  # bytes of one chunk kept to find a pattern split across two chunks


class RefuseNul:
    """Pure ASGI middleware: 400 for a NUL anywhere in a request, except the bodies of `signed` paths."""

    def __init__(self, app: ASGIApp, signed: Iterable[str] = ()) -> None:
        self.app = app
        self.signed = frozenset(signed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or URLENCODED_NUL.search(scope["query_string"]):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await JSONResponse({"message": MESSAGE}, status_code=400)(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"] not in self.signed:
            receive = _Scanned(receive, _pattern(scope))
        await self.app(scope, receive, send)


def _pattern(scope: Scope) -> re.Pattern[bytes]:
    content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
    return JSON_NUL if b"json" in content_type else URLENCODED_NUL


class _Scanned:
    """A `receive` that raises a 400 (through the app's own handlers) when the body holds a NUL."""

    def __init__(self, receive: Receive, pattern: re.Pattern[bytes]) -> None:
        self.receive = receive
        self.pattern = pattern
        self.tail = b""  # the end of the body so far, never starting inside a run of backslashes

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request" and (chunk := message.get("body", b"")):
            window = self.tail + chunk
            if self.pattern.search(window):
                raise HTTPException(status_code=400, detail=MESSAGE)
            start = max(0, len(window) - KEEP)
            while start > 0 and window[start - 1 : start] == b"\\":
                start -= 1
            self.tail = window[start:]
        return message
