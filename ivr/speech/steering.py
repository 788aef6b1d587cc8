"""A forked question's live call, moved through Twilio's REST API (`<Start><Stream>` mode).

At the caller's first words the prompt must stop: the call gets `keep_listening` (silence, keys still
taken, the action later as a safety net). At the end of the utterance it is redirected to the action.
Neither runs on the path of the stream's frames: the first is a task of its own, the second comes
after the turn is over. Every request has a time limit; a refusal (the caller hung up) or an outage is
logged and leaves the call on the TwiML it has, whose own timeout reaches the action in the end.
"""

from __future__ import annotations

import asyncio
import logging
import math

import redis

from ivr.speech import twiml
from ivr.speech.store import SpeechStore
from ivr.twilio_rest import TwilioError, TwilioRest

log = logging.getLogger(__name__)
# A caller is waiting on each update: a slow answer from Twilio is not waited for long.
REST_TIMEOUT_SECONDS = 4.0
# The safety net waits this long past the turn's time limit for our redirect before going to the action.
NET_MARGIN_SECONDS = 10


def net_seconds(max_ms: int) -> int:
    """How long `keep_listening` waits for our redirect: the turn's time limit, and a margin."""
    return math.ceil(max_ms / 1000) + NET_MARGIN_SECONDS


class Steering:
    """The REST updates of one forked question's call (one turn)."""

    def __init__(
        self, twilio: TwilioRest, store: SpeechStore, call_sid: str, step: int, action: str, max_ms: int
    ) -> None:
        self.twilio = twilio
        self.store = store
        self.call_sid = call_sid
        self.step = step
        self.action = action
        self.net_seconds = net_seconds(max_ms)
        self._interrupting: asyncio.Task[bool] | None = None

    def interrupt(self) -> None:
        """The caller talks over the prompt: stop it, in the background (frames keep flowing meanwhile)."""
        if self._interrupting is None:
            self._interrupting = asyncio.create_task(self._interrupt())

    async def _interrupt(self) -> bool:
        try:
            # Only while the turn is on: a key may have ended it, and the next question must not be stopped.
            speaking = await asyncio.to_thread(self.store.speaking, self.call_sid, self.step, self.net_seconds)
        except redis.RedisError:
            log.exception("call %s step %s: the prompt is not stopped (Redis failed)", self.call_sid, self.step)
            return False
        if not speaking:
            return False
        return await self._update(twiml.keep_listening(self.action, self.net_seconds).to_xml(), "stop the prompt")

    async def redirect(self) -> bool:
        """The turn is over and its outcome stored: on to the action (after the prompt's stop, never before)."""
        await self.settle()
        return await self._update(twiml.redirect(self.action).to_xml(), "go on at the action")

    async def settle(self) -> None:
        """Wait for the prompt's stop, if one was sent (it is bounded by its time limit)."""
        if self._interrupting is not None:
            await self._interrupting

    async def _update(self, document: str, what: str) -> bool:
        try:
            await self.twilio.update_call(self.call_sid, document, timeout=REST_TIMEOUT_SECONDS)
        except (TwilioError, ValueError) as exc:
            log.warning(
                "call %s step %s: could not %s: %s; the call stays on its TwiML", self.call_sid, self.step, what, exc
            )
            return False
        return True
