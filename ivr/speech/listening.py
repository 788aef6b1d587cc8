"""One caller's turn: a recogniser per language (`Ear`) and the rules that end the turn (`TurnClock`).

`TurnClock` is pure and counts time in audio received, not on the wall clock, so a turn ends the
same way however fast the frames arrive (a test sends them at once, Twilio every 20 ms). An `Ear`
wraps one Vosk recogniser and must be used by one thread at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum

import vosk

from ivr.speech.grammar import UNKNOWN_TOKENS

SAMPLE_RATE = 8000
ULAW_BYTES_PER_MS = SAMPLE_RATE // 1000
# A forked question streams from the start of its prompt, which may take half a minute; its silence is
# timed by Twilio's `<Gather>` after the prompt. Only a fork that nobody ended runs into this backstop.
FORK_NO_SPEECH_MS = 120_000


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
    answer: bool = False  # the guess is a whole answer of the menu, one no longer answer begins with


def _heard(result_json: str) -> Heard:
    result = json.loads(result_json)
    words = result.get("result") or []
    confidences = [float(w["conf"]) for w in words if "conf" in w]
    confidence = round(sum(confidences) / len(confidences), 3) if confidences else None
    return Heard(text=" ".join(str(result.get("text", "")).split()), confidence=confidence)


def whole_answers(grammar_json: str) -> frozenset[str]:
    """A menu's phrases that no longer phrase begins with: once the guess is one, the answer is complete."""
    phrases = [str(phrase) for phrase in json.loads(grammar_json) if phrase not in UNKNOWN_TOKENS]
    return frozenset(p for p in phrases if not any(other.startswith(p + " ") for other in phrases))


class Ear:
    """A recogniser for one call in one language: the menu's grammar, or the full vocabulary."""

    def __init__(self, lang: str, model: vosk.Model, grammar_json: str | None) -> None:
        self.lang = lang
        if grammar_json is None:
            self.recogniser = vosk.KaldiRecognizer(model, SAMPLE_RATE)
            self.answers: frozenset[str] = frozenset()  # an open question has no whole answers
        else:
            self.recogniser = vosk.KaldiRecognizer(model, SAMPLE_RATE, grammar_json)
            self.answers = whole_answers(grammar_json)
        self.recogniser.SetWords(True)  # per-word confidence

    def hear(self, pcm: bytes) -> Hearing:
        """Feed 16-bit PCM at 8 kHz (Vosk resamples inside): the utterance it closed, or its current guess."""
        if self.recogniser.AcceptWaveform(pcm):
            return Hearing(final=_heard(self.recogniser.Result()))
        partial = " ".join(str(json.loads(self.recogniser.PartialResult()).get("partial", "")).split())
        return Hearing(partial=partial, answer=partial in self.answers)

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
    # The quiet line that ends a turn whose guess is already a whole answer of the menu (never longer
    # than `silence_ms`): a caller who has said a whole answer rarely goes on after a quarter second.
    answer_silence_ms: int = 250
    from_first_words: bool = False  # `max_ms` counts from the first words, not from the stream's start

    def forked(self) -> Limits:
        """The rules of a question streamed while its prompt plays (`<Start><Stream>`): the time limit
        counts from the first words, and silence is Twilio's to time (only Twilio knows when the prompt
        ends), so `no_speech_ms` becomes the backstop `FORK_NO_SPEECH_MS`."""
        return replace(self, no_speech_ms=max(self.no_speech_ms, FORK_NO_SPEECH_MS), from_first_words=True)


@dataclass(frozen=True)
class Decision:
    end: End | None = None
    heard: Heard | None = None
    barge_in: bool = False  # the caller has just started to speak


class TurnClock:
    """Decides, after each piece of audio, whether the caller's turn is over.

    Speech has begun once a recogniser's guess has words; from then on a quiet line for
    `silence_ms` ends the turn (sooner than the model's own endpoint), or for `answer_silence_ms`
    when the guess is a whole answer of the menu, and so does a guess that stops changing for
    `pause_ms` (a line never quiet enough). Called with no hearings between the recognisers'
    pieces of audio, it applies the rules of time and quiet alone.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.speaking_since: int | None = None
        self.last_change_ms = 0
        self.last_partial = ""
        self.answered = False  # the latest guess is a whole answer

    def after(self, hearings: list[Hearing], audio_ms: int, *, quiet_ms: int) -> Decision:
        """`hearings` from each ear for the audio up to `audio_ms`, the last `quiet_ms` of it a quiet line."""
        for hearing in hearings:
            if hearing.final is not None and hearing.final.has_words:
                return Decision(End.SPEECH, hearing.final)
        barge_in = self._listen(hearings, audio_ms)
        return Decision(self._end(audio_ms, quiet_ms), barge_in=barge_in)

    def _listen(self, hearings: list[Hearing], audio_ms: int) -> bool:
        """Follow the recognisers' guesses; True when they show the caller has just begun to speak."""
        guesses = [h for h in hearings if h.partial is not None]
        if not guesses:
            return False
        speaking = next((h for h in guesses if h.partial and has_words(h.partial)), None)
        partial = speaking.partial if speaking is not None and speaking.partial else ""
        self.answered = speaking is not None and speaking.answer
        if partial != self.last_partial:
            self.last_partial, self.last_change_ms = partial, audio_ms
        if partial and self.speaking_since is None:
            self.speaking_since = audio_ms
            return True
        return False

    def _end(self, audio_ms: int, quiet_ms: int) -> End | None:
        limits = self.limits
        since = self.speaking_since
        if limits.from_first_words:
            over_time = since is not None and audio_ms - since >= limits.max_ms
        else:
            over_time = audio_ms >= limits.max_ms
        if over_time:
            return End.TIME_LIMIT
        if self.speaking_since is None:
            return End.NO_SPEECH if audio_ms >= limits.no_speech_ms else None
        quiet_enough = min(limits.answer_silence_ms, limits.silence_ms) if self.answered else limits.silence_ms
        if quiet_ms >= quiet_enough:
            return End.SILENCE
        if audio_ms - self.last_change_ms >= limits.pause_ms:
            return End.PAUSE
        return None
