"""The phone line's two seams (`ivr.waiting`) answered by the live queue, for the app to plug in:
`PhoneLine.waits = LiveWaitFigures(queue, TwilioWaitFigures())`, `PhoneLine.callbacks = QueueCallbacks(queue)`."""

from __future__ import annotations

from collections.abc import Mapping

from ivr.waiting import CallbackRequest, WaitFigures, WaitSource
from specialist_queue.service import SpecialistQueue


class LiveWaitFigures:
    """A waiting caller's place and estimate from our queue; Twilio's figures when it is not in it."""

    def __init__(self, queue: SpecialistQueue, fallback: WaitSource) -> None:
        self.queue = queue
        self.fallback = fallback

    def figures(self, *, conversation_id: str | None, queue: str, lang: str, params: Mapping[str, str]) -> WaitFigures:
        found = self.queue.wait_figures(conversation_id) if conversation_id else None
        if found is None:
            return self.fallback.figures(conversation_id=conversation_id, queue=queue, lang=lang, params=params)
        position, seconds = found
        return WaitFigures(position=position, estimated_seconds=seconds)


class QueueCallbacks:
    """A caller's callback request joins the live queue, keeping the caller's place (idempotent)."""

    def __init__(self, queue: SpecialistQueue) -> None:
        self.queue = queue

    def request(self, callback: CallbackRequest) -> None:
        self.queue.request_callback(callback.conversation_id, callback.phone, skill=callback.queue)
