"""Answering a call: the engine's turns for what the caller did, rendered for the phone (queue or nights).

The webhooks in `ivr.routes` call these; they hold no HTTP and no Twilio parameters beyond the call's form.
"""

from __future__ import annotations

import logging

from twilio.twiml.voice_response import VoiceResponse

from channels.office import OfficeRules
from hotline.call_events import CallEvent
from hotline.deps import Parts
from ivr import calls as call_log
from ivr import twiml
from ivr.calls import FIRST_STEP, WENT_ON, CallRecord
from ivr.line import PhoneLine, TwilioCall, phone_of
from ivr.speech.line import speech_of
from ivr.turns import DEFAULT_LANGUAGE, Turn, caller_input, render_turn
from ivr.waiting import CallbackRequest
from selfservice import notices

log = logging.getLogger(__name__)


class UnknownCall(LookupError):
    pass


def conversation_of(parts: Parts, call: TwilioCall) -> str:
    record = phone_of(parts).calls.find(call.sid)
    if record is None:
        raise UnknownCall(call.sid)
    return record.conversation_id


def rules(parts: Parts) -> OfficeRules:
    """The office's rules every channel follows (`channels.office`); the app always gives the dialogue them."""
    office = parts.dialogue.office
    if office is None:
        raise RuntimeError("the dialogue has no office rules")
    return office


def open_now(parts: Parts) -> bool:
    return rules(parts).is_open()


def begin(parts: Parts, call: TwilioCall) -> VoiceResponse | str:
    """Start the call's conversation once; a retried incoming-call webhook hears the same first words."""
    line = phone_of(parts)
    # The claim comes first: a new call (nearly every one) then costs no SQL look-up.
    if line.calls.claim(call.sid):
        return start(parts, call)
    record = line.calls.find(call.sid)
    if record is None:
        raise UnknownCall(call.sid)
    first = line.calls.first_answer(call.sid)
    if first == WENT_ON:
        # Twilio re-posts a call only before its first answer was used: this CallSid is a new call (test rigs
        # reuse them), and the old conversation is over.
        return start(parts, call)
    # Redis lost the first answer: carry on from wherever the conversation stands.
    return first or advance(parts, call, record, step=0)


def start(parts: Parts, call: TwilioCall) -> str:
    line = phone_of(parts)
    try:
        result = parts.dialogue.start(channel=call_log.CHANNEL, lang=None, external_id=call.sid)
    except Exception:
        line.calls.release(call.sid)
        raise
    response = render_turn(Turn(result), line.urls, questions=speech_of(parts))
    if found := notices.active_now(parts.sessions):  # an emergency notice is said first, on every call
        langs = (result.lang,) if result.lang else notices.LANGS
        response = twiml.notice_first(response, {lang: notices.words(found, lang) for lang in langs})
    first: str = response.to_xml()
    line.calls.remember(call.sid, CallRecord(result.conversation_id, result.tree_version), first)
    return first


def advance(parts: Parts, call: TwilioCall, record: CallRecord, *, step: int) -> VoiceResponse:
    """One turn of the engine for what the caller pressed or said, rendered for the phone."""
    line = phone_of(parts)
    dialogue = parts.dialogue
    event = caller_input(call.params)
    conversation_id = record.conversation_id
    if step == FIRST_STEP:
        line.calls.went_on(call.sid)
    result = dialogue.handle(conversation_id, event, turn=f"{call.sid}:{step}")
    turn = Turn(result, listening=dialogue.listening(result))
    nobody = turn.last.unavailable
    if nobody is not None and not nobody.queued:
        # No person now (the office's rules): the caller is not waiting for one until they choose the duty wait.
        choices = {"queue": nobody.handoff.queue, "lang": turn.lang, "reason": nobody.handoff.reason}
        line.calls.record(conversation_id, CallEvent.AFTER_HOURS_CHOICES, choices)
        return render_turn(turn, line.urls, callback=nobody.callback and line.callbacks.takes(call.get("From")))
    handoff = turn.handoff
    if handoff is not None:
        priority = handoff.priority.value
        enqueued(line, conversation_id, handoff.queue, turn.lang, reason=handoff.reason, priority=priority)
        return render_turn(turn, line.urls)
    return render_turn(turn, line.urls, questions=speech_of(parts))


def callback_allowed(parts: Parts, call: TwilioCall, *, office_open: bool) -> bool:
    """May this caller ask to be called back now: the office's rules, and a number to call."""
    return rules(parts).callback_allowed(office_open=office_open) and phone_of(parts).callbacks.takes(call.get("From"))


def call_back(parts: Parts, call: TwilioCall, *, queue: str, lang: str, position: int | None) -> None:
    """The caller's callback request: into the specialists' queue (keeping a waiting caller's place), then
    the call's own event (number, queue, language, place; `position` is None when they were not waiting)."""
    line = phone_of(parts)
    request = CallbackRequest(conversation_of(parts, call), call.sid, call.get("From"), queue, lang, position)
    line.callbacks.request(request)
    line.calls.asked_callback(call.sid)
    data = {"phone": request.phone, "queue": queue, "lang": lang, "position": position, "call_sid": call.sid}
    line.calls.record(request.conversation_id, CallEvent.CALLBACK_REQUESTED, data)


def voice_message(parts: Parts, call: TwilioCall, *, queue: str, lang: str) -> None:
    """A recorded voice message: stored with the call, then a callback request for the specialists to listen
    to it and call back (listen-only for a hidden number), due when the office opens. Retries change nothing."""
    line = phone_of(parts)
    conversation_id = conversation_of(parts, call)
    data = {
        "url": call.get("RecordingUrl"),
        "sid": call.get("RecordingSid"),
        "duration": call.get("RecordingDuration"),
        "from": call.get("From"),
    }
    line.calls.record(conversation_id, CallEvent.VOICEMAIL, data)
    request = CallbackRequest(conversation_id, call.sid, call.get("From"), queue, lang, None)
    line.callbacks.voice_message(request)
    phone = request.phone if line.callbacks.takes(request.phone) else ""
    callback = {"phone": phone, "queue": queue, "lang": lang, "position": None, "call_sid": call.sid}
    line.calls.record(conversation_id, CallEvent.CALLBACK_REQUESTED, {**callback, "voice_message": True})


def queue_anyway(parts: Parts, call: TwilioCall) -> None:
    """After a fault the caller is told a person comes: put the call in the general queue so one does."""
    try:
        record = phone_of(parts).calls.find(call.sid)
        if record is not None:
            phone_of(parts).door.let_in(record.conversation_id, queue=twiml.FALLBACK_QUEUE, lang=DEFAULT_LANGUAGE)
    except Exception:  # already handling a fault: a second one must not turn the apology into a 500
        log.exception("call %s could not be put in the general queue after a fault", call.sid)


def enqueued(
    line: PhoneLine, conversation_id: str, queue: str, lang: str, *, reason: str, priority: str = "normal"
) -> None:
    """The caller is put in Twilio's queue: they wait for a person, so they wait in ours too (first), then the
    call's event."""
    line.door.let_in(conversation_id, queue=queue, lang=lang, priority=priority)
    data = {"queue": queue, "lang": lang, "twilio_queue": twiml.queue_name(queue, lang), "reason": reason}
    line.calls.record(conversation_id, CallEvent.ENQUEUED, data)
