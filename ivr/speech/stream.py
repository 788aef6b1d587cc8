"""`WS /twilio/stream`: the transport loop of one media stream, and the call's turn (`Session`).

The loop only moves frames: `codec` says what they mean, `TurnClock` says when the turn is over,
the recognisers run in the line's thread pool (never on the event loop), one call's frames in
order. When the turn is over the outcome goes to Redis. A `<Connect><Stream>` is then closed, so
Twilio continues at the `<Connect action>` URL; a forked question's call is redirected to its action
(`steering`), whose answer stops the fork, and the socket is closed when Twilio has stopped it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ivr.speech import codec, ulaw
from ivr.speech.codec import Dtmf, Media, Start, Stop
from ivr.speech.line import SpeechLine
from ivr.speech.listening import ULAW_BYTES_PER_MS, Decision, Ear, End, Heard, TurnClock
from ivr.speech.store import Listen, Outcome

log = logging.getLogger(__name__)
T = TypeVar("T")
# Twilio sends a frame every 20 ms, silence included: this long without one, the call is gone.
IDLE_SECONDS = 10.0
POLICY_VIOLATION = 1008
NORMAL_CLOSURE = 1000
# After our redirect Twilio fetches the action, whose answer stops the fork: this long for its `stop`.
STOP_WAIT_SECONDS = 5.0
# Each trip to the decoding threads costs more than decoding a frame of a menu's grammar (and more
# than µ-law, JSON and base64 together): audio goes to the recognisers in 200 ms pieces, and their
# guess is read with each piece. The turn's rules about time and quiet are checked on every frame,
# so only a turn ended by the recogniser's own end of utterance waits for the piece (at most 200 ms).
FEED_EVERY_MS = 200
FEED_BYTES = FEED_EVERY_MS * ULAW_BYTES_PER_MS


class Refused(Exception):
    """The stream's `start` cannot open a turn: the socket is closed with `code`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Session:
    """One stream: the ears of the languages listened for, the clock of the turn, and (a forked
    question) the steering of its call."""

    def __init__(self, line: SpeechLine, start: Start, listen: Listen, ears: list[Ear]) -> None:
        self.line = line
        self.start = start
        self.listen = listen
        self.ears = ears
        self.steering = line.steer(start.call_sid, listen.step, language=listen.language) if listen.forked else None
        self.clock = TurnClock(line.limits if self.steering is None else line.limits.forked())
        self.received_ms = 0
        self.last_loud_ms = 0
        self.pending = bytearray()  # µ-law not yet fed to the ears
        self.ears_busy = threading.Lock()

    async def _run(self, work: Callable[[], T]) -> T:
        """`work` on the ears in the line's threads, after any earlier work on them has ended."""

        # The turn's idle timeout cancels the wait for a hearing, not the hearing in its thread: the outcome's
        # `finish` waits for it there, as a Kaldi recogniser used by two threads at once aborts the process.
        def alone() -> T:
            with self.ears_busy:
                return work()

        return await asyncio.get_running_loop().run_in_executor(self.line.executor, alone)

    def _take_pending(self) -> bytes:
        pcm = ulaw.to_pcm16(bytes(self.pending))
        self.pending.clear()
        return pcm

    async def hear(self, media: Media) -> Decision:
        """Take one frame and ask the clock; every `FEED_EVERY_MS` feed the ears first."""
        self.pending += media.payload
        self.received_ms += len(media.payload) // ULAW_BYTES_PER_MS
        if ulaw.is_loud(media.payload):
            self.last_loud_ms = self.received_ms
        quiet_ms = self.received_ms - self.last_loud_ms
        if len(self.pending) < FEED_BYTES:
            return self.clock.after([], self.received_ms, quiet_ms=quiet_ms)
        pcm = self._take_pending()
        hearings = await self._run(lambda: [ear.hear(pcm) for ear in self.ears])
        return self.clock.after(hearings, self.received_ms, quiet_ms=quiet_ms)

    async def outcome(self, decision: Decision) -> Outcome:
        """The turn's outcome; unless an utterance was closed, whatever the ears still hold."""
        end = decision.end or End.STOP
        if decision.heard is not None:
            return _outcome(end, decision.heard)
        pcm = self._take_pending()
        finished = await self._run(lambda: [ear.finish(pcm) for ear in self.ears])
        return _outcome(end, next((heard for heard in finished if heard.has_words), Heard()))


def _outcome(end: End, heard: Heard) -> Outcome:
    return Outcome(end=end, transcript=heard.text, confidence=heard.confidence if heard.text else None)


async def open_session(line: SpeechLine, start: Start) -> Session:
    """The stream's session, if its token is one our TwiML gave out (once) and its turn is not over."""
    listen = await asyncio.to_thread(line.store.take, start.parameters.get("token", ""))
    if listen is None or str(listen.step) != start.parameters.get("step"):
        log.warning("stream %s of call %s refused: unknown or used token", start.stream_sid, start.call_sid)
        raise Refused(POLICY_VIOLATION, "unknown or used stream token")
    models = [(line.models.get(listener.lang), listener) for listener in listen.listeners]
    if (start.encoding, start.sample_rate) != codec.ULAW_8K or not all(model for model, _ in models):
        log.warning("stream %s refused: %s at %s Hz", start.stream_sid, start.encoding, start.sample_rate)
        raise Refused(POLICY_VIOLATION, "unknown or used stream token")
    # Before the recognisers are built: the `<Connect action>` then knows to wait for this stream.
    if not await asyncio.to_thread(line.store.listening, start.call_sid, listen.step):
        log.info("call %s step %s: the turn ended before its stream started", start.call_sid, listen.step)
        raise Refused(NORMAL_CLOSURE, "the turn is over")
    loop = asyncio.get_running_loop()
    # A full-vocabulary recogniser takes ~0.1 s to build: off the event loop too.
    ears = await loop.run_in_executor(
        line.executor,
        lambda: [Ear(listener.lang, model.model, listener.grammar) for model, listener in models if model],
    )
    return Session(line, start, listen, ears)


async def _receive(websocket: WebSocket) -> codec.Event | None:
    """The next frame's event; a hang-up raises `WebSocketDisconnect`."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(code=message.get("code", 1000))
    frame: str | bytes = message.get("text") or message.get("bytes") or ""
    return codec.parse(frame)


async def _opening(websocket: WebSocket, line: SpeechLine) -> Session | None:
    """The session the stream's `start` opens; None when the caller is gone first, or it is refused."""
    try:
        async with asyncio.timeout(IDLE_SECONDS):
            while True:
                event = await _receive(websocket)
                if isinstance(event, Start):  # `connected`, or anything else before `start`, is skipped
                    break
    except (WebSocketDisconnect, TimeoutError):
        return None
    try:
        return await open_session(line, event)
    except Refused as refused:
        await websocket.close(code=refused.code, reason=refused.reason)
        return None


async def serve(websocket: WebSocket, line: SpeechLine) -> None:
    """Speak Twilio's media-stream protocol until the caller's turn is over."""
    await websocket.accept()
    session = await _opening(websocket, line)
    if session is None:
        return
    outcome = await _listen(websocket, session)
    call_sid, step = session.start.call_sid, session.listen.step
    written = await asyncio.to_thread(line.store.heard, call_sid, step, outcome)
    log.info(
        "call %s step %s: %s after %d ms of audio%s",
        call_sid,
        step,
        outcome.end.value,
        session.received_ms,
        "" if written else " (the turn had already ended at the action)",
    )
    steering = session.steering
    if steering is not None:
        # A fork stopped by Twilio (a hang-up, or the action's answer) needs no redirect.
        if written and outcome.end is not End.STOP and await steering.redirect():
            await _until_stopped(websocket)
        await steering.settle()
    connected = WebSocketState.CONNECTED
    if websocket.application_state is connected and websocket.client_state is connected:
        await websocket.close()


async def _until_stopped(websocket: WebSocket) -> None:
    """Read (and drop) what a fork still sends until Twilio stops it, for at most `STOP_WAIT_SECONDS`:
    Twilio counts a fork closed from our side as an error (31921)."""
    try:
        async with asyncio.timeout(STOP_WAIT_SECONDS):
            while not isinstance(await _receive(websocket), Stop):
                pass
    except (WebSocketDisconnect, TimeoutError):
        pass


async def _listen(websocket: WebSocket, session: Session) -> Outcome:
    """Frames into the session until the turn is over (a hang-up or `IDLE_SECONDS` of nothing: `stop`)."""
    loop = asyncio.get_running_loop()
    ended: Decision | Outcome = Decision(End.STOP)
    try:
        async with asyncio.timeout(IDLE_SECONDS) as idle:
            while True:
                event = await _receive(websocket)
                # One timer per stream, moved on at most once a second: a new one for every frame
                # would cost about as much as parsing the frame.
                deadline = loop.time() + IDLE_SECONDS
                if deadline - (idle.when() or deadline) >= 1:
                    idle.reschedule(deadline)
                if isinstance(event, Media) and event.track == "inbound":
                    decision = await session.hear(event)
                    if decision.barge_in and session.steering is not None:
                        session.steering.interrupt()  # the prompt stops; not waited for here
                    elif decision.barge_in:
                        # The caller talks: whatever is still queued for them must not talk over them.
                        await websocket.send_text(codec.clear(session.start.stream_sid))
                    if decision.end is not None:
                        ended = decision
                        break
                elif isinstance(event, Dtmf):
                    ended = Outcome(end=End.DTMF, digits=event.digit)
                    break
                elif isinstance(event, Stop):
                    break
    except (WebSocketDisconnect, TimeoutError):
        pass  # Twilio went away without a `stop`: what was heard so far stands
    return ended if isinstance(ended, Outcome) else await session.outcome(ended)
