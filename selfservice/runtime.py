"""Self-service as the app runs it: the announcement sender on whichever node holds its lease, with a push
sender for each push channel of the registry that has one."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import redis
from sqlalchemy.orm import Session, sessionmaker

from channels.registry import Channels
from channels.telegram import line as telegram_line
from channels.viber import line as viber_line
from hotline.leases import Lease
from hotline.settings import Settings
from selfservice import sending
from selfservice.channels import push_channels
from selfservice.push import PushSender, TelegramPush, ViberPush


def _viber(settings: Settings, channels: Channels) -> PushSender | None:
    """Viber's push sender over the started line's HTTP client; none while the bot has no token."""
    line = channels.part(viber_line.ViberLine)
    if not line.token:
        return None
    api = viber_line.api_for(settings, line.http)
    return ViberPush(api=api, look=line.flows.look, rate=settings.viber_announce_rate)


def _telegram(settings: Settings, channels: Channels) -> PushSender | None:
    """Telegram's push sender over the started line's sender (its client and shared rates); none without a token."""
    line = channels.part(telegram_line.TelegramLine)
    if not settings.telegram_bot_token.get_secret_value():
        return None
    return TelegramPush(sender=line.sender, rate=settings.telegram_announce_rate)


# How an announcement goes out on each push channel, by the channel's name.
SENDERS: Mapping[str, Callable[[Settings, Channels], PushSender | None]] = {"viber": _viber, "telegram": _telegram}


def pushers(settings: Settings, channels: Channels) -> list[PushSender]:
    """A sender for every push channel that is on and can send announcements."""
    found = (SENDERS[c.name](settings, channels) for c in push_channels(channels) if c.name in SENDERS)
    return [sender for sender in found if sender is not None]


def start(
    settings: Settings, sessions: sessionmaker[Session], client: redis.Redis, channels: Channels
) -> sending.Announcer:
    """Start the sender in the running event loop, after the channels; `aclose` it before they close."""
    lease = Lease(client, "announcements", prefix=settings.redis_prefix, ttl=settings.lease_seconds)
    found = {p.channel: p for p in pushers(settings, channels)}
    announcer = sending.build(sessions, lease, found, every=settings.announcements_every_seconds)
    announcer.start()
    return announcer
