"""The caller's wait in the queue: where the figures come from, where callback requests go, what to announce.

Three small interfaces are the seams for the specialist queue: `WaitSource` gives a waiting caller's
position and estimated wait, `CallbackDesk` takes a callback request or a voice message, and `QueueDoor`
lets a call in (whenever the caller is put in a Twilio queue) and out (the caller hung up). The app plugs
the live queue in (`ivr.queue_side`); `TwilioWaitFigures` reads Twilio's own figures for a
call our queue does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ivr import phrases
from specialist_queue.figures import wait_minutes


@dataclass(frozen=True)
class WaitFigures:
    position: int
    estimated_seconds: int | None = None
    queue_size: int | None = None
    urgent: bool = False  # an emergency (crisis) call: nobody is invited to hang up and wait for a callback


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

    def takes(self, phone: str) -> bool:
        """Whether `phone` can be called back (a hidden or malformed number cannot)."""
        ...

    def request(self, callback: CallbackRequest) -> None: ...

    def voice_message(self, callback: CallbackRequest) -> None:
        """A voice message for the specialists: a callback request to listen to it and call back; for a
        number that `takes()` refuses (hidden) an entry to listen to only. Idempotent per conversation."""
        ...


class QueueDoor(Protocol):
    """The specialists' queue: a call is in it exactly while its caller waits for a person."""

    def let_in(self, conversation_id: str, *, queue: str, lang: str, priority: str = "normal") -> None:
        """Put the call in `queue` (idempotent) when the caller really waits for a person: the line renders
        `<Enqueue>` (in hours, in danger, the duty wait at night, after an internal error)."""
        ...

    def hung_up(self, conversation_id: str) -> bool:
        """The caller is gone: no specialist may be offered the call; True when it was waiting."""
        ...


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


def announcement(figures: WaitFigures, last_announced: int | None, lang: str) -> list[str]:
    """What to tell a waiting caller now: the place and the estimate at the first round (the first in the
    queue too) and whenever the place improved; nothing when it did not (it was said already)."""
    if last_announced is not None and figures.position >= last_announced:
        return []
    said = [
        phrases.say("position", lang, position=figures.position) if figures.position > 1 else phrases.say("first", lang)
    ]
    if figures.estimated_seconds:
        wait = phrases.minutes(wait_minutes(figures.estimated_seconds), lang)
        said.append(phrases.say("estimate", lang, minutes=wait))
    return said
