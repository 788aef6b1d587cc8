"""`WS /twilio/stream` (the caller's audio) and `POST /twilio/speech` (the `<Connect action>`).

The action is signed like every Twilio webhook (the phone line's own check) and goes down the
same path as a `<Gather action>`: what the stream heard becomes `Digits`, or `SpeechResult` and
`Confidence`, or nothing (then the engine asks again).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, WebSocket

from hotline.deps import Parts, PartsDep
from ivr import calls as call_log
from ivr import routes as phone
from ivr.line import TwilioCall
from ivr.speech import stream

router = APIRouter(prefix="/twilio", tags=["phone (Twilio)"])


@router.websocket("/stream")
async def media_stream(websocket: WebSocket) -> None:
    """Twilio's media stream of one question: µ-law audio in, the socket closed when the turn is over."""
    parts: Parts = websocket.app.state.parts
    await stream.serve(websocket, parts.speech)


@router.post("/speech", response_class=Response, response_model=None, summary="The caller's speech stream ended")
def speech_ended(
    call: phone.SignedCall,
    parts: PartsDep,
    step: Annotated[int, Query(ge=0, le=call_log.CALL_STEP)],
    ask: Annotated[str | None, Query(pattern="^language$")] = None,
) -> Response:
    """The `<Connect action>`: the stream's outcome goes to the engine as a `<Gather>`'s would."""
    outcome = parts.speech.store.outcome(call.sid, step)
    heard = outcome.params() if outcome is not None else {}
    params = {
        name: value for name, value in call.params.items() if name not in {"Digits", "SpeechResult", "Confidence"}
    }
    return phone.gather(call=TwilioCall({**params, **heard}), parts=parts, step=step, ask=ask)
