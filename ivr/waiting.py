"""The caller's wait in the queue: where the figures come from, where callback requests go, what to announce.

Two small interfaces are the seams for the specialist queue (issue 4): `WaitSource` gives a waiting
caller's position and estimated wait (today from Twilio's own waitUrl parameters), and `CallbackDesk`
takes a callback request (today: an event in the conversation log). Plug the live queue in there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ivr import phrases
from ivr.calls import CallEvent, Calls


@dataclass(frozen=True)
class WaitFigures:
    position: int
    estimated_seconds: int | None = None
    queue_size: int | None = None


class WaitSource(Protocol):
    """Where a waiting caller stands. `params` are the waitUrl request's form fields."""

    def figures(
        self, *, conversation_id: str | None, queue: str, lang: str, params: Mapping[str, str]
    ) -> WaitFigures: ...


@dataclass(frozen=True)
class CallbackRequest:
    conversation_id: str
    call_sid: str
    phone: str
    queue: str
    lang: str
    position: int | None


class CallbackDesk(Protocol):
    """Takes a caller's request to be called back; it must be idempotent per conversation."""

    def request(self, callback: CallbackRequest) -> None: ...


def _int(params: Mapping[str, str], name: str) -> int | None:
    try:
        return max(0, int(float(params.get(name, ""))))
    except ValueError:
        return None


class TwilioWaitFigures:
    """Figures from the waitUrl request itself: Twilio's position, and its average wait minus the time waited."""

    def figures(self, *, conversation_id: str | None, queue: str, lang: str, params: Mapping[str, str]) -> WaitFigures:
        position = _int(params, "QueuePosition") or 1
        average, waited = _int(params, "AvgQueueTime"), _int(params, "QueueTime") or 0
        estimate = None if not average else max(average - waited, 0)
        return WaitFigures(position=position, estimated_seconds=estimate, queue_size=_int(params, "CurrentQueueSize"))


class LoggedCallbacks:
    """Callback requests written to the conversation log (with the number, queue, language and place)."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def request(self, callback: CallbackRequest) -> None:
        self.calls.record(
            callback.conversation_id,
            CallEvent.CALLBACK_REQUESTED,
            {
                "phone": callback.phone,
                "queue": callback.queue,
                "lang": callback.lang,
                "position": callback.position,
                "call_sid": callback.call_sid,
            },
        )


def announcement(figures: WaitFigures, last_announced: int | None, lang: str) -> list[str]:
    """What to tell a waiting caller now: nothing at the head of the queue, or when the place did not improve."""
    if figures.position <= 1 or (last_announced is not None and figures.position >= last_announced):
        return []
    said = [phrases.say("position", lang, position=figures.position)]
    if figures.estimated_seconds:
        wait = phrases.minutes(phrases.wait_seconds_to_minutes(figures.estimated_seconds), lang)
        said.append(phrases.say("estimate", lang, minutes=wait))
    return said
