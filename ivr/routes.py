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

from hotline.db import utcnow
from hotline.deps import Parts, PartsDep
from ivr import calls as call_log
from ivr import phrases, twiml
from ivr.calls import CallEvent
from ivr.line import PhoneLine, TwilioCall, verify
from ivr.turns import Turn, caller_input, render_turn
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


class UnknownCall(LookupError):
    pass


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


def _conversation(parts: Parts, call: TwilioCall) -> str:
    conversation_id = parts.phone.calls.conversation_of(call.sid)
    if conversation_id is None:
        raise UnknownCall(call.sid)
    return conversation_id


def _open_now(parts: Parts) -> bool:
    return parts.office_hours().is_open(utcnow())


def _begin(parts: Parts, call: TwilioCall) -> VoiceResponse | str:
    """Start the call's conversation once; a retried incoming-call webhook hears the same first words."""
    line = parts.phone
    # The claim comes first: a new call (nearly every one) then costs no SQL look-up.
    if line.calls.claim(call.sid):
        try:
            result = parts.dialogue.start(channel=call_log.CHANNEL, lang=None, external_id=call.sid)
        except Exception:
            line.calls.release(call.sid)
            raise
        first = render_turn(Turn(result), line.urls).to_xml()
        line.calls.remember(call.sid, result.conversation_id, first)
        return first
    existing = _conversation(parts, call)
    # Redis lost the first answer: carry on from wherever the conversation stands.
    return line.calls.first_answer(call.sid) or _advance(parts, call, existing, step=0)


def _advance(parts: Parts, call: TwilioCall, conversation_id: str, *, step: int) -> VoiceResponse:
    """One turn of the engine for what the caller pressed or said, rendered for the phone."""
    line = parts.phone
    dialogue = parts.dialogue
    seen = dialogue.store.read(conversation_id)
    engine_state = (seen.data or {}).get("engine", {})
    event = caller_input(call.params, engine_state)
    result = dialogue.handle(conversation_id, event, turn=f"{call.sid}:{step}")
    version = engine_state.get("tree_version") or dialogue.trees.current_version()
    turn = Turn(result, tree=dialogue.trees.get(version).tree, heard_nothing=not event.value)
    handoff = turn.handoff
    if handoff is None:
        return render_turn(turn, line.urls)
    if handoff["priority"] == "emergency" or _open_now(parts):
        _enqueued(line, conversation_id, handoff["queue"], turn.lang, reason=handoff["reason"])
        return render_turn(turn, line.urls)
    return render_turn(turn, line.urls, closed=_closed_words(parts, turn.lang), duty=line.after_hours_queue)


def _closed_words(parts: Parts, lang: str) -> list[str]:
    now = utcnow()
    hours = parts.office_hours()
    try:
        opens = hours.next_opening(now)
    except ValueError:  # a schedule with no hours at all: there is no "when" to tell
        return [phrases.say("closed", lang)]
    return [phrases.say("closed", lang), phrases.say("opens", lang, when=phrases.when(opens, now, lang))]


def _enqueued(line: PhoneLine, conversation_id: str, queue: str, lang: str, reason: str) -> None:
    data = {"queue": queue, "lang": lang, "twilio_queue": twiml.queue_name(queue, lang), "reason": reason}
    line.calls.record(conversation_id, CallEvent.ENQUEUED, data)


@router.post("/voice", response_class=Response, response_model=None, summary="A call comes in")
@answers_twilio(_apology)
def voice(call: SignedCall, parts: PartsDep) -> VoiceResponse | str:
    """Greet the caller and ask for the language (keys 1/2 or the language's name)."""
    return _begin(parts, call)


@router.post("/gather", response_class=Response, response_model=None, summary="The caller pressed or said")
@answers_twilio(_apology)
def gather(
    call: SignedCall, parts: PartsDep, step: Annotated[int, Query(ge=0, le=call_log.CALL_STEP)]
) -> VoiceResponse | str:
    """What a `<Gather>` heard (Digits, or SpeechResult + Confidence, or nothing) goes to the engine."""
    conversation_id = parts.phone.calls.conversation_of(call.sid)
    if conversation_id is None:  # a call we never answered (its start was lost): answer it now
        return _begin(parts, call)
    return _advance(parts, call, conversation_id, step=step)


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
    duty = line.after_hours_queue and not _open_now(parts)
    if key == "1":
        line.callbacks.request(
            CallbackRequest(_conversation(parts, call), call.sid, call.get("From"), queue, lang, position=None)
        )
        return twiml.goodbye([phrases.say("callback_confirmed", lang)], lang)
    if key == "2":
        return twiml.voicemail(lang, line.urls)
    if key == "0" and duty:
        _enqueued(line, _conversation(parts, call), queue, lang, reason="after_hours_duty")
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
    conversation_id = _conversation(parts, call)
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
    conversation_id = line.calls.conversation_of(call.sid)
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
    request = CallbackRequest(_conversation(parts, call), call.sid, call.get("From"), queue, lang, position)
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
    parts.phone.calls.record(_conversation(parts, call), CallEvent.VOICEMAIL, data)


@router.post("/transcription", response_class=Response, response_model=None, summary="A voice message transcribed")
@answers_twilio(_nothing)
def transcription(call: SignedCall, parts: PartsDep) -> VoiceResponse:
    data = {
        "status": call.get("TranscriptionStatus"),
        "url": call.get("TranscriptionUrl"),
        "recording_url": call.get("RecordingUrl"),
    }
    text = call.get("TranscriptionText")
    parts.phone.calls.record(_conversation(parts, call), CallEvent.VOICEMAIL_TRANSCRIPTION, data, text=text)
    return twiml.empty()


@router.post("/status", response_class=Response, response_model=None, summary="The call's status changed")
@answers_twilio(_nothing)
def status(call: SignedCall, parts: PartsDep) -> VoiceResponse:
    """The number's status callback: at the end, the duration and whether the caller gave up in the queue."""
    state = call.get("CallStatus")
    if state not in FINAL_STATUSES:
        return twiml.empty()
    line = parts.phone
    conversation_id = line.calls.conversation_of(call.sid)
    if conversation_id is None:
        return twiml.empty()  # a call that never reached us (e.g. rejected before the first webhook)
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
