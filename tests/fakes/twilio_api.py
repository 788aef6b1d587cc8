"""A local stand-in for Twilio's REST API (the calls update; recordings fetched and deleted), on 127.0.0.1
over real HTTP.

It checks the Basic auth like Twilio, records every request it receives, and answers like Twilio:
the call resource as JSON, a recording's audio, 204 for a deletion, or Twilio's error body.
`fail_next` and `hang_next` make it misbehave; `recordings` holds the audio it keeps.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

CALL_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Calls/(CA[0-9a-f]{32})\.json$")
RECORDING_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Recordings/(RE[0-9a-f]{32})\.(json|mp3)$")
NOT_FOUND = {"code": 20404, "message": "The requested resource was not found", "status": 404}


@dataclass(frozen=True)
class Received:
    account_sid: str
    call_sid: str
    form: dict[str, str]
    at: float = field(default_factory=time.perf_counter)  # when it arrived (a benchmark times the server by it)


@dataclass
class FakeTwilioApi:
    account_sid: str
    auth_token: str
    received: list[Received] = field(default_factory=list)
    failures: list[tuple[int, int, str]] = field(default_factory=list)  # (status, code, message)
    hang_seconds: float = 0.0
    gone: set[str] = field(default_factory=set)  # calls that have ended
    by_call: dict[str, list[Received]] = field(default_factory=dict)  # `received`, by CallSid
    recordings: dict[str, bytes] = field(default_factory=dict)  # RecordingSid → audio Twilio keeps
    recording_requests: list[tuple[str, str]] = field(default_factory=list)  # (method, RecordingSid)
    url: str = ""

    def fail_next(self, status: int, code: int, message: str) -> None:
        self.failures.append((status, code, message))

    def twiml_for(self, call_sid: str) -> list[str]:
        """The TwiML of every update of `call_sid` received so far (failed ones included), in order."""
        return [r.form.get("Twiml", "") for r in self.of(call_sid)]

    def of(self, call_sid: str) -> list[Received]:
        return list(self.by_call.get(call_sid, ()))

    def start(self) -> FakeTwilioApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._recording(self)

            def do_DELETE(self) -> None:
                fake._recording(self)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _authorised(self, request: BaseHTTPRequestHandler) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == expected

    def _recording(self, request: BaseHTTPRequestHandler) -> None:
        """GET …/Recordings/RE….mp3 (the audio) and DELETE …/Recordings/RE….json (204), as Twilio answers."""
        if not self._authorised(request):
            return _reply(request, 401, {"code": 20003, "message": "Authenticate", "status": 401})
        found = RECORDING_PATH.match(request.path)
        if found is None or found.group(1) != self.account_sid:
            return _reply(request, 404, NOT_FOUND)
        sid, method = found.group(2), request.command
        self.recording_requests.append((method, sid))
        if self.failures:
            status, code, message = self.failures.pop(0)
            return _reply(request, status, {"code": code, "message": message, "status": status})
        if sid not in self.recordings or (method == "GET") != (found.group(3) == "mp3"):
            return _reply(request, 404, NOT_FOUND)
        if method == "DELETE":
            del self.recordings[sid]
            request.send_response(204)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return None
        audio = self.recordings[sid]
        request.send_response(200)
        request.send_header("Content-Type", "audio/mpeg")
        request.send_header("Content-Length", str(len(audio)))
        request.end_headers()
        request.wfile.write(audio)
        return None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length).decode()
        found = CALL_PATH.match(request.path)
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return _reply(request, 401, {"code": 20003, "message": "Authenticate", "status": 401})
        if found is None or found.group(1) != self.account_sid:
            return _reply(
                request, 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
            )
        form = {k: v[0] for k, v in parse_qs(body).items()}
        received = Received(account_sid=found.group(1), call_sid=found.group(2), form=form)
        self.received.append(received)
        self.by_call.setdefault(received.call_sid, []).append(received)
        if self.hang_seconds:
            time.sleep(self.hang_seconds)
        if self.failures:
            status, code, message = self.failures.pop(0)
            return _reply(request, status, {"code": code, "message": message, "status": status})
        if found.group(2) in self.gone:
            message = "Call is not in-progress. Cannot redirect."
            return _reply(request, 400, {"code": 21220, "message": message, "status": 400})
        return _reply(request, 200, {"sid": found.group(2), "account_sid": self.account_sid, "status": "in-progress"})


def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, object]) -> None:
    data = json.dumps(body).encode()
    try:
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up waiting (the "hang" case): nobody is left to answer
