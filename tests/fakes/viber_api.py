"""A local fake of Viber's REST bot API on 127.0.0.1: records what it receives; fails or hangs on demand.

It answers like Viber (`{"status": 0, "message_token": …}`). Scripted trouble applies to the next
requests in order: an HTTP error, a Viber status other than 0, a hang longer than the caller's
timeout, or an answer later than that. A hung request counts as not delivered (the caller gave up on
it); one answered late was delivered (the citizen has it, the caller never heard so): `delivered` is
what a citizen would see.
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
    path: str
    token: str | None
    content_type: str | None
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.raw or b"{}")
        return found


@dataclass(frozen=True)
class Trouble:
    http_status: int = 200
    viber_status: int = 0
    hang_seconds: float = 0.0
    late_seconds: float = 0.0


class _Server(ThreadingHTTPServer):
    # A burst of connections (an announcement sent in bulk) waits in the backlog, as on a real server,
    # instead of being dropped and tried again by the client's TCP a second later.
    request_queue_size = 128


class FakeViberApi:
    def __init__(self) -> None:
        self.arrived: list[Received] = []  # every request, including failed and hung ones
        self.delivered: list[Received] = []  # answered with status 0
        self._trouble: deque[Trouble] = deque()
        self._tokens = itertools.count(5741311803571721087)
        self.message_tokens: dict[int, int] = {}  # id() of a delivered message's Received → the token it was given
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake._answer(self, raw)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/pa/"

    def fail_next(self, count: int = 1, *, http_status: int = 500) -> None:
        self._script(count, Trouble(http_status=http_status))

    def refuse_next(self, count: int = 1, *, viber_status: int = 12) -> None:
        self._script(count, Trouble(viber_status=viber_status))

    def hang_next(self, count: int = 1, *, seconds: float = 3.0) -> None:
        self._script(count, Trouble(hang_seconds=seconds))

    def answer_late_next(self, count: int = 1, *, seconds: float = 3.0) -> None:
        """Deliver the next requests, but answer only after `seconds` (past the caller's timeout)."""
        self._script(count, Trouble(late_seconds=seconds))

    def _script(self, count: int, trouble: Trouble) -> None:
        with self._lock:
            self._trouble.extend([trouble] * count)

    def sent_to(self, receiver: str) -> list[dict[str, Any]]:
        """Bodies of the messages delivered to one user, in order."""
        return [
            r.body for r in self.delivered if r.path.endswith("send_message") and r.body.get("receiver") == receiver
        ]

    def tokens_to(self, receiver: str) -> list[int]:
        """The message tokens Viber gave the messages delivered to one user, in order (its "seen" events name them)."""
        return [
            self.message_tokens[id(r)]
            for r in self.delivered
            if r.path.endswith("send_message") and r.body.get("receiver") == receiver
        ]

    def wait_for(self, receiver: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The user's delivered messages once there are at least `count` (or whatever came by the timeout)."""
        deadline = time.monotonic() + timeout
        while len(found := self.sent_to(receiver)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        request = Received(
            handler.path, handler.headers.get("X-Viber-Auth-Token"), handler.headers.get("Content-Type"), raw
        )
        with self._lock:
            self.arrived.append(request)
            trouble = self._trouble.popleft() if self._trouble else Trouble()
        if trouble.hang_seconds:
            time.sleep(trouble.hang_seconds)  # the caller has given up by now
            return
        if trouble.http_status != 200:
            self._reply(handler, trouble.http_status, {"error": "scripted failure"})
            return
        if trouble.viber_status:
            self._reply(handler, 200, {"status": trouble.viber_status, "status_message": "Too many requests"})
            return
        answer: dict[str, Any] = {"status": 0, "status_message": "ok", "chat_hostname": "SN-CHAT-05_"}
        if handler.path.endswith("send_message"):
            answer["message_token"] = next(self._tokens)
            self.message_tokens[id(request)] = answer["message_token"]
        if handler.path.endswith("set_webhook"):
            answer["event_types"] = json.loads(raw or b"{}").get("event_types", [])
        with self._lock:
            self.delivered.append(request)
        time.sleep(trouble.late_seconds)
        self._reply(handler, 200, answer)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        out = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(out)))
            handler.end_headers()
            handler.wfile.write(out)
        except OSError:
            pass  # the caller hung up
