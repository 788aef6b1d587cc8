"""The phone channel's side of the specialist queue: a waiting caller's figures (`ivr.waiting`'s seams),
callback requests, letting a call in and out of the live queue, connecting an accepted call to the
specialist's phone, and the voice messages Twilio keeps. The queue knows none of this: it asks
through `specialist_queue.follow`'s `Connector` and `Recordings`."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from twilio.twiml.voice_response import Dial, VoiceResponse

from ivr.calls import CHANNEL
from ivr.twilio_rest import TwilioRefused, TwilioRest, TwilioUnavailable
from ivr.waiting import CallbackRequest, WaitFigures, WaitSource
from specialist_queue.follow import CannotConnect, Gone, Recordings, Waiting, state_of
from specialist_queue.service import PHONE, SpecialistQueue


class LiveWaitFigures:
    """A waiting caller's place and estimate from our queue; Twilio's figures when it is not in it."""

    def __init__(self, queue: SpecialistQueue, fallback: WaitSource) -> None:
        self.queue = queue
        self.fallback = fallback

    def figures(self, *, conversation_id: str | None, queue: str, lang: str, params: Mapping[str, str]) -> WaitFigures:
        state = state_of(self.queue, conversation_id) if conversation_id else None
        if not isinstance(state, Waiting) or state.position is None:
            return self.fallback.figures(conversation_id=conversation_id, queue=queue, lang=lang, params=params)
        return WaitFigures(position=state.position, estimated_seconds=state.wait_seconds, urgent=state.urgent)


class QueueCallbacks:
    """A caller's callback request joins the live queue, keeping the caller's place (idempotent)."""

    def __init__(self, queue: SpecialistQueue) -> None:
        self.queue = queue

    def takes(self, phone: str) -> bool:
        return bool(PHONE.match(phone))

    def request(self, callback: CallbackRequest) -> None:
        self._request(callback, callback.phone)

    def voice_message(self, callback: CallbackRequest) -> None:
        """Due when the office opens; a hidden number's message has no phone: the specialist listens only."""
        phone = callback.phone if self.takes(callback.phone) else ""
        self._request(callback, phone, listen_only=not phone)

    def _request(self, callback: CallbackRequest, phone: str, *, listen_only: bool = False) -> None:
        # The call's queue, language and channel are known here: the queue asks the database nothing (it may be away).
        self.queue.request_callback(
            callback.conversation_id,
            phone,
            skill=callback.queue,
            lang=callback.lang,
            channel=CHANNEL,
            listen_only=listen_only,
        )


class LiveQueueDoor:
    """A call in the live queue while its caller waits in Twilio's, taken out as abandoned when they hang up."""

    def __init__(self, queue: SpecialistQueue) -> None:
        self.queue = queue

    def let_in(self, conversation_id: str, *, queue: str, lang: str, priority: str = "normal") -> None:
        # A call's channel is known here, so the queue asks the database nothing (it may be away).
        self.queue.enqueue(conversation_id, skill=queue, lang=lang, priority=priority, channel=CHANNEL)

    def hung_up(self, conversation_id: str) -> bool:
        return self.queue.abandon(conversation_id)


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


TWILIO_SETTINGS = ("HOTLINE_TWILIO_ACCOUNT_SID", "HOTLINE_TWILIO_AUTH_TOKEN")  # what its REST API needs


class CallConnector:
    """An accepted call leaves Twilio's queue for the specialist's phone (a REST update of the live call)."""

    def __init__(self, twilio: Callable[[], TwilioRest | None]) -> None:
        self.twilio = twilio  # the phone channel's client, made when it starts

    def missing(self) -> tuple[str, ...]:
        return () if self.twilio() is not None else TWILIO_SETTINGS

    async def connect(self, *, external_id: str, operator_phone: str | None, operator_identity: str) -> None:
        twilio = self.twilio()
        if twilio is None:
            raise CannotConnect("no Twilio account is configured (HOTLINE_TWILIO_ACCOUNT_SID)")
        try:
            await twilio.update_call(external_id, dial_operator(phone=operator_phone, identity=operator_identity))
        except TwilioRefused:
            raise Gone("the caller has hung up") from None  # Twilio will not redirect a call that is over
        except TwilioUnavailable as exc:
            raise CannotConnect(str(exc)) from None


class TwilioRecordings(Recordings):
    """Callers' voice messages as Twilio keeps them, for the queue and for privacy (`follow.Recordings`)."""

    def __init__(self, twilio: TwilioRest) -> None:
        self.twilio = twilio

    async def recording(self, recording_sid: str) -> tuple[bytes, str]:
        try:
            return await self.twilio.recording(recording_sid)
        except TwilioRefused:
            raise LookupError("Twilio no longer keeps this recording") from None
        except TwilioUnavailable as exc:
            raise CannotConnect(f"Twilio did not give the recording: {exc}") from None

    async def delete_recording(self, recording_sid: str) -> bool:
        return await self.twilio.delete_recording(recording_sid)
