"""Viber callbacks that came while the database was unreachable: kept in Redis in the order they came,
answered with a 200 and one polite word to the citizen, and handled once the database is back.

A 5xx would make Viber repeat the callback for an hour while the citizen hears nothing; a 200 alone would
lose it. Replaying is safe: a message's dialogue turn key and outgoing ids come from its token (`flows`),
so a callback handled in part before the database went away is finished, not done twice. While some wait,
new callbacks queue behind them, so a citizen's messages are answered in the order they were written.
"""

from __future__ import annotations

import logging
from typing import Any

import redis

from channels.chat import texts
from channels.viber import wire
from channels.viber.flows import Handled, ViberFlows
from channels.viber.wire import Event, Look, Outgoing, text_message

log = logging.getLogger(__name__)

TOLD_SECONDS = 600  # a citizen is told about the break once in this long, not on every message


class Deferred:
    def __init__(self, client: redis.Redis, prefix: str, look: Look) -> None:
        self.client = client
        self.prefix = prefix
        self.key = f"{prefix}:viber:deferred"
        self.look = look

    def waiting(self) -> int:
        """How many callbacks wait for the database."""
        return int(self.client.llen(self.key))

    def keep(self, body: bytes, event: Event) -> Handled:
        """Keep a callback for later; the webhook's answer and what to send now."""
        person = event.sender or event.user
        lang = person.lang if person else None
        if event.event == "conversation_started":  # nothing to replay: the welcome says a minute, please
            return Handled(answer=text_message(texts.say("technical_break", lang), None, self.look))
        self.client.rpush(self.key, body)
        user = event.who
        if event.event != "message" or not user:
            return Handled()
        if not self.client.set(f"{self.prefix}:viber:break-told:{user}", "1", nx=True, ex=TOLD_SECONDS):
            return Handled()
        body_out: dict[str, Any] = text_message(texts.say("technical_break", lang), None, self.look, user)
        return Handled(outgoing=[Outgoing(f"break:{event.message_token}", user, body_out)])

    def replay(self, flows: ViberFlows) -> list[Outgoing]:
        """Handle the kept callbacks, oldest first, until none is left; what to send for them (raises while
        the database is still unreachable, leaving the rest kept)."""
        outgoing: list[Outgoing] = []
        while (raw := self.client.lindex(self.key, 0)) is not None:
            event = wire.parse(raw if isinstance(raw, bytes) else str(raw).encode())
            if event is not None:
                outgoing += flows.handle(event).outgoing
            self.client.lpop(self.key)
        if outgoing:
            log.info("kept Viber callbacks handled: %d messages to send", len(outgoing))
        return outgoing
