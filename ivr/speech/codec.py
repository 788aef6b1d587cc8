"""Twilio's media-stream protocol: JSON text frames in, typed events out; our few messages back.

Pure, apart from the transport: the WebSocket loop (`stream.py`) only moves text. An unknown event,
a frame that is not JSON, or a known event missing what we need gives `None`, never an exception,
so a protocol addition on Twilio's side cannot break a call.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ULAW_8K = ("audio/x-mulaw", 8000)


@dataclass(frozen=True)
class Connected:
    protocol: str
    version: str


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    encoding: str = ULAW_8K[0]
    sample_rate: int = ULAW_8K[1]


@dataclass(frozen=True)
class Media:
    """One frame of the caller's audio: µ-law bytes, `timestamp_ms` after the stream started."""

    payload: bytes
    timestamp_ms: int
    track: str = "inbound"


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Mark:
    name: str


@dataclass(frozen=True)
class Stop:
    call_sid: str


Event = Connected | Start | Media | Dtmf | Mark | Stop


class _Missing(ValueError):
    pass


def _text(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise _Missing(name)
    return value


def _part(message: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = message.get(name)
    if not isinstance(value, dict):
        raise _Missing(name)
    return value


def _connected(message: Mapping[str, Any]) -> Connected:
    return Connected(protocol=str(message.get("protocol", "")), version=str(message.get("version", "")))


def _start(message: Mapping[str, Any]) -> Start:
    start = _part(message, "start")
    params = start.get("customParameters") or {}
    media_format = start.get("mediaFormat") or {}
    return Start(
        stream_sid=str(start.get("streamSid") or _text(message, "streamSid")),
        call_sid=_text(start, "callSid"),
        account_sid=str(start.get("accountSid", "")),
        parameters={str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else {},
        encoding=str(media_format.get("encoding", ULAW_8K[0])),
        sample_rate=int(media_format.get("sampleRate", ULAW_8K[1])),
    )


def _media(message: Mapping[str, Any]) -> Media:
    media = _part(message, "media")
    payload = binascii.a2b_base64(_text(media, "payload"), strict_mode=True)
    # Twilio sends numbers as strings.
    return Media(payload=payload, timestamp_ms=int(media.get("timestamp", 0)), track=str(media.get("track", "inbound")))


def _dtmf(message: Mapping[str, Any]) -> Dtmf:
    digit = _text(_part(message, "dtmf"), "digit")
    if len(digit) != 1 or digit not in "0123456789*#":
        raise _Missing("dtmf.digit")
    return Dtmf(digit)


def _mark(message: Mapping[str, Any]) -> Mark:
    return Mark(_text(_part(message, "mark"), "name"))


def _stop(message: Mapping[str, Any]) -> Stop:
    stop = message.get("stop")
    return Stop(call_sid=str(stop.get("callSid", "")) if isinstance(stop, dict) else "")


_PARSERS: dict[str, Callable[[Mapping[str, Any]], Event]] = {
    "connected": _connected,
    "start": _start,
    "media": _media,
    "dtmf": _dtmf,
    "mark": _mark,
    "stop": _stop,
}


def parse(frame: str | bytes) -> Event | None:
    """The event a text frame carries; None for anything we do not know or cannot use."""
    try:
        message = json.loads(frame)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    parser = _PARSERS.get(str(message.get("event")))
    if parser is None:
        return None
    try:
        return parser(message)
    except (_Missing, ValueError, TypeError, AttributeError, binascii.Error):
        return None


def clear(stream_sid: str) -> str:
    """Ask Twilio to drop the audio it still has to play to the caller (barge-in)."""
    return json.dumps({"event": "clear", "streamSid": stream_sid})
