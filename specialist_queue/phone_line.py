"""The phone line's seams (`ivr.waiting`) answered by the live queue; the app plugs them in:
`LiveWaitFigures(queue, TwilioWaitFigures())`, `QueueCallbacks(queue)` and `LiveQueueDoor(queue)`."""

from __future__ import annotations

from collections.abc import Mapping

from ivr.waiting import CallbackRequest, WaitFigures, WaitSource
from specialist_queue.service import PHONE, SpecialistQueue


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
        entry = self.queue.store.entry(conversation_id) if conversation_id else None
        urgent = entry is not None and entry.priority == "emergency"
        return WaitFigures(position=position, estimated_seconds=seconds, urgent=urgent)


class QueueCallbacks:
    """A caller's callback request joins the live queue, keeping the caller's place (idempotent)."""

    def __init__(self, queue: SpecialistQueue) -> None:
        self.queue = queue

    def takes(self, phone: str) -> bool:
        return bool(PHONE.match(phone))

    def request(self, callback: CallbackRequest) -> None:
        self.queue.request_callback(callback.conversation_id, callback.phone, skill=callback.queue)

    def voice_message(self, callback: CallbackRequest) -> None:
        """Due when the office opens; a hidden number's message has no phone: the specialist listens only."""
        phone = callback.phone if self.takes(callback.phone) else ""
        self.queue.request_callback(callback.conversation_id, phone, skill=callback.queue, listen_only=not phone)


class LiveQueueDoor:
    """A call in the live queue while its caller waits in Twilio's, taken out as abandoned when they hang up."""

    def __init__(self, queue: SpecialistQueue) -> None:
        self.queue = queue

    def let_in(self, conversation_id: str, *, queue: str, lang: str, priority: str = "normal") -> None:
        self.queue.enqueue(conversation_id, skill=queue, lang=lang, priority=priority)

    def hung_up(self, conversation_id: str) -> bool:
        return self.queue.abandon(conversation_id)
