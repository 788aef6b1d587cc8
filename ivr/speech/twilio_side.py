"""Twilio's side of a media stream: the frames Twilio sends for a call, for tests and the benchmark.

Shaped as Twilio documents them: `connected`, then `start` with the `<Parameter>`s, then one `media`
frame per 20 ms of µ-law audio (base64, sequence numbers, chunks and timestamps as strings), `dtmf`,
`mark` and `stop`.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

FRAME_BYTES = 160  # 20 ms of 8 kHz µ-law


def _sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@dataclass
class TwilioStream:
    """The frames of one stream, numbered as Twilio numbers them."""

    call_sid: str = field(default_factory=lambda: _sid("CA"))
    account_sid: str = "AC" + "0" * 32
    stream_sid: str = field(default_factory=lambda: _sid("MZ"))
    sequence: int = 0
    chunk: int = 0
    sent_bytes: int = 0

    def _frame(self, event: str, **body: Any) -> str:
        self.sequence += 1
        message: dict[str, Any] = {"event": event, "sequenceNumber": str(self.sequence), "streamSid": self.stream_sid}
        return json.dumps({**message, **body})

    def connected(self) -> str:
        return json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})

    def start(self, parameters: Mapping[str, str]) -> str:
        start = {
            "streamSid": self.stream_sid,
            "accountSid": self.account_sid,
            "callSid": self.call_sid,
            "tracks": ["inbound"],
            "customParameters": dict(parameters),
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        return self._frame("start", start=start)

    def media(self, ulaw: bytes) -> Iterator[str]:
        """The audio as 20 ms frames (a short last frame padded with silence, as a phone line would)."""
        for offset in range(0, len(ulaw), FRAME_BYTES):
            payload = ulaw[offset : offset + FRAME_BYTES].ljust(FRAME_BYTES, b"\xff")
            self.chunk += 1
            media = {
                "track": "inbound",
                "chunk": str(self.chunk),
                "timestamp": str(self.sent_bytes // 8),
                "payload": base64.b64encode(payload).decode("ascii"),
            }
            self.sent_bytes += len(payload)
            yield self._frame("media", media=media)

    def dtmf(self, digit: str) -> str:
        return self._frame("dtmf", dtmf={"track": "inbound_track", "digit": digit})

    def mark(self, name: str) -> str:
        return self._frame("mark", mark={"name": name})

    def stop(self) -> str:
        return self._frame("stop", stop={"accountSid": self.account_sid, "callSid": self.call_sid})
