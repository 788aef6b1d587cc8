"""Viber callbacks that came while the database was unreachable: kept in Redis in the order they came
(`channels.chat.kept`), answered with a 200 and one polite word to the citizen, and handled once the database
is back.

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

    @property
    def keeping(self) -> bool:
        """Whether callbacks wait (as this node knows without asking Redis): new ones queue behind them."""
        return self.kept.keeping

    def waiting(self) -> int:
        """How many callbacks wait for the database."""
        return self.kept.waiting()

    def keep(self, body: bytes, event: Event) -> Handled:
        """Keep a callback for later; the webhook's answer and what to send now."""
        person = event.sender or event.user
        lang = person.lang if person else None
        if event.event == "conversation_started":  # nothing to replay: the welcome says a minute, please
            return Handled(answer=text_message(texts.say("technical_break", lang), None, self.look))
        self.kept.keep(body)
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


def _handled(flows: ViberFlows, body: bytes) -> list[Outgoing]:
    event = wire.parse(body)
    return [] if event is None else flows.handle(event).outgoing
