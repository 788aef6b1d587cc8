"""Many operators racing over many conversations on a real Redis: none lost, none doubled, and the
order kept (emergency, then callbacks due, then normal; first come, first served inside each)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from specialist_queue import keys
from specialist_queue.model import PRIORITY_CLASS, Conflict, Kind, Offer, OperatorState
from specialist_queue.store import QueueStore

CONVERSATIONS = 5000
OPERATORS = 50
PRODUCERS = 5
SKILLS = ("subsidies", "benefits", "families", "idp")
LANGS = ("uk", "ru")


@dataclass(frozen=True)
class Profile:
    skills: tuple[str, ...]
    langs: tuple[str, ...]

    def may_take(self, queue: str, klass: int) -> bool:
        skill, lang = queue.split(":")
        in_skills = not self.skills or skill in self.skills or klass == PRIORITY_CLASS["emergency"]
        return (not self.langs or lang in self.langs) and in_skills


# Most operators take everything; the others have a language and a couple of skills.
PROFILES = (
    [Profile((), ())] * 30
    + [Profile(("subsidies", "benefits"), ("uk",))] * 10
    + [Profile(("families", "idp"), ("ru",))] * 10
)


def plan(seed: int) -> list[tuple[str, str, str]]:
    """(conversation, queue, kind of arrival): ~10 % emergencies, ~15 % callbacks due, the rest normal."""
    rng = random.Random(seed)
    made = []
    for number in range(CONVERSATIONS):
        draw = rng.random()
        arrival = "emergency" if draw < 0.10 else "callback" if draw < 0.25 else "normal"
        skill = "crisis" if arrival == "emergency" and rng.random() < 0.5 else rng.choice(SKILLS)
        made.append((f"c{number:05d}", f"{skill}:{rng.choice(LANGS)}", arrival))
    return made


def arrive(store: QueueStore, conversation: str, queue: str, arrival: str, now: float) -> None:
    if arrival == "callback":
        store.request_callback(
            conversation, phone="+380500000000", due=now, now=now, queue=queue, channel="phone", priority="normal"
        )
    else:
        store.enqueue(conversation, queue=queue, channel="web", kind=Kind.CHAT, priority=arrival, now=now)


def test_fifty_operators_race_over_five_thousand_conversations(store: QueueStore) -> None:
    arrivals = plan(seed=4)
    now = time.time()

    # Five producers enqueue everything at once; every conversation is sent by two of them.
    def produce(share: int) -> None:
        for index, (conversation, queue, arrival) in enumerate(arrivals):
            if index % PRODUCERS in {share, (share + 1) % PRODUCERS}:
                arrive(store, conversation, queue, arrival, now)

    with ThreadPoolExecutor(PRODUCERS) as pool:
        list(pool.map(produce, range(PRODUCERS)))
    with store.client.pipeline(transaction=False) as pipe:
        for conversation, _, _ in arrivals:
            pipe.hget(keys.entry(store.prefix, conversation), "state")
        assert set(pipe.execute()) == {"waiting"}
    assert sum(len(store.waiting(q)) for q in store.queue_names()) == CONVERSATIONS  # none doubled in a queue

    taken: list[tuple[Offer, Profile]] = []
    lock = threading.Lock()

    def work(operator: int) -> None:
        profile = PROFILES[operator]
        store.set_state(operator, OperatorState.AVAILABLE, now=now, skills=profile.skills, langs=profile.langs)
        while (offer := store.offer(operator, deadline=now + 60)) is not None:
            conversation = offer.entry.conversation_id
            store.accept(operator, conversation, now=now)
            with lock:
                taken.append((offer, profile))
            store.close(operator, conversation, now=now, wrap_until=now, keep_seconds=600)
            store.set_state(operator, OperatorState.AVAILABLE, now=now, skills=profile.skills, langs=profile.langs)

    with ThreadPoolExecutor(OPERATORS) as pool:
        list(pool.map(work, range(OPERATORS)))

    got = Counter(offer.entry.conversation_id for offer, _ in taken)
    assert len(got) == CONVERSATIONS and set(got.values()) == {1}  # none lost, none doubled
    assert store.queue_names() and all(store.waiting(q) == [] for q in store.queue_names())
    assert store.client.zcard(keys.base(store.prefix) + ":offers") == 0
    # Every operator took part, so this was a race and not one thread doing all the work.
    assert len({offer.operator_id for offer, _ in taken}) == OPERATORS

    # Order: when an operator was offered a conversation, nothing they could take with a better
    # (class, seq) was still waiting, i.e. none of those was offered later.
    def score(offer: Offer) -> tuple[int, int]:
        return offer.entry.klass, offer.entry.seq

    assert len({offer.number for offer, _ in taken}) == CONVERSATIONS
    best_later: dict[Profile, tuple[int, int]] = {}
    for offer, profile in sorted(taken, key=lambda item: -item[0].number):
        later = best_later.get(profile)
        assert later is None or score(offer) < later, f"{offer.entry} was offered before something better"
        for candidate in set(PROFILES):
            if candidate.may_take(offer.entry.queue, offer.entry.klass):
                best_later[candidate] = min(best_later.get(candidate, score(offer)), score(offer))
    classes = Counter(offer.entry.klass for offer, _ in taken)
    assert all(classes[c] > 300 for c in PRIORITY_CLASS.values()), classes


def test_arrivals_timeouts_and_pauses_racing_lose_nothing(store: QueueStore) -> None:
    """Producers and operators at once; some offers are left to time out and operators pause."""
    arrivals = plan(seed=5)[:1500]
    accepted: Counter[str] = Counter()
    lock = threading.Lock()
    done = threading.Event()
    rng = random.Random(6)

    def produce(share: int) -> None:
        for index, (conversation, queue, arrival) in enumerate(arrivals):
            if index % PRODUCERS == share:
                arrive(store, conversation, queue, arrival, time.time())

    def expire() -> None:
        while not done.is_set():
            store.expire_offers(now=time.time() + 120)  # every open offer has "timed out"
            time.sleep(0.005)

    def work(operator: int) -> None:
        while not done.is_set():
            store.set_state(operator, OperatorState.AVAILABLE, now=time.time())
            offer = store.offer(operator, deadline=time.time() + 60)
            if offer is None:
                time.sleep(0.001)
                continue
            if rng.random() < 0.1:
                continue  # lets it ring: the expiring thread takes it back
            conversation = offer.entry.conversation_id
            try:
                store.accept(operator, conversation, now=time.time())
            except Conflict:
                continue  # it timed out first
            with lock:
                accepted[conversation] += 1
                if len(accepted) == len(arrivals):
                    done.set()
            store.close(operator, conversation, now=time.time(), wrap_until=time.time(), keep_seconds=600)

    with ThreadPoolExecutor(OPERATORS + PRODUCERS + 1) as pool:
        running = [pool.submit(work, op) for op in range(OPERATORS)] + [pool.submit(expire)]
        list(pool.map(produce, range(PRODUCERS)))
        assert done.wait(timeout=120), f"only {len(accepted)} of {len(arrivals)} were ever connected"
        for future in running:
            future.result()
    assert set(accepted) == {c for c, _, _ in arrivals} and set(accepted.values()) == {1}
