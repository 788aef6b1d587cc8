"""The media-stream codec and the µ-law table: pure, no socket, no model."""

from __future__ import annotations

import base64
import json
import warnings

import pytest

from ivr.speech import codec, ulaw
from ivr.speech.codec import Connected, Dtmf, Mark, Media, Start, Stop
from ivr.speech.twilio_side import TwilioStream


def test_the_ulaw_table_is_g711_for_every_code() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop", reason="audioop left Python in 3.13; the table is checked on 3.11")
    every_code = bytes(range(256))
    assert ulaw.to_pcm16(every_code) == audioop.ulaw2lin(every_code, 2)


def test_ulaw_decodes_to_little_endian_16_bit_samples() -> None:
    assert ulaw.TABLE[0xFF] == 0 and ulaw.TABLE[0x7F] == 0  # the two zeros
    assert ulaw.TABLE[0x00] == -32124 and ulaw.TABLE[0x80] == 32124  # the extremes
    assert ulaw.to_pcm16(bytes([0x80, 0xFF])) == (32124).to_bytes(2, "little", signed=True) + b"\x00\x00"
    assert len(ulaw.to_pcm16(bytes(160))) == 320


def test_a_frame_is_loud_when_a_sample_reaches_the_speech_level() -> None:
    quiet = bytes(code for code in range(256) if abs(ulaw.TABLE[code]) < ulaw.LOUD_AMPLITUDE)
    loud = [code for code in range(256) if abs(ulaw.TABLE[code]) >= ulaw.LOUD_AMPLITUDE]
    assert not ulaw.is_loud(quiet) and not ulaw.is_loud(b"")
    assert all(ulaw.is_loud(b"\xff" * 80 + bytes([code]) + b"\xff" * 79) for code in loud)


def test_each_twilio_event_becomes_its_typed_event() -> None:
    twilio = TwilioStream(call_sid="CA" + "a" * 32)
    audio = bytes(range(200))
    start = codec.parse(twilio.start({"token": "t0k", "step": "4"}))
    media = [codec.parse(frame) for frame in twilio.media(audio)]
    assert codec.parse(twilio.connected()) == Connected(protocol="Call", version="1.0.0")
    assert start == Start(
        stream_sid=twilio.stream_sid,
        call_sid=twilio.call_sid,
        account_sid=twilio.account_sid,
        parameters={"token": "t0k", "step": "4"},
    )
    # 200 bytes: a 20 ms frame, then 40 bytes padded with silence to a whole frame.
    assert media == [Media(audio[:160], 0), Media(audio[160:] + b"\xff" * 120, 20)]
    assert codec.parse(twilio.dtmf("#")) == Dtmf("#")
    assert codec.parse(twilio.mark("prompt")) == Mark("prompt")
    assert codec.parse(twilio.stop()) == Stop(call_sid=twilio.call_sid)


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[]",
        '{"event": "transcription"}',
        '{"event": "start", "start": {"streamSid": "MZ1"}}',  # no callSid
        '{"event": "media", "media": {"payload": "not base64!"}}',
        '{"event": "media", "media": {}}',
        '{"event": "media", "media": {"payload": "AAAA", "timestamp": "soon"}}',
        '{"event": "dtmf", "dtmf": {"digit": "12"}}',
        '{"event": "dtmf", "dtmf": {"digit": "A"}}',
        '{"event": "mark", "mark": "name"}',
    ],
)
def test_what_we_cannot_use_is_none_not_an_error(frame: str) -> None:
    assert codec.parse(frame) is None


def test_a_start_in_another_format_says_so() -> None:
    frame = {
        "event": "start",
        "start": {"streamSid": "MZ1", "callSid": "CA1", "mediaFormat": {"encoding": "audio/L16", "sampleRate": 16000}},
    }
    start = codec.parse(json.dumps(frame))
    assert isinstance(start, Start) and (start.encoding, start.sample_rate) == ("audio/L16", 16000)


def test_clear_is_the_message_twilio_documents() -> None:
    assert json.loads(codec.clear("MZ1")) == {"event": "clear", "streamSid": "MZ1"}


def test_media_payload_is_base64_of_the_raw_ulaw() -> None:
    frame = json.loads(next(TwilioStream().media(b"\x01" * 160)))
    assert base64.b64decode(frame["media"]["payload"]) == b"\x01" * 160
    assert (frame["sequenceNumber"], frame["media"]["chunk"], frame["media"]["timestamp"]) == ("1", "1", "0")
