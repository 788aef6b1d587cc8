"""The one small client for Twilio's REST API: update a live call with new TwiML; fetch and delete recordings.

Errors, all `TwilioError`:

- `TwilioRefused` — Twilio answered 4xx: the request is wrong for this call (e.g. the caller has
  hung up, error 21220; an unknown call, 20404). Retrying will not help.
- `TwilioUnavailable` — no answer in time, a network failure or a 5xx: it may work a bit later.

Tests point `base_url` at a local server speaking the same API (`tests/fakes/twilio_api.py`).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

CALL_SID = re.compile(r"^CA[0-9a-f]{32}$")
RECORDING_SID = re.compile(r"^RE[0-9a-f]{32}$")
API_VERSION = "2010-04-01"


class TwilioError(Exception):
    pass


class TwilioRefused(TwilioError):
    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"Twilio refused ({status}, code {code}): {message}")
        self.status = status
        self.code = code


class TwilioUnavailable(TwilioError):
    pass


class TwilioRest:
    """Made once in the app's lifespan; `aclose()` at shutdown."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        base_url: str = "https://api.twilio.com",
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.account_sid = account_sid
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            auth=(account_sid, auth_token),
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
        )

    async def update_call(self, call_sid: str, twiml: str, *, timeout: float | None = None) -> dict[str, Any]:
        """Replace what a live call is doing (e.g. take it out of `<Enqueue>` into a `<Dial>`); `timeout`
        (seconds) instead of the client's own, for a caller who is waiting on this very update."""
        if not CALL_SID.match(call_sid):
            raise ValueError(f"not a Twilio call SID: {call_sid!r}")
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{call_sid}.json"
        limit = httpx.USE_CLIENT_DEFAULT if timeout is None else httpx.Timeout(timeout)
        return _json(await self._send("POST", path, data={"Twiml": twiml}, timeout=limit))

    async def recording(self, recording_sid: str) -> tuple[bytes, str]:
        """A recording's audio (MP3) and its media type, fetched when a specialist plays it."""
        response = await self._send("GET", self._recording_path(recording_sid, "mp3"))
        return response.content, response.headers.get("content-type", "audio/mpeg")

    async def delete_recording(self, recording_sid: str) -> bool:
        """Delete a recording at Twilio; False when Twilio has no such recording (deleted before)."""
        try:
            await self._send("DELETE", self._recording_path(recording_sid, "json"))
        except TwilioRefused as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _recording_path(self, recording_sid: str, extension: str) -> str:
        if not RECORDING_SID.match(recording_sid):
            raise ValueError(f"not a Twilio recording SID: {recording_sid!r}")
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{recording_sid}.{extension}"

    async def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One request; Twilio's refusals and failures as `TwilioError`s."""
        try:
            response = await self._client.request(method, path, **options)
        except httpx.TimeoutException as exc:
            raise TwilioUnavailable(f"Twilio did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise TwilioUnavailable(f"Twilio cannot be reached ({type(exc).__name__})") from exc
        if response.status_code >= 500:
            raise TwilioUnavailable(f"Twilio failed with HTTP {response.status_code}")
        if response.status_code >= 400:
            body = _json(response)
            code = body.get("code")
            raise TwilioRefused(response.status_code, code if isinstance(code, int) else None, str(body.get("message")))
        return response

    async def aclose(self) -> None:
        await self._client.aclose()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"message": response.text[:200]}
    return body if isinstance(body, dict) else {"message": str(body)[:200]}
