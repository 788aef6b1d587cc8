"""What a waiting call is told to do when a specialist accepts it: ring that specialist."""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, VoiceResponse


def dial_operator(*, phone: str | None, identity: str) -> str:
    """TwiML that bridges the caller to the operator's phone, or to their Twilio Client identity."""
    dial = Dial()
    if phone:
        dial.number(phone)
    else:
        dial.client(identity)
    response = VoiceResponse()
    response.append(dial)
    return str(response.to_xml())
