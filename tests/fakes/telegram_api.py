"""A local fake of Telegram's Bot API on 127.0.0.1: records what it receives; fails, limits or hangs on demand.

Calls go to `/bot{TOKEN}/{method}` and are answered as Telegram answers (`{"ok": true, "result": …}`);
files to `/file/bot{TOKEN}/{path}`. Scripted trouble applies to the next calls in order: an HTTP error
(`fail_next`), a 429 with `retry_after` (`limit_next`), a refusal such as 403 "bot was blocked by the
user" (`refuse_next`), a hang longer than the caller's timeout (`hang_next`), or an answer later than
that (`answer_late_next`: delivered, but the caller never hears so). Calls answered `ok`, late or not,
count as `delivered`: that is what a citizen would see.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    token: str
    body: dict[str, Any]
    at: float  # time.monotonic() on arrival

    @property
    def chat_id(self) -> Any:
        return self.body.get("chat_id")

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")


@dataclass(frozen=True)
class Trouble:
    http_status: int = 200
    retry_after: int | None = None
    description: str = ""
    hang_seconds: float = 0.0
    late_seconds: float = 0.0
    method: str | None = None  # only a call of this method meets it (None: the next call, whatever it is)


class FakeTelegramApi:
    def __init__(self, token: str) -> None:
        self.token = token
        self.arrived: list[Received] = []  # every call, including failed and hung ones
        self.delivered: list[Received] = []  # answered ok
        self.files: dict[str, bytes] = {}
        self._trouble: deque[Trouble] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake._call(self, raw)

            def do_GET(self) -> None:
                fake._download(self)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    # ---- scripting ------------------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, http_status: int = 502) -> None:
        self._script(count, Trouble(http_status=http_status, description="Bad Gateway"))

    def limit_next(self, count: int = 1, *, retry_after: int = 1) -> None:
        description = f"Too Many Requests: retry after {retry_after}"
        self._script(count, Trouble(http_status=429, retry_after=retry_after, description=description))

    def refuse_next(
        self,
        count: int = 1,
        *,
        code: int = 403,
        description: str = "Forbidden: bot was blocked by the user",
        method: str | None = None,
    ) -> None:
        self._script(count, Trouble(http_status=code, description=description, method=method))

    def hang_next(self, count: int = 1, *, seconds: float = 3.0) -> None:
        self._script(count, Trouble(hang_seconds=seconds))

    def answer_late_next(self, count: int = 1, *, seconds: float = 3.0) -> None:
        self._script(count, Trouble(late_seconds=seconds))

    def add_file(self, file_id: str, data: bytes) -> None:
        self.files[file_id] = data

    def _script(self, count: int, trouble: Trouble) -> None:
        with self._lock:
            self._trouble.extend([trouble] * count)

    # ---- reading --------------------------------------------------------------------------------

    def calls(self, method: str | None = None, chat_id: int | None = None) -> list[Received]:
        with self._lock:
            found = list(self.delivered)
        return [
            c for c in found if (method is None or c.method == method) and (chat_id is None or c.chat_id == chat_id)
        ]

    def texts(self, chat_id: int) -> list[str]:
        return [c.text for c in self.calls("sendMessage", chat_id)]

    def wait_for(
        self, count: int, method: str = "sendMessage", chat_id: int | None = None, timeout: float = 10
    ) -> list[Received]:
        """The first `count` such calls once they have arrived (waiting for the background sender)."""
        deadline = time.monotonic() + timeout
        while len(found := self.calls(method, chat_id)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(found)} {method} calls arrived, {count} expected: {[c.text for c in found]}"
                )
            time.sleep(0.02)
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ---- answering ------------------------------------------------------------------------------

    def _call(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        parts = handler.path.strip("/").split("/")
        token, method = (parts[0].removeprefix("bot"), parts[1]) if len(parts) == 2 else ("", "")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        received = Received(method, token, body if isinstance(body, dict) else {}, time.monotonic())
        with self._lock:
            self.arrived.append(received)
            trouble = next((t for t in self._trouble if t.method in (None, method)), Trouble())
            if trouble in self._trouble:
                self._trouble.remove(trouble)
        if trouble.hang_seconds:
            time.sleep(trouble.hang_seconds)
            return  # the caller gave up: nothing delivered, no answer worth sending
        if token != self.token:
            self._reply(handler, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        elif trouble.http_status != 200:
            answer: dict[str, Any] = {
                "ok": False,
                "error_code": trouble.http_status,
                "description": trouble.description,
            }
            if trouble.retry_after is not None:
                answer["parameters"] = {"retry_after": trouble.retry_after}
            self._reply(handler, trouble.http_status, answer)
        else:
            with self._lock:
                self.delivered.append(received)
            time.sleep(trouble.late_seconds)
            self._reply(handler, 200, {"ok": True, "result": self._result(received)})

    def _result(self, call: Received) -> Any:
        if call.method == "sendMessage":
            chat = {"id": call.chat_id, "type": "private"}
            return {"message_id": next(self._ids), "date": int(time.time()), "chat": chat, "text": call.text}
        if call.method == "getFile":
            file_id = str(call.body.get("file_id"))
            data = self.files.get(file_id, b"")
            return {
                "file_id": file_id,
                "file_unique_id": file_id[:8],
                "file_size": len(data),
                "file_path": f"voice/{file_id}.oga",
            }
        return True

    def _download(self, handler: BaseHTTPRequestHandler) -> None:
        prefix = f"/file/bot{self.token}/voice/"
        file_id = handler.path.removeprefix(prefix).removesuffix(".oga") if handler.path.startswith(prefix) else ""
        data = self.files.get(file_id)
        if data is None:
            self._reply(handler, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/ogg")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, answer: dict[str, Any]) -> None:
        out = json.dumps(answer, ensure_ascii=False).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(out)))
            handler.end_headers()
            handler.wfile.write(out)
        except OSError:
            pass  # the caller went away
