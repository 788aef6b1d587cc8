"""Viber callbacks that could not be handled while the database was unreachable (a subscription, a rating, a message
to a specialist, the records of deliveries): kept in Redis in the order they came (`channels.chat.kept`), answered
with a 200 and one polite word to the citizen, and handled once the database is back. The robot's answers and
asking for a person do not wait: `ViberLine.take` handles them live.

A 5xx would make Viber repeat the callback for an hour while the citizen hears nothing. Replaying is safe: a
message's dialogue turn key and outgoing ids come from its token (`flows`), so a callback handled in part before
the database went away is finished, not done twice.
"""

from __future__ import annotations

import logging
from typing import Any

import redis

from channels.chat import texts
from channels.chat.kept import Kept
from channels.viber import keys, wire
from channels.viber.flows import Handled, ViberFlows
from channels.viber.wire import Event, Look, Outgoing, text_message

log = logging.getLogger(__name__)

TOLD_SECONDS = 600  # a citizen is told about the break once in this long, not on every message


class Deferred:
    def __init__(self, client: redis.Redis, prefix: str, look: Look) -> None:
        self.client = client
        self.keys = keys.of(prefix)
        self.kept = Kept(client, self.keys.kept())
        self.look = look

    def holds(self, event: Event) -> bool:
        """Whether this citizen has a message kept: their next one waits behind it (in the order they wrote)."""
        return self.kept.holds(citizen(event))

    def waiting(self) -> int:
        """How many callbacks wait for the database."""
        return self.kept.waiting()

    def keep(self, body: bytes, event: Event) -> Handled:
        """Keep a callback for later; the webhook's answer and what to send now."""
        person = event.sender or event.user
        lang = person.lang if person else None
        if event.event == "conversation_started":  # nothing to replay: the welcome says a minute, please
            return Handled(answer=text_message(texts.say("technical_break", lang), None, self.look))
        self.kept.keep(body, citizen(event))
        user = event.who
        if event.event != "message" or not user:
            return Handled()
        if not self.client.set(self.keys.break_told(user), "1", nx=True, ex=TOLD_SECONDS):
            return Handled()
        body_out: dict[str, Any] = text_message(texts.say("technical_break", lang), None, self.look, user)
        return Handled(outgoing=[Outgoing(f"break:{event.message_token}", user, body_out)])

    def replay(self, flows: ViberFlows) -> list[Outgoing]:
        """Handle the kept callbacks, oldest first, until none is left; what to send for them (raises while
        the database is still unreachable, leaving the rest kept)."""
        outgoing = self.kept.replay(lambda body: _handled(flows, body))
        if outgoing:
            log.info("kept Viber callbacks handled: %d messages to send", len(outgoing))
        return outgoing


def citizen(event: Event) -> str | None:
    """Whose messages a kept callback holds back: a message's writer; nobody's for a record of a delivery or a
    "seen" (their order does not matter)."""
    return event.who if event.event == "message" else None


def _handled(flows: ViberFlows, body: bytes) -> tuple[str | None, list[Outgoing]]:
    event = wire.parse(body)
    return (None, []) if event is None else (citizen(event), flows.handle(event).outgoing)
