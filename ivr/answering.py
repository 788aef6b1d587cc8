"""Answering a call: the engine's turns for what the caller did, rendered for the phone (queue or nights).

The webhooks in `ivr.routes` call these; they hold no HTTP and no Twilio parameters beyond the call's form.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from hotline.db import utcnow
from hotline.deps import Parts
from ivr import calls as call_log
from ivr import phrases, twiml
from ivr.calls import CallEvent, CallRecord
from ivr.line import PhoneLine, TwilioCall
from ivr.turns import Turn, caller_input, render_turn


class UnknownCall(LookupError):
    pass


def conversation_of(parts: Parts, call: TwilioCall) -> str:
    record = parts.phone.calls.find(call.sid)
    if record is None:
        raise UnknownCall(call.sid)
    return record.conversation_id


def open_now(parts: Parts) -> bool:
    return parts.office_hours().is_open(utcnow())


def begin(parts: Parts, call: TwilioCall) -> VoiceResponse | str:
    """Start the call's conversation once; a retried incoming-call webhook hears the same first words."""
    line = parts.phone
    # The claim comes first: a new call (nearly every one) then costs no SQL look-up.
    if line.calls.claim(call.sid):
        return start(parts, call)
    record = line.calls.find(call.sid)
    if record is None:
        raise UnknownCall(call.sid)
    if (parts.dialogue.store.read(record.conversation_id).data or {}).get("step", 0) > 1:
        # Twilio re-posts a call only before its first answer was used: this CallSid is a new call (test rigs
        # reuse them), and the old conversation is over.
        return start(parts, call)
    # Redis lost the first answer: carry on from wherever the conversation stands.
    return line.calls.first_answer(call.sid) or advance(parts, call, record, step=0)


def start(parts: Parts, call: TwilioCall) -> str:
    line = parts.phone
    try:
        result = parts.dialogue.start(channel=call_log.CHANNEL, lang=None, external_id=call.sid)
    except Exception:
        line.calls.release(call.sid)
        raise
    first: str = render_turn(Turn(result), line.urls).to_xml()
    started = parts.dialogue.store.read(result.conversation_id).data or {}
    version = started.get("engine", {}).get("tree_version")
    line.calls.remember(call.sid, CallRecord(result.conversation_id, version), first)
    return first


def advance(
    parts: Parts, call: TwilioCall, record: CallRecord, *, step: int, language_asked: bool = False
) -> VoiceResponse:
    """One turn of the engine for what the caller pressed or said, rendered for the phone."""
    line = parts.phone
    dialogue = parts.dialogue
    # The first language question is step 1: an answer to a later one means it was asked again.
    event = caller_input(call.params, language_asked_again=language_asked and step >= 2)
    conversation_id = record.conversation_id
    result = dialogue.handle(conversation_id, event, turn=f"{call.sid}:{step}")
    version = record.tree_version or dialogue.trees.current_version()
    turn = Turn(result, tree=dialogue.trees.get(version).tree, heard_nothing=not event.value)
    handoff = turn.handoff
    if handoff is None:
        return render_turn(turn, line.urls)
    if handoff["priority"] == "emergency" or open_now(parts):
        enqueued(line, conversation_id, handoff["queue"], turn.lang, reason=handoff["reason"])
        return render_turn(turn, line.urls)
    return render_turn(turn, line.urls, closed=closed_words(parts, turn.lang), duty=line.after_hours_queue)


def closed_words(parts: Parts, lang: str) -> list[str]:
    now = utcnow()
    hours = parts.office_hours()
    try:
        opens = hours.next_opening(now)
    except ValueError:  # a schedule with no hours at all: there is no "when" to tell
        return [phrases.say("closed", lang)]
    return [phrases.say("closed", lang), phrases.say("opens", lang, when=phrases.when(opens, now, lang))]


def enqueued(line: PhoneLine, conversation_id: str, queue: str, lang: str, reason: str) -> None:
    data = {"queue": queue, "lang": lang, "twilio_queue": twiml.queue_name(queue, lang), "reason": reason}
    line.calls.record(conversation_id, CallEvent.ENQUEUED, data)
