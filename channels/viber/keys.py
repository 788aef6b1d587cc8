"""Every Redis key of the Viber channel, in one place: those every messenger keeps (`channels.chat.keys`),
and Viber's own."""

from __future__ import annotations

from channels.chat.keys import MessengerKeys


def of(prefix: str) -> MessengerKeys:
    """The keys under `settings.redis_prefix`: a citizen is a Viber user."""
    return MessengerKeys(prefix, "viber", "user")


def unanswered(prefix: str, user_id: str) -> str:
    """Sorted set: our messages since the user last wrote, scored by when they were sent."""
    return of(prefix).of(user_id, "unanswered")


def welcome(prefix: str, message_token: int) -> str:
    """The welcome answered to one `conversation_started` event (a retry gets the same one)."""
    return f"{of(prefix).base}:welcome:{message_token}"


SENT_SECONDS = 2 * 24 * 3600  # Viber reports "seen" within days, if ever


def sent(prefix: str, message_token: int) -> str:
    """A specialist's message as Viber numbered it → `{conversation}:{chat message id}`, for its "seen" event."""
    return f"{of(prefix).base}:sent:{message_token}"
