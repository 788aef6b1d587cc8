"""Pure parts of the specialist queue: figures, the replay of the queue log, the path through the
tree, and the TwiML that rings the operator. No Redis, no SQL."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

import pytest

from channels.dialogue import Compiled
from hotline.conversation_log import ConversationEvent
from hotline.queue_log import QueueEvent
from intents.matcher import Matcher
from intents.pack import DEMO_PACK, load_pack
from ivr.queue_side import dial_operator
from specialist_queue import context, figures
from specialist_queue.model import EntryState, Kind
from specialist_queue.rebuild import replay


@cache
def demo() -> Compiled:
    tree = load_pack(DEMO_PACK)
    return Compiled(tree=tree, matcher=Matcher.build(tree))


def test_the_estimated_wait_shares_the_ones_ahead_among_the_staff() -> None:
    assert figures.estimated_wait(3, [100.0, 200.0], staffed=2, default=300) == 225
    assert figures.estimated_wait(3, [], staffed=0, default=300) == 900  # nobody staffed: as if one
    assert figures.estimated_wait(0, [60.0], staffed=1, default=300) == 0


def test_service_level_counts_quick_abandons_for_nobody() -> None:
    assert figures.service_level([10, 50, 70], [5, 90], threshold=60) == pytest.approx(2 / 4)
    assert figures.service_level([], [5], threshold=60) is None
    assert figures.longest_wait([100.0, 40.0], now=160.0) == 120.0 and figures.longest_wait([], 5.0) == 0.0


def event(number: int, kind: str, conversation: str = "c1", **fields: object) -> QueueEvent:
    data = fields.pop("data", {})
    return QueueEvent(
        id=number,
        at=datetime(2026, 3, 2, 10, 0, number, tzinfo=UTC),
        event=kind,
        conversation_id=conversation,
        channel="web",
        queue="subsidies:uk",
        lang="uk",
        priority="normal",
        data=data,
        **fields,
    )


def test_replay_keeps_open_conversations_in_the_state_the_log_left_them() -> None:
    entered = {"seq": 7, "class": 2, "kind": "chat"}
    log = [
        event(1, "entered", data=entered),
        event(2, "offered", operator_id=3),
        event(3, "timed_out", operator_id=3),
        event(4, "entered", "c2", data={**entered, "seq": 8}),
        event(5, "connected", "c2", operator_id=4),
        event(6, "entered", "c3", data={**entered, "seq": 9}),
        event(7, "abandoned", "c3"),
        event(
            8,
            "callback_requested",
            "c4",
            data={"new": True, "seq": 10, "class": 1, "phone": "+380", "due": 99.0, "state": "scheduled"},
        ),
        event(9, "connected", "c4", operator_id=4),
        event(10, "callback_outcome", "c4", data={"outcome": "no_answer", "attempts": 1, "due": 120.0}),
    ]
    found = replay(log)
    assert set(found) == {"c1", "c2", "c4"}
    assert (found["c1"].state, found["c1"].seq, found["c1"].operator) == (EntryState.WAITING, 7, None)
    assert (found["c2"].state, found["c2"].operator) == (EntryState.CONNECTED, 4)
    assert (found["c4"].kind, found["c4"].state, found["c4"].due, found["c4"].attempts) == (
        Kind.CALLBACK,
        EntryState.SCHEDULED,
        120.0,
        1,
    )
    assert found["c1"].enqueued == datetime(2026, 3, 2, 10, 0, 1, tzinfo=UTC).timestamp()
    closed = [*log, event(11, "closed", "c2", operator_id=4), event(12, "entered", "c2", data={**entered, "seq": 11})]
    assert replay(closed)["c2"].seq == 11  # asked again after it was closed: a new place


def turn(step: int, kind: str, text: str = "", **fields: object) -> ConversationEvent:
    return ConversationEvent(
        conversation_id="c",
        step=step,
        seq=0 if kind != "bot" else 1,
        kind=kind,
        text=text,
        data=fields.pop("data", {}),
        **fields,
    )


def test_the_path_through_the_tree_is_found_for_keypad_and_words_alike() -> None:
    subsidies = next(n for n in demo().tree.nodes if n.slug == "subsidies")
    first_intent = next(c for c in subsidies.children if c.is_intent)
    phone_call = [
        turn(1, "citizen_start"),
        turn(1, "bot", data={"expect": "language"}),
        turn(2, "citizen_digit", "1"),  # Ukrainian
        turn(3, "citizen_digit", str(subsidies.key)),
        turn(4, "citizen_digit", str(first_intent.key)),
        turn(5, "citizen_digit", "0"),
    ]
    assert context.path(phone_call, demo(), "uk") == ["subsidies", first_intent.slug]
    typed = [
        turn(1, "citizen_start"),
        turn(1, "bot", data={"expect": "menu"}),
        turn(2, "citizen_text", "як оформити субсидію", intent="housing_subsidy_apply", score=94.0),
    ]
    assert context.path(typed, demo(), "uk") == ["housing_subsidy_apply"]
    assert context.matched_intents(typed, demo().tree, "ru")[0]["title"] == "Как оформить субсидию"


def test_a_pressed_button_is_shown_by_its_label_not_its_id() -> None:
    tree = demo().tree
    labels = [context.button_label(target, tree, "ru") for target in ("lang:uk", "subsidies", "operator", "menu")]
    assert labels == ["Українська", "Жилищная субсидия", "Специалист", "Главное меню"]


def test_the_waiting_call_is_told_to_ring_the_operator() -> None:
    assert dial_operator(phone="+380441234567", identity="olena") == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Number>+380441234567</Number></Dial></Response>'
    )
    assert dial_operator(phone=None, identity="olena").endswith(
        "<Response><Dial><Client>olena</Client></Dial></Response>"
    )


def test_waits_are_told_in_whole_minutes_rounded_up() -> None:
    assert [figures.wait_minutes(s) for s in (0, 1, 60, 61, 600)] == [1, 1, 1, 2, 10]
