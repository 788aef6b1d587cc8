"""The Redis keys every messenger channel keeps alike, under `settings.redis_prefix` and the channel's name.

A messenger talks to one citizen per user (Viber) or chat (Telegram): their current conversation and the
rating we asked them for are keyed by that id; every outgoing message's claim (`channels.chat.outbox`) by
the message's id. A channel's own keys (`channels.viber.keys`, `channels.telegram.keys`) extend these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MessengerKeys:
    prefix: str
    channel: str  # the channel's name: "viber", "telegram"
    citizen: str  # what the channel's id of a citizen names: "user" (Viber), "chat" (Telegram)

    @property
    def base(self) -> str:
        return f"{self.prefix}:{self.channel}"

    def of(self, who: str | int, what: str) -> str:
        """One thing kept about one citizen."""
        return f"{self.base}:{self.citizen}:{who}:{what}"

    def conversation(self, who: str | int) -> str:
        """The citizen's current conversation id."""
        return self.of(who, "conv")

    def left(self, who: str | int) -> str:
        """Set while the citizen has left the bot (unsubscribed on Viber, blocked it on Telegram): nothing is
        sent to them until they come back."""
        return self.of(who, "left")

    def rating(self, who: str | int) -> str:
        """The conversation a specialist closed, while the citizen's 1–5 score is awaited."""
        return self.of(who, "rating")

    def kept(self) -> str:
        """Callbacks kept while the database is unreachable (`channels.chat.kept`), oldest first."""
        return f"{self.base}:deferred"

    def break_told(self, who: str | int) -> str:
        """Set for a while once the citizen was told of a technical break: told once, not per message."""
        return f"{self.base}:break-told:{who}"

    def outgoing(self, message_id: str) -> str:
        """One outgoing message's delivery: claimed once, so nothing is sent twice."""
        return f"{self.base}:out:{message_id}"
