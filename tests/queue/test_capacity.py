"""Several conversations at once, on a real Redis: each operator's capacity (chats and a call), the least
loaded first, wrap-ups keeping their slot for the wrap-up time, and pausing while holding conversations."""

from __future__ import annotations

import pytest

from specialist_queue.model import Capacity, Conflict, Kind, OperatorState
from specialist_queue.store import QueueStore

T0 = 1_000_000.0


def enqueue(store: QueueStore, conversation: str, kind: Kind = Kind.CHAT, at: float = T0) -> None:
    store.enqueue(conversation, queue="subsidies:uk", channel="web", kind=kind, priority="normal", now=at)


def available(store: QueueStore, operator: int, at: float = T0, capacity: Capacity | None = None) -> None:
    store.set_state(operator, OperatorState.AVAILABLE, now=at, name=f"op{operator}", capacity=capacity or Capacity())


def take(store: QueueStore, operator: int, at: float = T0) -> str | None:
    offer = store.offer(operator, deadline=at + 20)
    if offer is None:
        return None
    store.accept(operator, offer.entry.conversation_id, now=at)
    return offer.entry.conversation_id


def test_three_chats_and_one_call_at_once_and_a_call_in_progress_takes_no_other_call(store: QueueStore) -> None:
    enqueue(store, "call-1", Kind.CALL)
    enqueue(store, "call-2", Kind.CALL, at=T0 + 1)
    for number in range(4):
        enqueue(store, f"chat-{number}", at=T0 + 2 + number)
    available(store, 1)
    assert take(store, 1) == "call-1"
    # On the call, the next call waits for someone else; the chats behind it come, up to three.
    assert [take(store, 1) for _ in range(4)] == ["chat-0", "chat-1", "chat-2", None]
    me = store.operator(1)
    assert me.state is OperatorState.BUSY and set(me.conversations) == {"call-1", "chat-0", "chat-1", "chat-2"}
    assert store.waiting("subsidies:uk") == ["call-2", "chat-3"]


def test_the_least_loaded_operator_is_offered_first(store: QueueStore) -> None:
    for number in range(3):
        enqueue(store, f"chat-{number}", at=T0 + number)
    available(store, 1, at=T0)
    assert take(store, 1) == "chat-0"
    available(store, 2, at=T0 + 5)  # idle for a shorter time, but holding nothing
    offers = store.dispatch(deadline=T0 + 30)
    assert [(o.operator_id, o.entry.conversation_id) for o in offers] == [(2, "chat-1"), (1, "chat-2")]


def test_a_capacity_of_one_chat_and_no_calls(store: QueueStore) -> None:
    enqueue(store, "call", Kind.CALLBACK)
    enqueue(store, "chat-a", at=T0 + 1)
    enqueue(store, "chat-b", at=T0 + 2)
    available(store, 1, capacity=Capacity(chats=1, calls=0))
    assert take(store, 1) == "chat-a"
    assert take(store, 1) is None
    assert store.operator(1).capacity == Capacity(chats=1, calls=0)


def test_a_wrap_up_keeps_its_slot_for_the_wrap_up_time_and_its_form_until_sent(store: QueueStore) -> None:
    for number in range(3):
        enqueue(store, f"chat-{number}", at=T0 + number)
    available(store, 1, capacity=Capacity(chats=2, calls=1))
    assert [take(store, 1), take(store, 1)] == ["chat-0", "chat-1"]
    store.close(1, "chat-0", now=T0 + 10, wrap_until=T0 + 40, keep_seconds=60)
    me = store.operator(1)
    assert me.state is OperatorState.BUSY and me.conversations == ("chat-1",) and me.wrap_ups == ("chat-0",)
    assert take(store, 1, at=T0 + 11) is None  # the wrap-up still takes its slot
    store.close(1, "chat-1", now=T0 + 20, wrap_until=T0 + 50, keep_seconds=60)
    assert store.operator(1).state is OperatorState.WRAP_UP
    assert store.expire_wrap_ups(now=T0 + 40) == [1]
    assert store.operator(1).state is OperatorState.WRAP_UP  # chat-1's wrap-up time still runs
    assert take(store, 1, at=T0 + 41) is None  # no offers in wrap-up
    assert store.end_wrap_up(1, "chat-1", now=T0 + 42)
    me = store.operator(1)
    assert me.state is OperatorState.AVAILABLE and me.wrap_ups == ("chat-0",)  # its form is still to be sent
    assert take(store, 1, at=T0 + 43) == "chat-2"
    assert store.end_wrap_up(1, "chat-0", now=T0 + 44) and not store.end_wrap_up(1, "chat-0", now=T0 + 45)


def test_available_ends_the_wrap_up_time_early(store: QueueStore) -> None:
    enqueue(store, "chat")
    available(store, 1)
    take(store, 1)
    store.close(1, "chat", now=T0 + 5, wrap_until=T0 + 35, keep_seconds=60)
    available(store, 1, at=T0 + 6)
    me = store.operator(1)
    assert me.state is OperatorState.AVAILABLE and me.wrap_ups == ("chat",)
    assert store.expire_wrap_ups(now=T0 + 35) == []


def test_pausing_while_holding_stops_new_offers_and_going_offline_is_refused(store: QueueStore) -> None:
    for number in range(2):
        enqueue(store, f"chat-{number}", at=T0 + number)
    available(store, 1)
    assert take(store, 1) == "chat-0"
    store.set_state(1, OperatorState.PAUSED, now=T0 + 1, reason="paperwork")
    assert store.offer(1, deadline=T0 + 30) is None
    with pytest.raises(Conflict):
        store.set_state(1, OperatorState.OFFLINE, now=T0 + 2)
    available(store, 1, at=T0 + 3)
    assert store.operator(1).state is OperatorState.BUSY and take(store, 1, at=T0 + 4) == "chat-1"
