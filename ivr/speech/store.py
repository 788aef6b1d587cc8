"""What the stream and the `<Connect action>` request share through Redis (every key under the prefix).

- `{prefix}:speech:listen:{token}`: what to listen for, written with the TwiML; the stream takes it
  once, so the token in `<Parameter>` both finds it and proves the stream comes from our TwiML.
- `{prefix}:speech:heard:{CallSid}:{step}`: `listening` while the stream runs (`speaking` once a
  forked question's caller has begun to talk), then the outcome, read by the action request. The
  outcome is written once: by the stream, or (a forked question) by the action when a key or
  Twilio's timeout ends the turn first; whoever comes second learns the turn is over.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass

import redis

from ivr.speech.listening import End

LISTENING = "listening"
SPEAKING = "speaking"
# Writes the turn's outcome (ARGV[1], ttl ARGV[2]) only while its stream is on (ARGV[3..]): 1 when written.
_WHILE_ON = """
local now = redis.call('GET', KEYS[1])
for i = 3, #ARGV do
  if now == ARGV[i] then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
    return 1
  end
end
return 0
"""
# Ends the turn with ARGV[1] unless it is over, or (ARGV[3] = '0') its caller is speaking: what stands.
_END = """
local now = redis.call('GET', KEYS[1])
if now == false or now == ARGV[4] or (now == ARGV[5] and ARGV[3] == '1') then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return ARGV[1]
end
return now
"""
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
    forked: bool = False  # `<Start><Stream>` over the prompt, not `<Connect><Stream>` after it
    language: bool = False  # the language question (its action says so)


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
        self._while_on_script = client.register_script(_WHILE_ON)
        self._end_script = client.register_script(_END)

    def _listen_key(self, token: str) -> str:
        return f"{self.prefix}:speech:listen:{token}"

    def _heard_key(self, call_sid: str, step: int) -> str:
        return f"{self.prefix}:speech:heard:{call_sid}:{step}"

    def expect(self, listen: Listen) -> str:
        """Store what to listen for; the token for the stream's `<Parameter>`."""
        token = secrets.token_urlsafe(24)
        listeners = [asdict(listener) for listener in listen.listeners]
        data: dict[str, object] = {"step": listen.step, "listeners": listeners}
        if listen.forked:  # written only when set: a `<Connect>` question's record stays as it was
            data |= {"forked": True, "language": listen.language}
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
        forked, language = bool(data.get("forked")), bool(data.get("language"))
        return Listen(step=int(data["step"]), listeners=listeners, forked=forked, language=language)

    def listening(self, call_sid: str, step: int) -> bool:
        """The stream of `step` is on; False when its turn is already over (a key came first)."""
        return bool(self.client.set(self._heard_key(call_sid, step), LISTENING, ex=self.ttl, nx=True))

    def speaking(self, call_sid: str, step: int, ttl_seconds: int) -> bool:
        """The caller has begun to talk, and the turn is still on. `ttl_seconds` bounds the state should the
        stream die: the action then takes the turn as silent."""
        return self._while_on(call_sid, step, SPEAKING, ttl_seconds, LISTENING)

    def heard(self, call_sid: str, step: int, outcome: Outcome) -> bool:
        """The stream's outcome, written unless the turn was ended by the action first (False then)."""
        return self._while_on(call_sid, step, _dump(outcome), self.ttl, LISTENING, SPEAKING)

    def end(self, call_sid: str, step: int, outcome: Outcome, *, over_speech: bool) -> Outcome | None:
        """The action ends a forked question's turn with `outcome` (a key, or silence) unless the stream has
        ended it, or (without `over_speech`) its caller is talking; the outcome that stands, None while
        they talk."""
        key, args = self._heard_key(call_sid, step), (_dump(outcome), self.ttl, int(over_speech), LISTENING, SPEAKING)
        now = str(self._end_script(keys=[key], args=args))
        return None if now in (SPEAKING, LISTENING) else _load(now)

    def _while_on(self, call_sid: str, step: int, value: str, ttl: int, *states: str) -> bool:
        return bool(self._while_on_script(keys=[self._heard_key(call_sid, step)], args=[value, ttl, *states]))

    def outcome(self, call_sid: str, step: int, wait_seconds: float = RESULT_WAIT_SECONDS) -> Outcome | None:
        """The turn's outcome; waits while its stream is still writing it (or not yet started), None
        when no stream ran."""
        began = time.monotonic()
        while True:
            raw = self.client.get(self._heard_key(call_sid, step))
            waited = time.monotonic() - began
            if raw is not None and raw not in (LISTENING, SPEAKING):
                return _load(raw)
            if waited >= (STREAM_WAIT_SECONDS if raw is None else wait_seconds):
                return None
            time.sleep(0.02)


def _dump(outcome: Outcome) -> str:
    return json.dumps({**asdict(outcome), "end": outcome.end.value}, ensure_ascii=False)


def _load(raw: str | bytes) -> Outcome:
    data = json.loads(raw)
    return Outcome(
        end=End(data["end"]), digits=data["digits"], transcript=data["transcript"], confidence=data["confidence"]
    )
