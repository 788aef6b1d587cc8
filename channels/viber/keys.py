"""Every Redis key of the Viber channel, in one place, under `settings.redis_prefix`."""

from __future__ import annotations


def base(prefix: str) -> str:
    return f"{prefix}:viber"


def conversation(prefix: str, user_id: str) -> str:
    """The Viber user's current conversation id."""
    return f"{base(prefix)}:user:{user_id}:conv"


def rating(prefix: str, user_id: str) -> str:
    """The closed conversation whose satisfaction rating we asked this user for."""
    return f"{base(prefix)}:user:{user_id}:rating"


def unsubscribed(prefix: str, user_id: str) -> str:
    return f"{base(prefix)}:user:{user_id}:unsubscribed"


def unanswered(prefix: str, user_id: str) -> str:
    """Sorted set: our messages since the user last wrote, scored by when they were sent."""
    return f"{base(prefix)}:user:{user_id}:unanswered"


def welcome(prefix: str, message_token: int) -> str:
    """The welcome answered to one `conversation_started` event (a retry gets the same one)."""
    return f"{base(prefix)}:welcome:{message_token}"


def outgoing(prefix: str, message_id: str) -> str:
    """One outgoing message's delivery state: claimed once, so nothing is sent twice."""
    return f"{base(prefix)}:out:{message_id}"
