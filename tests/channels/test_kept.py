"""The callbacks a chat channel keeps while the database is unreachable (`channels.chat.kept`): a citizen with a
message kept has their next ones kept behind it until it is handled; a kept delivery record holds nobody back."""

from __future__ import annotations

import uuid

import redis

from channels.chat.kept import Kept


def test_a_citizens_kept_message_holds_their_next_ones_until_it_is_handled(redis_client: redis.Redis) -> None:
    kept = Kept(redis_client, f"test-{uuid.uuid4().hex[:8]}:kept")
    assert not kept.holds("anna"), "nothing kept: nobody waits (and Redis is not asked)"
    kept.keep(b"anna: subscribe", "anna")
    kept.keep(b"delivered to boris")  # a record: holds nobody back
    kept.keep(b"anna: a question", "anna")
    assert kept.holds("anna") and not kept.holds("boris")

    handled = kept.replay(lambda body: ("anna" if body.startswith(b"anna") else None, [body]))
    assert handled == [b"anna: subscribe", b"delivered to boris", b"anna: a question"], "oldest first"
    assert not kept.keeping and not kept.holds("anna")
    assert not redis_client.exists(kept.key, kept.flag, kept.whose), "nothing left behind in Redis"


def test_another_node_learns_that_a_citizen_waits(redis_client: redis.Redis) -> None:
    key = f"test-{uuid.uuid4().hex[:8]}:kept"
    here, there = Kept(redis_client, key), Kept(redis_client, key)
    here.keep(b"anna: subscribe", "anna")
    assert not there.holds("anna"), "not yet seen on that node (within one watch round)"
    there.refresh()
    assert there.holds("anna")
    there.done("anna")
    here.refresh()
    assert not here.holds("anna") and not here.keeping
