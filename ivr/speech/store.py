"""What the stream and the `<Connect action>` request share through Redis (every key under the prefix).

- `{prefix}:speech:listen:{token}`: what to listen for, written with the TwiML; the stream takes it
  once, so the token in `<Parameter>` both finds it and proves the stream comes from our TwiML.
- `{prefix}:speech:heard:{CallSid}:{step}`: `listening` while the stream runs, then the outcome,
  read by the `<Connect action>` request that Twilio makes when the stream ends.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass

import redis

from ivr.speech.listening import End

LISTENING = "listening"
# Twilio asks for the action as soon as we close the socket; it may be a moment ahead of our write.
RESULT_WAIT_SECONDS = 3.0
# A stream stopped at once (a `stop` right after `start`) may reach the action before our server has
# read its `start`: a moment's wait for it, then no stream ran (the engine asks again).
STREAM_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class Listener:
    """One language to listen in: a grammar (JSON for Vosk), or None for the full vocabulary."""

    lang: str
    grammar: str | None


@dataclass(frozen=True)
class Listen:
    step: int
    listeners: tuple[Listener, ...]


@dataclass(frozen=True)
class Outcome:
    """How a turn ended and what was heard: keys, or words with a confidence, or nothing."""

    end: End
    digits: str = ""
    transcript: str = ""
    confidence: float | None = None

    def params(self) -> dict[str, str]:
        """The outcome as the form fields of a `<Gather action>`, so one code path reads both."""
        if self.digits:
            return {"Digits": self.digits}
        if self.transcript:
            confidence = "" if self.confidence is None else f"{self.confidence:.3f}"
            return {"SpeechResult": self.transcript, "Confidence": confidence}
        return {}


class SpeechStore:
    def __init__(self, client: redis.Redis, prefix: str, ttl_seconds: int) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl = ttl_seconds

    def _listen_key(self, token: str) -> str:
        return f"{self.prefix}:speech:listen:{token}"

    def _heard_key(self, call_sid: str, step: int) -> str:
        return f"{self.prefix}:speech:heard:{call_sid}:{step}"

    def expect(self, listen: Listen) -> str:
        """Store what to listen for; the token for the stream's `<Parameter>`."""
        token = secrets.token_urlsafe(24)
        data = {"step": listen.step, "listeners": [asdict(listener) for listener in listen.listeners]}
        self.client.set(self._listen_key(token), json.dumps(data, ensure_ascii=False), ex=self.ttl)
        return token

    def take(self, token: str) -> Listen | None:
        """What a stream listens for, once: a second stream with the same token gets None."""
        if not token or len(token) > 64:
            return None
        raw = self.client.getdel(self._listen_key(token))
        if raw is None:
            return None
        data = json.loads(raw)
        listeners = tuple(Listener(lang=item["lang"], grammar=item["grammar"]) for item in data["listeners"])
        return Listen(step=int(data["step"]), listeners=listeners)

    def listening(self, call_sid: str, step: int) -> None:
        self.client.set(self._heard_key(call_sid, step), LISTENING, ex=self.ttl)

    def heard(self, call_sid: str, step: int, outcome: Outcome) -> None:
        data = {**asdict(outcome), "end": outcome.end.value}
        self.client.set(self._heard_key(call_sid, step), json.dumps(data, ensure_ascii=False), ex=self.ttl)

    def outcome(self, call_sid: str, step: int, wait_seconds: float = RESULT_WAIT_SECONDS) -> Outcome | None:
        """The turn's outcome; waits while its stream is still writing it (or not yet started), None
        when no stream ran."""
        began = time.monotonic()
        while True:
            raw = self.client.get(self._heard_key(call_sid, step))
            waited = time.monotonic() - began
            if raw is not None and raw != LISTENING:
                break
            if waited >= (STREAM_WAIT_SECONDS if raw is None else wait_seconds):
                return None
            time.sleep(0.02)
        data = json.loads(raw)
        return Outcome(
            end=End(data["end"]),
            digits=data["digits"],
            transcript=data["transcript"],
            confidence=data["confidence"],
        )
