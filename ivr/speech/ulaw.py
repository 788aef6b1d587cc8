"""G.711 µ-law (Twilio's 8 kHz telephone audio) to 16-bit little-endian PCM, as Vosk takes it.

A 256-entry table, not `audioop` (removed in Python 3.13). The table is split into its low and high
bytes so a whole frame converts with two `bytes.translate` calls in C instead of a Python loop.
"""

from __future__ import annotations


def _linear(code: int) -> int:
    """The 16-bit sample a µ-law byte stands for (ITU-T G.711: bits inverted, bias 0x84)."""
    u = ~code & 0xFF
    magnitude = ((((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 7)) - 0x84
    return -magnitude if u & 0x80 else magnitude


TABLE: tuple[int, ...] = tuple(_linear(code) for code in range(256))
_LOW = bytes(sample & 0xFF for sample in TABLE)
_HIGH = bytes((sample >> 8) & 0xFF for sample in TABLE)
# The byte Twilio sends for silence (digital zero).
SILENCE = 0xFF


def to_pcm16(ulaw: bytes) -> bytes:
    """µ-law bytes → 16-bit little-endian PCM: 160 bytes (20 ms) become 320."""
    pcm = bytearray(2 * len(ulaw))
    pcm[0::2] = ulaw.translate(_LOW)
    pcm[1::2] = ulaw.translate(_HIGH)
    return bytes(pcm)


# A phone line's hiss stays far below this; speech peaks well above it (~ -38 dBFS).
LOUD_AMPLITUDE = 400
# The codes of quieter samples: deleting them from a frame leaves something only if the frame is loud.
_QUIET = bytes(code for code in range(256) if abs(TABLE[code]) < LOUD_AMPLITUDE)


def is_loud(ulaw: bytes) -> bool:
    """True when any sample of the frame reaches `LOUD_AMPLITUDE` (one `bytes.translate` in C)."""
    return bool(ulaw.translate(None, _QUIET))
