"""Leases on a real Redis: one holder at a time, ownership checked on renewal and release, fencing
tokens that only grow, and a standby node that takes the work over when the holder's process is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from hotline.leases import Holding, Lease, LeaseLost, Periodic
from tests.helpers import ROOT

WAIT = 30.0  # the most any condition below may take on a loaded machine; none of them is timed


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    for key in redis_client.scan_iter(f"{name}:*"):
        redis_client.delete(key)


def until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still not: {what}"
        time.sleep(0.02)


async def until_async(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still not: {what}"
        await asyncio.sleep(0.02)


def test_one_holder_at_a_time_and_the_next_gets_a_larger_token(redis_client: redis.Redis, prefix: str) -> None:
    a = Lease(redis_client, "tick", prefix=prefix, ttl=30, owner="node-a")
    b = Lease(redis_client, "tick", prefix=prefix, ttl=30, owner="node-b")
    token = a.acquire()
    assert token is not None
    assert b.acquire() is None
    assert a.acquire() == token  # the holder asking again renews, keeping its token
    assert a.renew(token)
    assert a.holder() == (token, "node-a")
    assert not b.release(token)  # b cannot give up a's lease
    assert a.release(token)
    assert a.holder() is None
    following = b.acquire()
    assert following is not None and following > token


def test_a_run_out_holder_can_neither_renew_nor_release_its_successors_lease(
    redis_client: redis.Redis, prefix: str
) -> None:
    a = Lease(redis_client, "tick", prefix=prefix, ttl=0.05, owner="node-a")
    b = Lease(redis_client, "tick", prefix=prefix, ttl=30, owner="node-b")
    old = a.acquire()
    assert old is not None
    until(lambda: a.holder() is None, "a's lease ran out")
    new = b.acquire()
    assert new is not None and new > old
    assert not a.renew(old)
    assert not a.release(old)
    assert b.holder() == (new, "node-b")


def test_tokens_keep_growing_when_redis_lost_the_lease_and_its_counter(redis_client: redis.Redis, prefix: str) -> None:
    lease = Lease(redis_client, "tick", prefix=prefix, ttl=30)
    first = lease.acquire()
    assert first is not None
    for _ in range(3):  # a few holders in a row push the counter past the clock
        assert lease.release(lease.acquire() or 0)
    last = lease.acquire()
    assert last is not None and last >= first + 3
    redis_client.delete(lease.key, lease.fence_key)  # as after a failover to a replica that had not seen them
    until(lambda: int(redis_client.time()[0]) * 1000 > last, "Redis's clock passed the last token")
    after = lease.acquire()
    assert after is not None and after > last


def test_work_learns_its_lease_was_lost_while_it_ran(redis_client: redis.Redis, prefix: str) -> None:
    lease = Lease(redis_client, "retention", prefix=prefix, ttl=0.3, owner="node-a")
    seen: list[str] = []

    async def work(holding: Holding) -> None:
        holding.check()  # still ours
        redis_client.delete(lease.key)  # as if it ran out and another node took it
        Lease(redis_client, "retention", prefix=prefix, ttl=30, owner="node-b").acquire()
        await until_async(holding.lost.is_set, "the renewal noticed")
        with pytest.raises(LeaseLost):
            holding.check()
        seen.append("lost")

    async def main() -> None:
        periodic = Periodic(lease, work, every=60)
        periodic.start()
        await until_async(lambda: seen, "the round ran")
        await periodic.aclose()

    asyncio.run(main())
    assert seen == ["lost"]
    assert lease.holder() is not None and lease.holder()[1] == "node-b"  # type: ignore[index]  # a's close left it


def test_the_holder_runs_the_work_and_a_graceful_stop_hands_it_over(redis_client: redis.Redis, prefix: str) -> None:
    rounds: list[tuple[str, int]] = []

    def node(name: str) -> Periodic:
        lease = Lease(redis_client, "tick", prefix=prefix, ttl=30, owner=name)

        async def work(holding: Holding) -> None:
            rounds.append((name, holding.token))

        return Periodic(lease, work, every=0.01)

    async def main() -> None:
        a, b = node("a"), node("b")
        a.start()
        await until_async(lambda: len(rounds) >= 3, "a ran a few rounds")
        b.start()
        count = len(rounds)
        await until_async(lambda: len(rounds) >= count + 5, "more rounds")
        assert {name for name, _ in rounds} == {"a"}, "b stands by while a holds the lease"
        await a.aclose()  # released: b need not wait the 30 s the lease would have lasted
        await until_async(lambda: rounds[-1][0] == "b", "b took over")
        await b.aclose()

    asyncio.run(main())
    tokens = {name: {token for n, token in rounds if n == name} for name in ("a", "b")}
    assert len(tokens["a"]) == len(tokens["b"]) == 1
    assert min(tokens["b"]) > max(tokens["a"])
    assert [name for name, _ in rounds] == sorted(name for name, _ in rounds), "never a round of a after b's"


NODE = textwrap.dedent(
    """
    import asyncio, sys
    import redis
    from hotline.leases import Lease, Periodic

    url, prefix = sys.argv[1], sys.argv[2]
    client = redis.Redis.from_url(url, decode_responses=True)

    async def work(holding):
        client.rpush(f"{prefix}:rounds", f"killed-node {holding.token}")

    async def main():
        Periodic(Lease(client, "tick", prefix=prefix, ttl=1, owner="killed-node"), work, every=0.05).start()
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


def test_a_standby_node_carries_on_when_the_holders_process_is_killed(
    redis_client: redis.Redis, redis_url: str, prefix: str
) -> None:
    def rounds() -> list[tuple[str, int]]:
        return [(n, int(t)) for n, t in (r.split() for r in redis_client.lrange(f"{prefix}:rounds", 0, -1))]

    holder = subprocess.Popen([sys.executable, "-c", NODE, redis_url, prefix], cwd=ROOT, env=os.environ.copy())
    try:
        until(lambda: len(rounds()) >= 2, "the first node ran its rounds")

        async def standby() -> None:
            lease = Lease(redis_client, "tick", prefix=prefix, ttl=1, owner="standby")

            async def work(holding: Holding) -> None:
                redis_client.rpush(f"{prefix}:rounds", f"standby {holding.token}")

            periodic = Periodic(lease, work, every=0.05)
            periodic.start()
            await until_async(lambda: len(rounds()) >= 6, "more rounds of the first node")
            assert {n for n, _ in rounds()} == {"killed-node"}
            holder.send_signal(signal.SIGKILL)  # no release: the lease must run out
            await until_async(lambda: rounds()[-1][0] == "standby", "the standby took over")
            await periodic.aclose()

        asyncio.run(standby())
    finally:
        holder.kill()
        holder.wait()
    names = [n for n, _ in rounds()]
    first_standby = names.index("standby")
    assert set(names[first_standby:]) == {"standby"}, "no round of the dead node after the takeover"
    killed = {t for n, t in rounds() if n == "killed-node"}
    taken = {t for n, t in rounds() if n == "standby"}
    assert len(killed) == len(taken) == 1 and min(taken) > max(killed)
