"""Typing and "seen" between a citizen and the specialist holding their conversation.

Redis only, never SQL (they are not part of the conversation's record): a pub/sub signal per conversation
(`keys.signal_channel`), a short throttle key per side, and the id of the last chat message each side has
seen of the other's, kept as long as a conversation lasts so a page that reconnects shows it again.

- `typing(conversation_id, who)` — `who` ('citizen' or 'operator') is typing: said at most once in
  `THROTTLE` seconds per side (True when said now), however often a page reports it;
- `seen(conversation_id, who, upto)` — `who` has seen the other side's messages up to chat message `upto`
  (it only moves forward; said when it does);
- `last_seen(conversation_id, who)` — that id now (0: nothing seen yet);
- `signal(data)` — a signal channel's message as `Typing` or `Seen` (None for anything else).

Who may report what is the caller's business: the console for the operator holding the conversation, the web
chat's socket and the messengers' webhooks for the citizen.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

import redis

from specialist_queue import keys

Who = Literal["citizen", "operator"]
WHO: tuple[Who, ...] = ("citizen", "operator")
THROTTLE = 3  # seconds: a page reports each keystroke's burst, the other side hears it once per this
CONVERSATION = re.compile(r"^[0-9a-f]{32}$")
MAX_ID = 2**53  # a chat message id as Redis's Lua (doubles) still compares it exactly


@dataclass(frozen=True)
class Typing:
    who: Who

    @property
    def id(self) -> str:
        return f"typing:{self.who}"


@dataclass(frozen=True)
class Seen:
    who: Who
    upto: int

    @property
    def id(self) -> str:
        return f"seen:{self.who}:{self.upto}"


class Presence:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._seen = client.register_script(keys.SEEN)

    def typing(self, conversation_id: str, who: Who) -> bool:
        if not self.client.set(keys.typing(self.prefix, conversation_id, who), "1", nx=True, ex=THROTTLE):
            return False
        self.client.publish(keys.signal_channel(self.prefix, conversation_id), json.dumps({"typing": who}))
        return True

    def seen(self, conversation_id: str, who: Who, upto: int) -> bool:
        if not 0 < upto <= MAX_ID:
            raise ValueError("a message id is a positive integer")
        found = [keys.seen(self.prefix, conversation_id, who), keys.signal_channel(self.prefix, conversation_id)]
        return bool(self._seen(keys=found, args=[upto, keys.PUSHED_SECONDS, who]))

    def last_seen(self, conversation_id: str, who: Who) -> int:
        return int(self.client.get(keys.seen(self.prefix, conversation_id, who)) or 0)


@dataclass(frozen=True)
class Report:
    """What a page reported over its socket: typing, or seen up to a message (of a conversation, for the console)."""

    kind: Literal["typing", "seen"]
    conversation_id: str | None = None
    upto: int = 0


def report(data: str) -> Report | None:
    """A page's frame (`{"type": "typing"}` or `{"type": "seen", "upto": id}`, with `conversation_id` from the
    console), or None for anything malformed (a socket has no 4xx: it is ignored)."""
    try:
        found = json.loads(data)
    except ValueError:
        return None
    if not isinstance(found, dict) or found.get("type") not in ("typing", "seen"):
        return None
    conversation = found.get("conversation_id")
    if conversation is not None and not (isinstance(conversation, str) and CONVERSATION.match(conversation)):
        return None
    upto = found.get("upto", 0)
    if found["type"] == "seen" and not (type(upto) is int and 0 < upto <= MAX_ID):  # not a bool
        return None
    return Report(found["type"], conversation, upto if found["type"] == "seen" else 0)


def signal(data: object) -> Typing | Seen | None:
    """A signal channel's message, parsed."""
    try:
        found = json.loads(str(data))
    except ValueError:
        return None
    if not isinstance(found, dict):
        return None
    if found.get("typing") in WHO:
        return Typing(found["typing"])
    if found.get("seen") in WHO and type(found.get("upto")) is int:
        return Seen(found["seen"], found["upto"])
    return None
