"""Twilio's voice webhooks: signed form posts in, TwiML out. Every handler answers Twilio, even on a fault.

`/voice` answers a call, every `<Gather action>` comes back to `/gather?step=N` (the step makes a
retried webhook return the first answer), `/choices` takes the callback/voicemail offer, `/wait` is
the queue's waitUrl, `/queue` the Enqueue action, and `/recorded`, `/recording`, `/transcription`,
`/status` report what happened to the call.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse
from twilio.twiml.voice_response import VoiceResponse

from hotline.deps import Parts, PartsDep
from ivr import answering, phrases, twiml
from ivr import calls as call_log
from ivr.calls import CallEvent
from ivr.line import PhoneLine, TwilioCall, verify
from ivr.waiting import CallbackRequest, announcement

log = logging.getLogger(__name__)
HOLD_AUDIO = Path(__file__).parent / "static" / "hold.wav"
FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
# Queue results after which the caller did not give up waiting.
SERVED = {"bridged", "bridging-in-progress", "redirected"}

router = APIRouter(prefix="/twilio", tags=["phone (Twilio)"])


async def _signed(request: Request, parts: PartsDep) -> TwilioCall:
    return await verify(request, parts.phone)


SignedCall = Annotated[TwilioCall, Depends(_signed)]
Lang = Annotated[str, Query(pattern="^(uk|ru)$")]
QueueSlug = Annotated[str, Query(pattern="^[a-z0-9_-]{1,63}$")]


def _twiml(body: VoiceResponse | str) -> Response:
    return Response(content=body if isinstance(body, str) else body.to_xml(), media_type="text/xml")


def answers_twilio(
    fallback: Callable[[PhoneLine], VoiceResponse],
) -> Callable[[Callable[..., VoiceResponse | str]], Callable[..., Response]]:
    """Turn a handler's TwiML into the response, and any fault into `fallback`'s TwiML instead of a 500."""

    def decorate(handler: Callable[..., VoiceResponse | str]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def guarded(*args: Any, **kwargs: Any) -> Response:
            try:
                return _twiml(handler(*args, **kwargs))
            except HTTPException:
                raise
            except Exception:
                log.exception("phone webhook %s failed; the caller gets the fallback", handler.__name__)
                parts: Parts = kwargs["parts"]
                return _twiml(fallback(parts.phone))

        return guarded

    return decorate


def _apology(line: PhoneLine) -> VoiceResponse:
    return twiml.apology(line.urls)


def _hold(line: PhoneLine) -> VoiceResponse:
    return twiml.hold(line.hold_url)


def _nothing(_: PhoneLine) -> VoiceResponse:
    return twiml.empty()


@router.post("/voice", response_class=Response, response_model=None, summary="A call comes in")
@answers_twilio(_apology)
def voice(call: SignedCall, parts: PartsDep) -> VoiceResponse | str:
    """Greet the caller and ask for the language (keys 1/2 or the language's name)."""
    return answering.begin(parts, call)


@router.post("/gather", response_class=Response, response_model=None, summary="The caller pressed or said")
@answers_twilio(_apology)
def gather(
    call: SignedCall,
    parts: PartsDep,
    step: Annotated[int, Query(ge=0, le=call_log.CALL_STEP)],
    ask: Annotated[str | None, Query(pattern="^language$")] = None,
) -> VoiceResponse | str:
    """What a `<Gather>` heard (Digits, or SpeechResult + Confidence, or nothing) goes to the engine."""
    record = parts.phone.calls.find(call.sid)
    if record is None:  # a call we never answered (its start was lost): answer it now
        return answering.begin(parts, call)
    return answering.advance(parts, call, record, step=step, language_asked=ask == "language")


@router.post("/choices", response_class=Response, response_model=None, summary="No person now: callback or message")
@answers_twilio(_apology)
def choices(
    call: SignedCall,
    parts: PartsDep,
    queue: QueueSlug,
    lang: Lang,
    attempt: Annotated[int, Query(ge=1, le=9)] = 1,
) -> VoiceResponse:
    """1 asks for a callback, 2 leaves a voice message, 0 waits for the duty specialist (out of hours)."""
    line = parts.phone
    key = call.get("Digits")
    duty = line.after_hours_queue and not answering.open_now(parts)
    if key == "1":
        line.callbacks.request(
            CallbackRequest(
                answering.conversation_of(parts, call), call.sid, call.get("From"), queue, lang, position=None
            )
        )
        return twiml.goodbye([phrases.say("callback_confirmed", lang)], lang)
    if key == "2":
        return twiml.voicemail(lang, line.urls)
    if key == "0" and duty:
        answering.enqueued(line, answering.conversation_of(parts, call), queue, lang, reason="after_hours_duty")
        return twiml.enqueue([phrases.say("duty_wait", lang)], lang, queue, line.urls)
    if attempt >= 2:
        return twiml.goodbye([phrases.say("call_later", lang)], lang)
    again = phrases.say("not_heard", lang) if not key else ""
    return twiml.choices([again], lang, line.urls.choices(queue, lang, attempt + 1), duty=duty)


@router.post("/queue", response_class=Response, response_model=None, summary="The caller left the queue")
@answers_twilio(_nothing)
def queue_done(call: SignedCall, parts: PartsDep, queue: QueueSlug, lang: Lang) -> VoiceResponse:
    """The `<Enqueue action>`: served, gone, or the queue failed (then callback or voice message)."""
    line = parts.phone
    conversation_id = answering.conversation_of(parts, call)
    result = call.get("QueueResult")
    line.calls.record(
        conversation_id, CallEvent.QUEUE_LEFT, {"result": result, "queue_time": call.get("QueueTime"), "queue": queue}
    )
    if result in SERVED:
        return twiml.goodbye([phrases.say("goodbye", lang)], lang)
    if result == "hangup":
        return twiml.empty()
    if result == "leave" and CallEvent.CALLBACK_REQUESTED in line.calls.events(conversation_id):
        return twiml.goodbye([phrases.say("callback_confirmed", lang)], lang)
    failed = [phrases.say("queue_failed", lang)]
    return twiml.choices(failed, lang, line.urls.choices(queue, lang), duty=False)


@router.post("/wait", response_class=Response, response_model=None, summary="A round of waiting in the queue")
@answers_twilio(_hold)
def wait(call: SignedCall, parts: PartsDep, queue: QueueSlug, lang: Lang) -> VoiceResponse:
    """The waitUrl: the place and estimate when they improved, the callback offer, hold audio."""
    line = parts.phone
    record = line.calls.find(call.sid)
    conversation_id = record.conversation_id if record else None
    figures = line.waits.figures(conversation_id=conversation_id, queue=queue, lang=lang, params=call.params)
    news = announcement(figures, line.calls.last_announced(call.sid), lang)
    if news:
        line.calls.announced(call.sid, figures.position)
    keys = line.urls.wait_keys(queue, lang, figures.position)
    return twiml.wait(lang, news, hold_url=line.hold_url, keys_action=keys)


@router.post("/wait/keys", response_class=Response, response_model=None, summary="A key pressed while waiting")
@answers_twilio(_hold)
def wait_keys(
    call: SignedCall, parts: PartsDep, queue: QueueSlug, lang: Lang, position: Annotated[int, Query(ge=0)]
) -> VoiceResponse:
    """1: a callback request that keeps the caller's place, then out of the queue; other keys: keep waiting."""
    if call.get("Digits") != "1":
        return twiml.empty()  # the wait round ends and Twilio asks the waitUrl again
    line = parts.phone
    request = CallbackRequest(answering.conversation_of(parts, call), call.sid, call.get("From"), queue, lang, position)
    line.callbacks.request(request)
    return twiml.leave()


@router.post("/recorded", response_class=Response, response_model=None, summary="The voice message ended")
@answers_twilio(_nothing)
def recorded(call: SignedCall, parts: PartsDep, lang: Lang) -> VoiceResponse:
    """The `<Record action>`: thank the caller (the recording is stored from here or its status callback)."""
    if not call.get("RecordingUrl"):
        return twiml.goodbye([phrases.say("voicemail_empty", lang)], lang)
    _store_recording(parts, call)
    return twiml.goodbye([phrases.say("voicemail_saved", lang)], lang)


@router.post("/recording", response_class=Response, response_model=None, summary="A recording is ready")
@answers_twilio(_nothing)
def recording(call: SignedCall, parts: PartsDep) -> VoiceResponse:
    if call.get("RecordingUrl") and call.get("RecordingStatus") in {"", "completed"}:
        _store_recording(parts, call)
    return twiml.empty()


def _store_recording(parts: Parts, call: TwilioCall) -> None:
    data = {
        "url": call.get("RecordingUrl"),
        "sid": call.get("RecordingSid"),
        "duration": call.get("RecordingDuration"),
        "from": call.get("From"),
    }
    parts.phone.calls.record(answering.conversation_of(parts, call), CallEvent.VOICEMAIL, data)


@router.post("/transcription", response_class=Response, response_model=None, summary="A voice message transcribed")
@answers_twilio(_nothing)
def transcription(call: SignedCall, parts: PartsDep) -> VoiceResponse:
    data = {
        "status": call.get("TranscriptionStatus"),
        "url": call.get("TranscriptionUrl"),
        "recording_url": call.get("RecordingUrl"),
    }
    text = call.get("TranscriptionText")
    parts.phone.calls.record(answering.conversation_of(parts, call), CallEvent.VOICEMAIL_TRANSCRIPTION, data, text=text)
    return twiml.empty()


@router.post("/status", response_class=Response, response_model=None, summary="The call's status changed")
@answers_twilio(_nothing)
def status(call: SignedCall, parts: PartsDep) -> VoiceResponse:
    """The number's status callback: at the end, the duration and whether the caller gave up in the queue."""
    state = call.get("CallStatus")
    if state not in FINAL_STATUSES:
        return twiml.empty()
    line = parts.phone
    record = line.calls.find(call.sid)
    if record is None:
        return twiml.empty()  # a call that never reached us (e.g. rejected before the first webhook)
    conversation_id = record.conversation_id
    events = line.calls.events(conversation_id)
    left = events.get(CallEvent.QUEUE_LEFT)
    # Hung up while waiting: the queue's own report of it may still be on its way.
    abandoned = (
        CallEvent.ENQUEUED in events
        and CallEvent.CALLBACK_REQUESTED not in events
        and (left is None or left.data.get("result") == "hangup")
    )
    data = {"status": state, "duration": int(call.get("CallDuration") or 0), "abandoned": abandoned}
    line.calls.end(conversation_id, {**data, "from": call.get("From")})
    return twiml.empty()


@router.get("/hold.wav", include_in_schema=False)
def hold_audio() -> FileResponse:
    """The hold audio: a few plucked chords made with sox for this project (public domain)."""
    return FileResponse(HOLD_AUDIO, media_type="audio/wav")
