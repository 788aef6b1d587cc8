"""An operator may ask for more time on an offer (WCAG 2.2.1 Timing Adjustable), on a real Redis: one
offer timeout more, twice per offer, only before it runs out and only on their own offer; the offer then
expires at its new deadline, and the next offer of the conversation starts afresh."""

from __future__ import annotations

import pytest

from specialist_queue.model import Conflict, EntryState
from specialist_queue.store import QueueStore
from tests.queue.test_store import T0, available, enqueue

TIMEOUT = 20.0


def offer_to(store: QueueStore, operator: int, at: float = T0) -> str:
    made = store.offer(operator, deadline=at + TIMEOUT)
    assert made is not None
    return made.entry.conversation_id


def test_more_time_moves_the_deadline_twice_and_the_offer_then_expires_there(store: QueueStore) -> None:
    enqueue(store, "c")
    available(store, 1)
    conversation = offer_to(store, 1)
    assert store.extend_offer(1, conversation, now=T0 + 15, extra=TIMEOUT, most=2) == T0 + 40
    assert store.extend_offer(1, conversation, now=T0 + 39, extra=TIMEOUT, most=2) == T0 + 60
    with pytest.raises(Conflict, match="no more time"):
        store.extend_offer(1, conversation, now=T0 + 50, extra=TIMEOUT, most=2)
    assert store.entry(conversation).deadline == T0 + 60
    assert store.expire_offers(now=T0 + 59) == []  # the first deadline is long gone, the offer stands
    assert [e.conversation_id for e in store.expire_offers(now=T0 + 60)] == ["c"]
    assert store.entry("c").state is EntryState.WAITING


def test_more_time_only_on_ones_own_offer_before_it_runs_out(store: QueueStore) -> None:
    enqueue(store, "c")
    available(store, 1)
    available(store, 2)
    conversation = offer_to(store, 1)
    with pytest.raises(Conflict, match="not offered to you"):
        store.extend_offer(2, conversation, now=T0 + 1, extra=TIMEOUT, most=2)
    with pytest.raises(Conflict, match="expired"):
        store.extend_offer(1, conversation, now=T0 + TIMEOUT + 1, extra=TIMEOUT, most=2)


def test_the_next_offer_of_the_conversation_may_be_extended_again(store: QueueStore) -> None:
    enqueue(store, "c")
    available(store, 1)
    conversation = offer_to(store, 1)
    for at in (T0 + 1, T0 + 2):
        store.extend_offer(1, conversation, now=at, extra=TIMEOUT, most=2)
    store.expire_offers(now=T0 + 60)  # missed: back in the queue, operator 1 paused
    available(store, 2, at=T0 + 61)
    assert offer_to(store, 2, at=T0 + 61) == "c"
    assert store.extend_offer(2, "c", now=T0 + 62, extra=TIMEOUT, most=2) == T0 + 61 + 2 * TIMEOUT
