"""Which queue changes make an operator's live stream read its state again: its own (or anyone's, when the change
names nobody), a message of a conversation it holds, and the heartbeat however busy the line is; not another
operator's offer or conversation, nor typing and seen alone."""

from __future__ import annotations

import json
import time

from specialist_queue import keys
from specialist_queue.live import concerned

P = "p"
NOTIFY = keys.notify_channel(P)


def notice(**what: object) -> dict[str, object]:
    return {"channel": NOTIFY, "data": json.dumps({"kind": "queue", **what})}


def test_only_what_concerns_the_operator_wakes_their_console() -> None:
    now = time.monotonic()
    assert concerned(P, 1, [], now)  # the heartbeat
    assert not concerned(P, 1, [notice(operators=[2, 3])], now)  # offers to others
    assert concerned(P, 1, [notice(operators=[2]), notice(operators=[1])], now)
    assert concerned(P, 1, [notice()], now)  # names nobody: anyone's may have changed
    assert concerned(P, 1, [{"channel": keys.chat_channel(P, "c" * 32), "data": "1"}], now)
    signal = {"channel": keys.signal_channel(P, "c" * 32), "data": json.dumps({"typing": "citizen"})}
    assert not concerned(P, 1, [signal], now)
    assert concerned(P, 1, [notice(operators=[2])], now - 1.5)  # a busy line still refreshes the figures each second
    assert concerned(P, 1, [{"channel": NOTIFY, "data": "not json"}], now)
