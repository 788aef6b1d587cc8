"""`WS /twilio/stream` (the caller's audio) and `POST /twilio/speech` (the question's action).

The action is signed like every Twilio webhook (the phone line's own check) and goes down the
same path as a `<Gather action>`: what the stream heard becomes `Digits`, or `SpeechResult` and
`Confidence`, or nothing (then the engine asks again). A forked question's action comes from our
redirect at the end of the utterance, from its `<Gather>` (a key), or from Twilio's timeout
(silence); a key or silence ends the turn here, so the stream learns it is over, and the answer
begins by stopping the fork.
"""

from __future__ import annotations

import logging
from typing import Annotated

import redis
from fastapi import APIRouter, Query, Response, WebSocket

from hotline.call_events import CALL_STEP
from hotline.deps import Parts, PartsDep
from ivr import routes as phone
from ivr.line import MAX_BODY, TwilioCall
from ivr.speech import stream, twiml
from ivr.speech.line import SpeechLine, speech_of
from ivr.speech.listening import End
from ivr.speech.store import Outcome

log = logging.getLogger(__name__)
_HEARD_FIELDS = {"Digits", "SpeechResult", "Confidence"}
router = APIRouter(prefix="/twilio", tags=["phone (Twilio)"], max_body_size=MAX_BODY)


@router.websocket("/stream")
async def media_stream(websocket: WebSocket) -> None:
    """Twilio's media stream of one question: µ-law audio in, the socket closed when the turn is over."""
    parts: Parts = websocket.app.state.parts
    await stream.serve(websocket, speech_of(parts))


@router.post("/speech", response_class=Response, response_model=None, summary="The caller's speech stream ended")
def speech_ended(
    call: phone.SignedCall,
    parts: PartsDep,
    step: Annotated[int, Query(ge=0, le=CALL_STEP)],
    ask: Annotated[str | None, Query(pattern="^language$")] = None,
) -> Response:
    """The question's action: what ended the turn goes to the engine as a `<Gather>`'s answer would."""
    line = speech_of(parts)
    try:
        heard = _forked(line, call, step) if line.forks else _streamed(line, call, step)
    except redis.RedisError:
        log.exception("call %s step %s: the speech outcome cannot be read; taken as nothing heard", call.sid, step)
        heard = {}
    if heard is None:  # Twilio's timeout met the caller's first words: listen on, our redirect follows
        return Response(content=line.keep_listening(step, language=ask is not None).to_xml(), media_type="text/xml")
    params = {name: value for name, value in call.params.items() if name not in _HEARD_FIELDS}
    answer = phone.gather(call=TwilioCall({**params, **heard}), parts=parts, step=step, ask=ask)
    if not line.forks:
        return answer
    document = twiml.with_stop(bytes(answer.body).decode(), twiml.stream_name(step))
    return Response(content=document, media_type="text/xml")


def _streamed(line: SpeechLine, call: TwilioCall, step: int) -> dict[str, str]:
    """A `<Connect><Stream>` ended: what it heard, once the stream has written it."""
    outcome = line.store.outcome(call.sid, step)
    return outcome.params() if outcome is not None else {}


def _forked(line: SpeechLine, call: TwilioCall, step: int) -> dict[str, str] | None:
    """What ended a forked question's turn: a key, what the stream heard, or silence; None while the
    caller is talking."""
    digits = call.get("Digits")
    if digits:
        line.store.end(call.sid, step, Outcome(End.DTMF, digits=digits), over_speech=True)
        return {"Digits": digits}
    outcome = line.store.end(call.sid, step, Outcome(End.NO_SPEECH), over_speech=False)
    return None if outcome is None else outcome.params()
