"""Typing and seen on a real Redis: throttled typing, seen only moving forward and said when it does, and what a
page may report (anything malformed, too long or out of range is ignored, never an error)."""

from __future__ import annotations

import json
import time

import pytest
import redis

from specialist_queue import keys, presence
from specialist_queue.presence import Presence, Report, Seen, Typing

CONVERSATION = "a" * 32


def heard(pubsub: redis.client.PubSub) -> list[Typing | Seen | None]:
    found = []
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is None and found:
            break
        if message is not None:
            found.append(presence.signal(message["data"]))
    return found


def test_typing_is_said_once_per_throttle_and_seen_only_forward(redis_client: redis.Redis, prefix: str) -> None:
    said = Presence(redis_client, prefix)
    pubsub = redis_client.pubsub()
    pubsub.subscribe(keys.signal_channel(prefix, CONVERSATION))
    pubsub.get_message(timeout=1)  # the subscription's confirmation

    assert said.typing(CONVERSATION, "citizen") and not said.typing(CONVERSATION, "citizen")
    assert said.typing(CONVERSATION, "operator")  # each side has its own throttle
    assert said.seen(CONVERSATION, "operator", 7) and not said.seen(CONVERSATION, "operator", 5)
    assert said.seen(CONVERSATION, "operator", 9)
    assert heard(pubsub) == [Typing("citizen"), Typing("operator"), Seen("operator", 7), Seen("operator", 9)]
    assert said.last_seen(CONVERSATION, "operator") == 9 and said.last_seen(CONVERSATION, "citizen") == 0
    assert 0 < redis_client.ttl(keys.typing(prefix, CONVERSATION, "citizen")) <= presence.THROTTLE
    for wrong in (0, -1, 2**63):
        with pytest.raises(ValueError):
            said.seen(CONVERSATION, "citizen", wrong)
    pubsub.close()


@pytest.mark.parametrize(
    ("frame", "found"),
    [
        ('{"type": "typing"}', Report("typing")),
        (f'{{"type": "typing", "conversation_id": "{CONVERSATION}"}}', Report("typing", CONVERSATION)),
        ('{"type": "seen", "upto": 12}', Report("seen", None, 12)),
        ('{"type": "seen", "upto": 0}', None),
        ('{"type": "seen", "upto": 99999999999999999999999}', None),
        ('{"type": "seen", "upto": "12"}', None),
        ('{"type": "seen", "upto": true}', None),
        ('{"type": "typing", "conversation_id": "../x"}', None),
        ('{"type": "shout"}', None),
        ("[1, 2]", None),
        ("not json", None),
        ('{"type": "typing", "conversation_id": null}', Report("typing")),
    ],
)
def test_what_a_page_may_report(frame: str, found: Report | None) -> None:
    assert presence.report(frame) == found


def test_signals_that_are_not_ours_are_ignored() -> None:
    assert presence.signal(json.dumps({"typing": "robot"})) is None
    assert presence.signal(json.dumps({"seen": "citizen", "upto": "3"})) is None
    assert presence.signal("1") is None
    assert presence.signal(json.dumps({"seen": "citizen", "upto": 3})) == Seen("citizen", 3)
