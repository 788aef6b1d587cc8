"""Test audio and the direct reading every stream result is compared with.

Speech is made with espeak-ng and converted with `sox -D` (no dither, so the bytes repeat) to raw
8 kHz µ-law, Twilio's format; sox also decodes that µ-law to 16-bit PCM for the direct reading, so
our own µ-law table is checked on the way.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import vosk

SILENCE = b"\xff"  # µ-law digital silence, what Twilio sends while nobody speaks
PCM_FRAME = 320  # 20 ms of 16-bit PCM at 8 kHz, the size of one Twilio frame decoded
UNKNOWN = ("[unk]", "<UNK>")


def missing_tools() -> list[str]:
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


@dataclass(frozen=True)
class Audio:
    ulaw: bytes
    pcm: bytes

    def then_silence(self, seconds: float) -> Audio:
        samples = int(8000 * seconds)
        return Audio(self.ulaw + SILENCE * samples, self.pcm + b"\x00\x00" * samples)


def speak(text: str, folder: Path, *, voice: str = "ko", speed: int = 130) -> Audio:
    """`text` said by espeak-ng, as 8 kHz µ-law and as the PCM sox decodes it to."""
    name = folder / hashlib.sha1(f"{voice}:{speed}:{text}".encode()).hexdigest()[:16]
    wav, ulaw, pcm = name.with_suffix(".wav"), name.with_suffix(".ulaw"), name.with_suffix(".pcm")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
    subprocess.run(["sox", "-D", str(wav), "-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw", str(ulaw)], check=True)
    decode = ["sox", "-D", "-t", "raw", "-r", "8000", "-c", "1", "-e", "u-law", str(ulaw)]
    subprocess.run([*decode, "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", str(pcm)], check=True)
    return Audio(ulaw.read_bytes(), pcm.read_bytes())


def read_directly(model: vosk.Model, grammar: str | None, pcm: bytes) -> str:
    """What Vosk makes of the audio on its own, 20 ms at a time: its first utterance with words."""
    recogniser = vosk.KaldiRecognizer(model, 8000, grammar) if grammar else vosk.KaldiRecognizer(model, 8000)
    for offset in range(0, len(pcm), PCM_FRAME):
        if recogniser.AcceptWaveform(pcm[offset : offset + PCM_FRAME]):
            text: str = json.loads(recogniser.Result())["text"]
            if any(word not in UNKNOWN for word in text.split()):
                return text
    final: str = json.loads(recogniser.FinalResult())["text"]
    return final
