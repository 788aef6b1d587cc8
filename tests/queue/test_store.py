"""The live queues on a real Redis: order, eligibility, offers and their timeout, states, callbacks."""

from __future__ import annotations

import pytest

from specialist_queue.model import Conflict, EntryState, Kind, OperatorState
from specialist_queue.store import QueueStore

T0 = 1_000_000.0


def enqueue(
    store: QueueStore, conversation: str, queue: str = "subsidies:uk", priority: str = "normal", at: float = T0
):
    return store.enqueue(conversation, queue=queue, channel="web", kind=Kind.CHAT, priority=priority, now=at)


def available(store: QueueStore, operator: int, *, skills: tuple[str, ...] = (), langs: tuple[str, ...] = (), at=T0):
    store.set_state(operator, OperatorState.AVAILABLE, now=at, skills=skills, langs=langs, name=f"op{operator}")


def take(store: QueueStore, operator: int, at: float = T0) -> str | None:
    """Offer and accept at once; the conversation taken, or None."""
    offer = store.offer(operator, deadline=at + 20)
    if offer is None:
        return None
    store.accept(operator, offer.entry.conversation_id, now=at)
    return offer.entry.conversation_id


def finish(store: QueueStore, operator: int, conversation: str, at: float = T0) -> None:
    store.close(operator, conversation, now=at, wrap_until=at, keep_seconds=60)
    store.expire_wrap_ups(now=at)


def test_emergency_first_then_fifo_and_enqueue_is_idempotent(store: QueueStore) -> None:
    for name in ("n1", "n2", "n3"):
        assert enqueue(store, name)[0]
    assert enqueue(store, "e1", priority="emergency")[0]
    assert enqueue(store, "n1") == (False, store.entry("n1").seq)  # once, and keeping its place
    assert store.waiting("subsidies:uk") == ["e1", "n1", "n2", "n3"]
    available(store, 7)
    taken = []
    while (conversation := take(store, 7)) is not None:
        taken.append(conversation)
        finish(store, 7, conversation)
    assert taken == ["e1", "n1", "n2", "n3"]


def test_skills_and_languages_decide_and_emergencies_need_only_the_language(store: QueueStore) -> None:
    enqueue(store, "benefit-ru", queue="benefits:ru")
    enqueue(store, "subsidy-uk", queue="subsidies:uk")
    enqueue(store, "crisis-ru", queue="crisis:ru", priority="emergency")
    enqueue(store, "crisis-uk", queue="crisis:uk", priority="emergency")
    available(store, 1, skills=("subsidies",), langs=("uk",))
    available(store, 2, skills=("benefits",), langs=("ru",))
    # A subsidies specialist gets the Ukrainian crisis (not in their skills), never the Russian one.
    assert take(store, 1) == "crisis-uk"
    assert take(store, 2) == "crisis-ru"
    finish(store, 1, "crisis-uk")
    finish(store, 2, "crisis-ru")
    assert take(store, 1) == "subsidy-uk"
    assert take(store, 2) == "benefit-ru"


def test_across_queues_the_one_waiting_longest_comes_first(store: QueueStore) -> None:
    enqueue(store, "benefit", queue="benefits:uk")
    enqueue(store, "subsidy", queue="subsidies:uk")
    enqueue(store, "late-crisis", queue="crisis:uk", priority="emergency")
    available(store, 1)
    assert take(store, 1) == "late-crisis"
    finish(store, 1, "late-crisis")
    assert take(store, 1) == "benefit"
    finish(store, 1, "benefit")
    assert take(store, 1) == "subsidy"


def test_an_offer_not_accepted_in_time_returns_to_its_place_and_goes_to_the_next_operator(store: QueueStore) -> None:
    for name in ("first", "second"):
        enqueue(store, name)
    available(store, 1, at=T0)
    available(store, 2, at=T0 + 1)
    offers = store.dispatch(deadline=T0 + 20)
    assert [(o.operator_id, o.entry.conversation_id) for o in offers] == [(1, "first"), (2, "second")]
    with pytest.raises(Conflict):
        store.accept(2, "first", now=T0 + 2)  # offered to someone else
    store.accept(2, "second", now=T0 + 2)
    assert store.expire_offers(now=T0 + 19) == []
    expired = store.expire_offers(now=T0 + 20)
    assert [(e.conversation_id, e.operator) for e in expired] == [("first", 1)]
    assert store.entry("first").state is EntryState.WAITING
    assert store.operator(1).state is OperatorState.PAUSED and store.operator(1).reason == "missed_offer"
    with pytest.raises(Conflict):
        store.accept(1, "first", now=T0 + 21)
    enqueue(store, "third")
    available(store, 3, at=T0 + 21)
    # "first" is ahead of "third", and goes to the least loaded operator; 2, holding one chat, has room for more.
    offers = store.dispatch(deadline=T0 + 41)
    assert [(o.operator_id, o.entry.conversation_id) for o in offers] == [(3, "first"), (2, "third")]


def test_accepting_an_expired_offer_is_refused(store: QueueStore) -> None:
    enqueue(store, "c")
    available(store, 1)
    store.offer(1, deadline=T0 + 20)
    with pytest.raises(Conflict, match="expired"):
        store.accept(1, "c", now=T0 + 21)


def test_operator_states_wrap_up_and_pausing_gives_the_offer_back(store: QueueStore) -> None:
    enqueue(store, "c")
    available(store, 1)
    assert store.offer(1, deadline=T0 + 20) is not None
    before, returned = store.set_state(1, OperatorState.PAUSED, now=T0 + 1, reason="lunch")
    assert (before, returned) == (OperatorState.AVAILABLE, "c")
    assert store.waiting("subsidies:uk") == ["c"]
    assert store.offer(1, deadline=T0 + 20) is None  # paused operators get nothing
    available(store, 1, at=T0 + 2)
    store.accept(1, store.offer(1, deadline=T0 + 22).entry.conversation_id, now=T0 + 3)
    assert store.operator(1).state is OperatorState.BUSY and store.held_by("c") == 1
    with pytest.raises(Conflict):
        store.set_state(1, OperatorState.OFFLINE, now=T0 + 4)
    entry, handled = store.close(1, "c", now=T0 + 63, wrap_until=T0 + 93, keep_seconds=60)
    assert handled == 60.0 and entry.state is EntryState.CLOSED and store.held_by("c") is None
    assert store.operator(1).state is OperatorState.WRAP_UP
    assert store.expire_wrap_ups(now=T0 + 92) == []
    assert store.expire_wrap_ups(now=T0 + 93) == [1]
    assert store.operator(1).state is OperatorState.AVAILABLE
    assert store.handling_times("subsidies:uk") == [60.0]
    assert enqueue(store, "c")[0]  # closed, so asking again enters again


def test_abandon_takes_out_a_waiting_or_offered_conversation_but_not_a_held_one(store: QueueStore) -> None:
    for name in ("held", "offered", "waiting"):
        enqueue(store, name)
    available(store, 1)
    assert take(store, 1) == "held"
    available(store, 2)
    assert store.offer(2, deadline=T0 + 20).entry.conversation_id == "offered"
    assert store.abandon("held", now=T0 + 5, keep_seconds=60) is None
    assert store.held_by("held") == 1
    before, entry = store.abandon("offered", now=T0 + 5, keep_seconds=60)
    assert before is EntryState.OFFERED and entry.state is EntryState.CLOSED
    assert store.operator(2).offer == ""  # free for the next one
    before, _ = store.abandon("waiting", now=T0 + 6, keep_seconds=60)
    assert before is EntryState.WAITING and store.waiting("subsidies:uk") == []
    assert store.offer(2, deadline=T0 + 26) is None


def test_a_callback_keeps_its_place_waits_until_due_and_is_not_abandoned(store: QueueStore) -> None:
    for name in ("a", "b", "c"):
        enqueue(store, name)
    outcome, seq = store.request_callback(
        "b", phone="+380501112233", due=T0 + 100, now=T0, queue="subsidies:uk", channel="phone", priority="normal"
    )
    assert outcome == "kept" and seq == store.entry("b").seq
    assert store.entry("b").state is EntryState.SCHEDULED and store.waiting("subsidies:uk") == ["a", "c"]
    assert store.abandon("b", now=T0 + 1, keep_seconds=60) is None  # the call ended; the callback stays
    assert store.promote_callbacks(now=T0 + 99) == []
    assert store.promote_callbacks(now=T0 + 100) == ["b"]
    assert store.waiting("subsidies:uk") == ["b", "a", "c"]  # callbacks due come before normal ones
    assert store.entry("b").kind is Kind.CALLBACK and store.entry("b").phone == "+380501112233"
