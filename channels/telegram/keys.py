"""Every Redis key of the Telegram channel, in one place: those every messenger keeps (`channels.chat.keys`),
and Telegram's own."""

from __future__ import annotations

from channels.chat.keys import MessengerKeys


def of(prefix: str) -> MessengerKeys:
    """The keys under `settings.redis_prefix`: a citizen is a Telegram chat."""
    return MessengerKeys(prefix, "telegram", "chat")


def update(prefix: str, update_id: int) -> str:
    """One update's handling: claimed once, so an update Telegram delivers twice is handled once."""
    return f"{of(prefix).base}:update:{update_id}"


def held(prefix: str) -> str:
    """Set while Telegram has asked the bot to wait (a 429's `retry_after`): no chat is sent anything, from any node."""
    return f"{of(prefix).base}:held"


def limits(prefix: str) -> str:
    """Where the shared send-rate counters live (the `limits` library's key prefix)."""
    return f"{of(prefix).base}:limits"
