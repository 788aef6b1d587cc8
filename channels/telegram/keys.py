"""Every Redis key of the Telegram channel, in one place, under `settings.redis_prefix`."""

from __future__ import annotations


def base(prefix: str) -> str:
    return f"{prefix}:telegram"


def conversation(prefix: str, chat_id: int) -> str:
    """The chat's current conversation id."""
    return f"{base(prefix)}:chat:{chat_id}:conv"


def stopped(prefix: str, chat_id: int) -> str:
    """Set while the citizen has blocked the bot: nothing is sent to them."""
    return f"{base(prefix)}:chat:{chat_id}:stopped"


def rating(prefix: str, chat_id: int) -> str:
    """The conversation a specialist closed, while its 1–5 score is awaited."""
    return f"{base(prefix)}:chat:{chat_id}:rating"


def update(prefix: str, update_id: int) -> str:
    """One update's handling: claimed once, so an update Telegram delivers twice is handled once."""
    return f"{base(prefix)}:update:{update_id}"


def outgoing(prefix: str, call_id: str) -> str:
    """One outgoing call's delivery: claimed once, so nothing is sent twice."""
    return f"{base(prefix)}:out:{call_id}"


def limits(prefix: str) -> str:
    """Where the shared send-rate counters live (the `limits` library's key prefix)."""
    return f"{base(prefix)}:limits"
