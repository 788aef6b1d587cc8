"""Voice messages as text: OGG/Opus decoded by libsndfile (`soundfile`), heard by the phone line's Vosk models.

`HOTLINE_ASR=vosk` loads the models through `ivr.speech.models.load`, which keeps one model per path
in the process, so the phone line and Telegram share them. Opus decodes at its own rate (48 kHz, or
what the sender encoded); Vosk resamples to its model's rate itself. Blocking: call from a thread.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import soundfile
import vosk

from ivr.speech.listening import Heard, has_words
from ivr.speech.models import LoadedModel, SpeechModels

MAX_SECONDS = 120  # a longer voice message is asked to be shorter (and would hold a thread for long)
_CHUNK_SECONDS = 0.5


class Unreadable(ValueError):
    """Not audio libsndfile can read, or longer than MAX_SECONDS."""


@dataclass(frozen=True)
class Pcm:
    samples: bytes  # 16-bit little-endian, mono
    rate: int


def decode(data: bytes) -> Pcm:
    """A voice message's audio as mono 16-bit PCM at its own sample rate."""
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as audio:
            if audio.frames > MAX_SECONDS * audio.samplerate:
                raise Unreadable(f"longer than {MAX_SECONDS} s")
            frames = audio.read(dtype="int16", always_2d=True)
            rate = int(audio.samplerate)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        raise Unreadable(f"not audio we can read ({exc})") from exc
    mono = frames.mean(axis=1).astype("<i2") if frames.shape[1] > 1 else frames[:, 0].astype("<i2")
    return Pcm(mono.tobytes(), rate)


class Transcriber:
    """The loaded models by language; `hear` turns one voice message into what was said."""

    def __init__(self, models: SpeechModels) -> None:
        self.models = models

    def model_for(self, lang: str | None) -> LoadedModel | None:
        """The citizen's language's model, else the first that loaded."""
        found = self.models.get(lang) if lang else None
        return found or next(iter(self.models.loaded.values()), None)

    def hear(self, data: bytes, lang: str | None) -> Heard:
        model = self.model_for(lang)
        if model is None:
            return Heard()
        return recognise(model.model, decode(data))


def recognise(model: vosk.Model, pcm: Pcm) -> Heard:
    """Everything Vosk hears in the audio: its utterances joined, with their words' mean confidence."""
    recogniser = vosk.KaldiRecognizer(model, pcm.rate)
    recogniser.SetWords(True)
    step = int(pcm.rate * _CHUNK_SECONDS) * 2
    results = []
    for offset in range(0, len(pcm.samples), step):
        if recogniser.AcceptWaveform(pcm.samples[offset : offset + step]):
            results.append(json.loads(recogniser.Result()))
    results.append(json.loads(recogniser.FinalResult()))
    words = [w for r in results for w in r.get("result") or []]
    text = " ".join(" ".join(str(r.get("text", "")).split()) for r in results if r.get("text"))
    if not has_words(text):
        return Heard()
    confidences = [float(w["conf"]) for w in words if "conf" in w]
    return Heard(text=text, confidence=round(sum(confidences) / len(confidences), 3) if confidences else None)
