"""One caller's turn: a recogniser per language (`Ear`) and the rules that end the turn (`TurnClock`).

`TurnClock` is pure and counts time in audio received, not on the wall clock, so a turn ends the
same way however fast the frames arrive (a test sends them at once, Twilio every 20 ms). An `Ear`
wraps one Vosk recogniser and must be used by one thread at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

import vosk

from ivr.speech.grammar import UNKNOWN_TOKENS

SAMPLE_RATE = 8000
ULAW_BYTES_PER_MS = SAMPLE_RATE // 1000


class End(StrEnum):
    """Why a turn ended."""

    SPEECH = "speech"  # the recogniser closed an utterance with words
    SILENCE = "silence"  # words, then a quiet line: the caller has finished
    PAUSE = "pause"  # words, then nothing new for a while on a line too noisy to fall quiet
    NO_SPEECH = "no_speech"  # nothing said in time: the prompt again
    TIME_LIMIT = "time_limit"  # still talking at the limit: what was heard so far
    DTMF = "dtmf"
    STOP = "stop"  # Twilio ended the stream (hang-up) or the socket went away


@dataclass(frozen=True)
class Heard:
    text: str = ""
    confidence: float | None = None

    @property
    def has_words(self) -> bool:
        """Words besides the unknown-word token (what noise often decodes to)."""
        return has_words(self.text)


def has_words(text: str) -> bool:
    return any(word not in UNKNOWN_TOKENS for word in text.split())


@dataclass(frozen=True)
class Hearing:
    """What one recogniser made of the audio so far: an utterance it closed, or its current guess."""

    final: Heard | None = None
    partial: str | None = None  # None when the recogniser was not asked this time


def _heard(result_json: str) -> Heard:
    result = json.loads(result_json)
    words = result.get("result") or []
    confidences = [float(w["conf"]) for w in words if "conf" in w]
    confidence = round(sum(confidences) / len(confidences), 3) if confidences else None
    return Heard(text=" ".join(str(result.get("text", "")).split()), confidence=confidence)


class Ear:
    """A recogniser for one call in one language: the menu's grammar, or the full vocabulary."""

    def __init__(self, lang: str, model: vosk.Model, grammar_json: str | None) -> None:
        self.lang = lang
        if grammar_json is None:
            self.recogniser = vosk.KaldiRecognizer(model, SAMPLE_RATE)
        else:
            self.recogniser = vosk.KaldiRecognizer(model, SAMPLE_RATE, grammar_json)
        self.recogniser.SetWords(True)  # per-word confidence

    def hear(self, pcm: bytes, *, partial: bool) -> Hearing:
        """Feed 16-bit PCM at 8 kHz (Vosk resamples inside); its current guess too when `partial`."""
        if self.recogniser.AcceptWaveform(pcm):
            return Hearing(final=_heard(self.recogniser.Result()))
        if not partial:
            return Hearing()
        return Hearing(partial=str(json.loads(self.recogniser.PartialResult()).get("partial", "")))

    def finish(self, pcm: bytes = b"") -> Heard:
        """The last of the audio, then whatever is pending, as the end of the utterance."""
        if pcm and self.recogniser.AcceptWaveform(pcm):
            heard = _heard(self.recogniser.Result())
            if heard.has_words:
                return heard
        return _heard(self.recogniser.FinalResult())


@dataclass(frozen=True)
class Limits:
    no_speech_ms: int
    silence_ms: int
    pause_ms: int
    max_ms: int


@dataclass(frozen=True)
class Decision:
    end: End | None = None
    heard: Heard | None = None
    barge_in: bool = False  # the caller has just started to speak


class TurnClock:
    """Decides, after each piece of audio, whether the caller's turn is over.

    Speech has begun once a recogniser's guess has words; from then on a quiet line for
    `silence_ms` ends the turn (sooner than the model's own endpoint), and so does a guess that
    stops changing for `pause_ms` (a line never quiet enough).
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.speaking_since: int | None = None
        self.last_change_ms = 0
        self.last_partial = ""

    def after(self, hearings: list[Hearing], audio_ms: int, *, quiet_ms: int) -> Decision:
        """`hearings` from each ear for the audio up to `audio_ms`, the last `quiet_ms` of it a quiet line."""
        for hearing in hearings:
            if hearing.final is not None and hearing.final.has_words:
                return Decision(End.SPEECH, hearing.final)
        barge_in = self._listen(hearings, audio_ms)
        return Decision(self._end(audio_ms, quiet_ms), barge_in=barge_in)

    def _listen(self, hearings: list[Hearing], audio_ms: int) -> bool:
        """Follow the recognisers' guesses; True when they show the caller has just begun to speak."""
        guesses = [h.partial for h in hearings if h.partial is not None]
        if not guesses:
            return False
        partial = next((guess for guess in guesses if has_words(guess)), "")
        if partial != self.last_partial:
            self.last_partial, self.last_change_ms = partial, audio_ms
        if partial and self.speaking_since is None:
            self.speaking_since = audio_ms
            return True
        return False

    def _end(self, audio_ms: int, quiet_ms: int) -> End | None:
        limits = self.limits
        if audio_ms >= limits.max_ms:
            return End.TIME_LIMIT
        if self.speaking_since is None:
            return End.NO_SPEECH if audio_ms >= limits.no_speech_ms else None
        if quiet_ms >= limits.silence_ms:
            return End.SILENCE
        if audio_ms - self.last_change_ms >= limits.pause_ms:
            return End.PAUSE
        return None
