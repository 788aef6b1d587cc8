"""`hotline call`: a phone call from the terminal, made to a running server exactly as Twilio makes it.

Every request is a form post signed with the auth token (`RequestValidator`), to the URL the TwiML
names. The simulator plays the TwiML like Twilio does: `<Say>` is printed, `<Gather>` waits for a
line (keys, or words after `"` or `say:`, or an empty line for silence), `<Redirect>` and
`<Gather action>` are followed, `<Enqueue>` runs its `waitUrl` rounds (with a queue position that
goes down; announcements, hold audio and the callback offer are played, and a key typed at the offer
is posted) until the caller leaves the queue; nobody answers in the simulator, so after the last round
the caller hangs up (and the queue records exactly that), `<Record>` takes a typed message, and the
call's end is reported to the status callback. In `HOTLINE_ASR=vosk` mode a `<Connect><Stream>` question
opens the media stream as Twilio does (`ivr.speech.twilio_side`): keys go as `dtmf` frames and
silence as silent audio; typed words cannot be streamed (the recogniser needs real audio). A forked
question (`<Start><Stream>`, with Twilio's REST API on the server) opens its stream and sends silence
in real time from a thread until a `<Stop><Stream>` of its name (or the call's end), while its keys-only
`<Gather>` takes the caller's keys; the server's REST updates reach Twilio, not the simulator, and a
silent caller never causes one.
"""

from __future__ import annotations

import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TextIO
from urllib.parse import urljoin

import httpx
from twilio.request_validator import RequestValidator
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import connect

from ivr.speech.twilio_side import TwilioStream

SPEECH_PREFIXES = ('"', "say:")
HANGUP_WORDS = {"hangup", "bye", "q"}
KEYS_ONLY = "this prompt takes keys only: Twilio hears nothing"
NO_AUDIO = "the simulator has no voice for our recogniser: press keys"
# Silence long enough for any turn limit of the recogniser (HOTLINE_ASR_MAX_SECONDS is 20 by default);
# the server closes the stream as soon as its own limit is reached.
SILENCE = b"\xff" * 8000 * 25
STREAM_SECONDS = 60
FORK_PIECE_SECONDS = 0.2  # a fork's silence goes in pieces this long, in real time


class HungUp(Exception):
    """The caller put the phone down (typed 'hangup' or the input ended)."""


class CallFailed(Exception):
    """The server answered something Twilio would not accept."""


@dataclass
class Caller:
    """What the caller does next: read from `lines`, echoed to `out`."""

    lines: Iterator[str]
    out: TextIO
    confidence: float = 0.9

    def next(self, *, speech: bool, unheard: str = KEYS_ONLY) -> dict[str, str]:
        try:
            line = next(self.lines).strip()
        except StopIteration:
            raise HungUp from None
        if line.lower() in HANGUP_WORDS:
            raise HungUp
        for prefix in SPEECH_PREFIXES:
            if line.lower().startswith(prefix):
                words = line[len(prefix) :].strip().strip('"')
                if not speech:
                    self.out.write(f"caller says: {words} ({unheard})\n")
                    return {}
                self.out.write(f"caller says: {words}\n")
                return {"SpeechResult": words, "Confidence": f"{self.confidence:.2f}"}
        if not line:
            self.out.write("caller: (silence)\n")
            return {}
        self.out.write(f"caller presses: {line}\n")
        return {"Digits": line}


class Fork:
    """A `<Start><Stream>`: Twilio's copy of the caller's audio (silence, in real time) on a thread of its own."""

    def __init__(self, url: str, parameters: dict[str, str], twilio: TwilioStream) -> None:
        self.twilio = twilio
        self.opened = ExitStack()
        self.socket = self.opened.enter_context(connect(url, open_timeout=10, close_timeout=10))
        self.socket.send(twilio.connected())
        self.socket.send(twilio.start(parameters))
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._stream, daemon=True)
        self.thread.start()

    def _stream(self) -> None:
        piece = b"\xff" * int(8000 * FORK_PIECE_SECONDS)
        try:
            while not self.done.wait(FORK_PIECE_SECONDS):
                for frame in self.twilio.media(piece):
                    self.socket.send(frame)
        except ConnectionClosed:
            pass  # the server ended the stream

    def stop(self) -> None:
        """Twilio's `stop`, then the server's close."""
        self.done.set()
        self.thread.join()
        try:
            self.socket.send(self.twilio.stop())
            while True:
                self.socket.recv(timeout=STREAM_SECONDS)
        except ConnectionClosed:
            pass
        except TimeoutError:
            raise CallFailed("the forked stream was not closed by the server after its stop") from None
        finally:
            self.opened.close()


@dataclass
class Call:
    """One simulated call against `base_url`."""

    base_url: str
    token: str
    caller: Caller
    http: httpx.Client
    number: str = "+380501234567"
    queue_rounds: int = 3
    sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    account_sid: str = "AC" + "0" * 32
    started: float = field(default_factory=time.monotonic)
    forks: dict[str, Fork] = field(default_factory=dict)  # by the stream's name

    @property
    def out(self) -> TextIO:
        return self.caller.out

    def post(self, url: str, extra: dict[str, str] | None = None) -> ET.Element:
        """A signed form post, as Twilio sends it; the TwiML answer parsed."""
        url = urljoin(self.base_url.rstrip("/") + "/", url)
        params = {
            "CallSid": self.sid,
            "AccountSid": self.account_sid,
            "From": self.number,
            "To": "+380800000000",
            "CallStatus": "in-progress",
            "ApiVersion": "2010-04-01",
            "Direction": "inbound",
            **(extra or {}),
        }
        signature = RequestValidator(self.token).compute_signature(url, params)
        response = self.http.post(url, data=params, headers={"X-Twilio-Signature": signature})
        if response.status_code != 200 or "xml" not in response.headers.get("content-type", ""):
            raise CallFailed(f"{url} answered {response.status_code}: {response.text[:300]}")
        try:
            return ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise CallFailed(f"{url} answered XML that does not parse: {exc}") from None

    def run(self) -> None:
        """The whole call: from the incoming-call webhook to the status callback."""
        self.out.write(f"-- calling {self.base_url} from {self.number} (call {self.sid})\n")
        document: ET.Element | None = self.post("/twilio/voice")
        try:
            while document is not None:
                document = self.play(document)
        except HungUp:
            self.out.write("-- the caller hangs up\n")
        finally:
            for name in list(self.forks):  # the call's end stops every stream
                self.forks.pop(name).stop()
        seconds = int(time.monotonic() - self.started)
        self.post("/twilio/status", {"CallStatus": "completed", "CallDuration": str(seconds)})
        self.out.write(f"-- call ended after {seconds} s\n")

    def play(self, document: ET.Element) -> ET.Element | None:
        """Play one document; the next document Twilio would fetch, or None when the call ends."""
        for verb in document:
            if verb.tag in {"Say", "Play", "Pause"}:
                self.hear(verb)
            elif verb.tag == "Gather":
                heard = self.gather(verb)
                if heard is not None:
                    return self.post(verb.get("action") or "", heard)
            elif verb.tag == "Redirect":
                return self.post((verb.text or "").strip())
            elif verb.tag == "Enqueue":
                return self.enqueue(verb)
            elif verb.tag == "Connect":
                return self.stream(verb)
            elif verb.tag == "Start":
                self.fork(verb)
            elif verb.tag == "Stop":
                self.unfork(verb)
            elif verb.tag == "Record":
                recorded = self.record(verb)
                if recorded is not None:
                    return recorded
            elif verb.tag in {"Hangup", "Reject"}:
                return None
            else:
                self.out.write(f"-- (the simulator does not play <{verb.tag}>)\n")
        return None

    def hear(self, verb: ET.Element) -> None:
        if verb.tag == "Say":
            self.out.write(f"robot ({verb.get('language', '?')}): {(verb.text or '').strip()}\n")
        elif verb.tag == "Play":
            self.out.write("-- (hold audio)\n")
        else:
            self.out.write(f"-- (pause {verb.get('length', '1')} s)\n")

    def gather(self, verb: ET.Element) -> dict[str, str] | None:
        """Play the prompt, take the caller's answer; None when Twilio would fall through to the next verb."""
        for prompt in verb:
            self.hear(prompt)
        unheard = NO_AUDIO if self.forks else KEYS_ONLY  # a fork hears the caller, but only real audio
        heard = self.caller.next(speech="speech" in (verb.get("input") or "dtmf"), unheard=unheard)
        if not heard and verb.get("actionOnEmptyResult") != "true":
            return None
        return heard

    def stream(self, verb: ET.Element) -> ET.Element:
        """A `<Connect><Stream>` question: the caller's keys or silence on the media stream, as Twilio
        frames them, until the server closes it; then Twilio goes on at the `<Connect action>`."""
        media = verb.find("Stream")
        if media is None:
            raise CallFailed("a <Connect> without a <Stream>")
        parameters = {item.get("name", ""): item.get("value", "") for item in media.findall("Parameter")}
        digits = self.caller.next(speech=False, unheard=NO_AUDIO).get("Digits", "")
        twilio = TwilioStream(call_sid=self.sid, account_sid=self.account_sid)
        heard = [twilio.dtmf(key) for key in digits] if digits else list(twilio.media(SILENCE))
        with connect(media.get("url", ""), open_timeout=10, close_timeout=10) as socket:
            try:
                for frame in [twilio.connected(), twilio.start(parameters), *heard]:
                    socket.send(frame)
                while True:  # what the server sends back (a barge-in `clear`) until it closes the stream
                    socket.recv(timeout=STREAM_SECONDS)
            except ConnectionClosed:
                pass
            except TimeoutError:
                raise CallFailed("the media stream was not closed by the server") from None
        return self.post(verb.get("action") or "")

    def fork(self, verb: ET.Element) -> None:
        """`<Start><Stream>`: the caller's audio to the server from now on, while the call goes on."""
        media = verb.find("Stream")
        if media is None:
            raise CallFailed("a <Start> without a <Stream>")
        parameters = {item.get("name", ""): item.get("value", "") for item in media.findall("Parameter")}
        twilio = TwilioStream(call_sid=self.sid, account_sid=self.account_sid)
        self.forks[media.get("name", "")] = Fork(media.get("url", ""), parameters, twilio)

    def unfork(self, verb: ET.Element) -> None:
        """`<Stop><Stream name>`: that stream ends (a name with no stream open here: nothing to stop)."""
        media = verb.find("Stream")
        fork = self.forks.pop(media.get("name", "") if media is not None else "", None)
        if fork is not None:
            fork.stop()

    def enqueue(self, verb: ET.Element) -> ET.Element | None:
        """Wait in the queue (rounds of waitUrl) until the caller leaves it: a callback request, or hanging up
        (typed, or after the last round, since no specialist answers a simulated call)."""
        name = (verb.text or "").strip()
        self.out.write(f"-- in the queue {name} (no specialist answers in the simulator)\n")
        entered = time.monotonic()
        result = "hangup"
        try:
            for position in range(self.queue_rounds, 0, -1):
                figures = {
                    "QueuePosition": str(position),
                    "QueueTime": str(int(time.monotonic() - entered)),
                    "AvgQueueTime": str(60 * self.queue_rounds),
                    "CurrentQueueSize": str(self.queue_rounds),
                    "QueueSid": "QU" + "0" * 32,
                }
                if self.wait_round(self.post(verb.get("waitUrl") or "", figures)):
                    result = "leave"
                    break
            else:
                self.out.write(f"-- nobody answered in {self.queue_rounds} wait rounds: the caller gives up\n")
        except HungUp:
            pass
        left = {"QueueResult": result, "QueueTime": str(int(time.monotonic() - entered))}
        after = self.post(verb.get("action") or "", left) if verb.get("action") else None
        if result == "hangup":
            raise HungUp
        return after

    def wait_round(self, document: ET.Element) -> bool:
        """One waitUrl document; True when it makes the caller leave the queue."""
        for verb in document:
            if verb.tag == "Leave":
                return True
            if verb.tag == "Gather":
                heard = self.gather(verb)
                if heard:
                    return self.wait_round(self.post(verb.get("action") or "", heard))
            elif verb.tag == "Redirect":
                return self.wait_round(self.post((verb.text or "").strip()))
            else:
                self.hear(verb)
        return False

    def record(self, verb: ET.Element) -> ET.Element | None:
        """A typed voice message; its recording and transcription reported as Twilio reports them."""
        self.out.write("-- (beep: recording; type the message)\n")
        try:
            message = next(self.caller.lines).strip()
        except StopIteration:
            raise HungUp from None
        if not message:
            return None  # Twilio goes on with the next verb when nothing was recorded
        self.out.write(f"caller records: {message}\n")
        recording = {
            "RecordingUrl": f"{self.base_url.rstrip('/')}/simulated/recordings/{self.sid}",
            "RecordingSid": "RE" + uuid.uuid4().hex,
            "RecordingDuration": str(max(1, len(message.split()) // 2)),
        }
        if callback := verb.get("recordingStatusCallback"):
            self.post(callback, {**recording, "RecordingStatus": "completed"})
        if callback := verb.get("transcribeCallback"):
            self.post(callback, {**recording, "TranscriptionStatus": "completed", "TranscriptionText": message})
        return self.post(verb.get("action") or "", recording)


def run(
    base_url: str,
    token: str,
    lines: Iterator[str],
    out: TextIO,
    *,
    number: str = "+380501234567",
    queue_rounds: int = 3,
    confidence: float = 0.9,
    account_sid: str = "",
) -> int:
    """Make one call; 0 when it ran to its end, 1 when the server answered what Twilio would refuse.
    `account_sid` is the account the server expects (HOTLINE_TWILIO_ACCOUNT_SID), if it checks one."""
    with httpx.Client(timeout=15) as http:
        call = Call(base_url, token, Caller(lines, out, confidence), http, number=number, queue_rounds=queue_rounds)
        if account_sid:
            call.account_sid = account_sid
        try:
            call.run()
        except (CallFailed, httpx.HTTPError, WebSocketException, OSError) as exc:
            out.write(f"-- the call failed: {exc}\n")
            return 1
    return 0
