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

from channels.chat import abuse
from channels.office import unserved_words
from hotline.call_events import CALL_STEP, CallEnd, CallEvent
from hotline.db import utcnow
from hotline.deps import Parts, PartsDep
from intents.messages import say as engine_say
from ivr import answering, phrases, twiml
from ivr.line import MAX_BODY, TwilioCall, phone_of, verify
from ivr.waiting import WaitFigures, announcement

log = logging.getLogger(__name__)
HOLD_AUDIO = Path(__file__).parent / "static" / "hold.wav"
FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
# Queue results after which the caller did not give up waiting.
SERVED = {"bridged", "bridging-in-progress", "redirected"}

router = APIRouter(prefix="/twilio", tags=["phone (Twilio)"], max_body_size=MAX_BODY)


async def signed(request: Request, parts: PartsDep) -> TwilioCall:
    """The signed call (the lean path, `ivr.webhooks`, knows a webhook by this dependency and checks it itself)."""
    return await verify(request, phone_of(parts))


SignedCall = Annotated[TwilioCall, Depends(signed)]
Lang = Annotated[str, Query(pattern="^(uk|ru)$")]
QueueSlug = Annotated[str, Query(pattern="^[a-z0-9_-]{1,63}$")]


def _twiml(body: VoiceResponse | str, parts: Parts) -> Response:
    """The answer as Twilio reads it, every `<Say>` in it as the voice should say it."""
    document = body if isinstance(body, str) else body.to_xml()
    return Response(content=twiml.spoken(document, phone_of(parts).pronunciation()), media_type="text/xml")


Fallback = Callable[[Parts, TwilioCall], VoiceResponse]


def answers_twilio(fallback: Fallback) -> Callable[[Callable[..., VoiceResponse | str]], Callable[..., Response]]:
    """Turn a handler's TwiML into the response, and any fault into `fallback`'s TwiML instead of a 500."""

    def decorate(handler: Callable[..., VoiceResponse | str]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def guarded(*args: Any, **kwargs: Any) -> Response:
            try:
                return _twiml(handler(*args, **kwargs), kwargs["parts"])
            except HTTPException:
                raise
            except Exception:
                log.exception("phone webhook %s failed; the caller gets the fallback", handler.__name__)
                return _twiml(fallback(kwargs["parts"], kwargs["call"]), kwargs["parts"])

        return guarded

    return decorate


def _apology(parts: Parts, call: TwilioCall) -> VoiceResponse:
    answering.queue_anyway(parts, call)
    return twiml.apology(phone_of(parts).urls)


def _hold(parts: Parts, _: TwilioCall) -> VoiceResponse:
    return twiml.hold(phone_of(parts).hold_url)


def _nothing(_: Parts, __: TwilioCall) -> VoiceResponse:
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
    step: Annotated[int, Query(ge=0, le=CALL_STEP)],
    ask: Annotated[str | None, Query(pattern="^language$")] = None,
) -> VoiceResponse | str:
    """What a `<Gather>` heard (Digits, or SpeechResult + Confidence, or nothing) goes to the engine.

    `ask=language` marks the answer to the language question in the URL (and the log); the engine
    knows what it asked, so nothing here depends on it."""
    record = phone_of(parts).calls.find(call.sid)
    if record is None:  # a call we never answered (its start was lost): answer it now
        return answering.begin(parts, call)
    return answering.advance(parts, call, record, step=step)


@router.post("/choices", response_class=Response, response_model=None, summary="No person now: callback or message")
@answers_twilio(_apology)
def choices(
    call: SignedCall,
    parts: PartsDep,
    queue: QueueSlug,
    lang: Lang,
    attempt: Annotated[int, Query(ge=1, le=9)] = 1,
) -> VoiceResponse:
    """1 asks for a callback (where allowed), 2 leaves a voice message, 0 waits for the duty specialist
    (out of hours)."""
    line = phone_of(parts)
    key = call.get("Digits")
    office_open = answering.open_now(parts)
    duty = not office_open and answering.rules(parts).wait_allowed(office_open=False)
    callback = answering.callback_allowed(parts, call, office_open=office_open)
    if key == "1" and callback:
        answering.call_back(parts, call, queue=queue, lang=lang, position=None)
        return twiml.goodbye([phrases.say("callback_confirmed", lang)], lang)
    if key == "2":
        return twiml.voicemail(lang, line.urls, queue)
    if key == "0" and duty:
        answering.enqueued(line, answering.conversation_of(parts, call), queue, lang, reason="after_hours_duty")
        absent = answering.rules(parts).duty_absent(queue, lang)  # then the honest words, not a promise
        said = unserved_words(lang) if absent else phrases.say("duty_wait", lang)
        return twiml.enqueue([said], lang, queue, line.urls)
    if attempt >= 2:
        return twiml.goodbye([phrases.say("call_later", lang)], lang)
    again = engine_say("not_heard", lang) if not key else ""
    return twiml.choices([again], lang, line.urls.choices(queue, lang, attempt + 1), duty=duty, callback=callback)


@router.post("/queue", response_class=Response, response_model=None, summary="The caller left the queue")
@answers_twilio(_nothing)
def queue_done(call: SignedCall, parts: PartsDep, queue: QueueSlug, lang: Lang) -> VoiceResponse:
    """The `<Enqueue action>`: served, gone, or the queue failed (then callback or voice message)."""
    line = phone_of(parts)
    conversation_id = answering.conversation_of(parts, call)
    result = call.get("QueueResult")
    line.calls.record(
        conversation_id, CallEvent.QUEUE_LEFT, {"result": result, "queue_time": call.get("QueueTime"), "queue": queue}
    )
    if result in SERVED:
        return twiml.goodbye([phrases.say("goodbye", lang)], lang)
    if result == "hangup":
        line.door.hung_up(conversation_id)  # no specialist may be offered a caller who is gone
        return twiml.empty()
    if result == "leave" and line.calls.callback_asked(call.sid, conversation_id):
        return twiml.goodbye([phrases.say("callback_confirmed", lang)], lang)
    failed = [phrases.say("queue_failed", lang)]
    callback = answering.callback_allowed(parts, call, office_open=answering.open_now(parts))
    return twiml.choices(failed, lang, line.urls.choices(queue, lang), duty=False, callback=callback)


@router.post("/wait", response_class=Response, response_model=None, summary="A round of waiting in the queue")
@answers_twilio(_hold)
def wait(call: SignedCall, parts: PartsDep, queue: QueueSlug, lang: Lang) -> VoiceResponse:
    """The waitUrl: the place and estimate when they improved, the callback offer, hold audio."""
    line = phone_of(parts)
    record = line.calls.find(call.sid)
    conversation_id = record.conversation_id if record else None
    figures = line.waits.figures(conversation_id=conversation_id, queue=queue, lang=lang, params=call.params)
    news = announcement(figures, line.calls.last_announced(call.sid), lang)
    if news:
        line.calls.announced(call.sid, figures.position)
    keys = line.urls.wait_keys(queue, lang, figures.position) if _offer_callback(parts, call, figures) else None
    return twiml.wait(lang, news, hold_url=line.hold_url, keys_action=keys)


def _callback_while_waiting(parts: Parts, call: TwilioCall) -> bool:
    """Only while the office is open does a callback keep the caller's place (at night it would be due in
    the morning: the out-of-hours choices offered it before the caller chose to wait)."""
    return answering.open_now(parts) and answering.callback_allowed(parts, call, office_open=True)


def _offer_callback(parts: Parts, call: TwilioCall, figures: WaitFigures) -> bool:
    """The admins' policy: offered when allowed and the wait is longer than their threshold; never in a crisis."""
    if figures.urgent or not _callback_while_waiting(parts, call):
        return False
    seconds = figures.estimated_seconds
    return seconds is None or seconds > parts.office.policy().callback_offer_after_seconds


@router.post("/wait/keys", response_class=Response, response_model=None, summary="A key pressed while waiting")
@answers_twilio(_hold)
def wait_keys(
    call: SignedCall, parts: PartsDep, queue: QueueSlug, lang: Lang, position: Annotated[int, Query(ge=0, le=100_000)]
) -> VoiceResponse:
    """1: a callback request that keeps the caller's place, then out of the queue; other keys: keep waiting."""
    if call.get("Digits") != "1" or not _callback_while_waiting(parts, call):
        return twiml.empty()  # the wait round ends and Twilio asks the waitUrl again
    answering.call_back(parts, call, queue=queue, lang=lang, position=position)
    return twiml.leave()


@router.post("/recorded", response_class=Response, response_model=None, summary="The voice message ended")
@answers_twilio(_nothing)
def recorded(call: SignedCall, parts: PartsDep, lang: Lang, queue: QueueSlug = twiml.FALLBACK_QUEUE) -> VoiceResponse:
    """The `<Record action>`: the message goes to the specialists (from here or its status callback), thanks."""
    if not call.get("RecordingUrl"):
        return twiml.goodbye([phrases.say("voicemail_empty", lang)], lang)
    answering.voice_message(parts, call, queue=queue, lang=lang)
    return twiml.goodbye([phrases.say("voicemail_saved", lang)], lang)


@router.post("/recording", response_class=Response, response_model=None, summary="A recording is ready")
@answers_twilio(_nothing)
def recording(
    call: SignedCall, parts: PartsDep, queue: QueueSlug = twiml.FALLBACK_QUEUE, lang: Lang = "uk"
) -> VoiceResponse:
    """The recording's status callback (the message reaches the specialists even if `/recorded` failed);
    without `queue` (a URL from before it was added) it goes to the general queue."""
    if call.get("RecordingUrl") and call.get("RecordingStatus") in {"", "completed"}:
        answering.voice_message(parts, call, queue=queue, lang=lang)
    return twiml.empty()


@router.post("/transcription", response_class=Response, response_model=None, summary="A voice message transcribed")
@answers_twilio(_nothing)
def transcription(call: SignedCall, parts: PartsDep) -> VoiceResponse:
    data = {
        "status": call.get("TranscriptionStatus"),
        "url": call.get("TranscriptionUrl"),
        "recording_url": call.get("RecordingUrl"),
    }
    text = abuse.screen(call.get("TranscriptionText"), None).masked  # as every transcript, before anyone reads it
    conversation_id = answering.conversation_of(parts, call)
    phone_of(parts).calls.record(conversation_id, CallEvent.VOICEMAIL_TRANSCRIPTION, data, text=text)
    return twiml.empty()


@router.post("/status", response_class=Response, response_model=None, summary="The call's status changed")
@answers_twilio(_nothing)
def status(call: SignedCall, parts: PartsDep) -> VoiceResponse:
    """The number's status callback: at the end, out of the live queue, then the duration and whether the caller
    gave up in the queue (`hotline.call_events.write_end`; while the database is away, once it is back)."""
    state = call.get("CallStatus")
    if state not in FINAL_STATUSES:
        return twiml.empty()
    line = phone_of(parts)
    record = line.calls.find(call.sid)
    if record is None:
        return twiml.empty()  # a call that never reached us (e.g. rejected before the first webhook)
    # Still waiting in our queue (from anywhere in the call): not any more. First, from Redis alone, so no specialist
    # is offered a caller who is gone even while the database is away.
    line.door.hung_up(record.conversation_id)
    duration = int(call.get("CallDuration") or 0)
    line.calls.end(CallEnd(record.conversation_id, state, duration, call.get("From"), utcnow()))
    return twiml.empty()


@router.get("/hold.wav", include_in_schema=False)
def hold_audio() -> FileResponse:
    """The hold audio: a few plucked chords made with sox for this project (public domain)."""
    return FileResponse(HOLD_AUDIO, media_type="audio/wav")
