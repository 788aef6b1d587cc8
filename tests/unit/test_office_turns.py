"""The office's rules (`channels.office`) and what the engine makes of them: pure, no I/O, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from channels.office import OfficeRules, when
from hotline.office_hours import OfficeHours, QueuePolicy, parse_week
from hotline.settings import Settings
from intents import codec
from intents.engine import (
    T_CALLBACK,
    T_MESSAGE,
    T_WAIT,
    Callback,
    Expect,
    Handoff,
    Input,
    InputKind,
    Reply,
    State,
    Turn,
    Unavailable,
    handle,
)
from intents.matcher import Matcher
from intents.office_turns import phone_in
from intents.pack import parse_pack
from intents.tree import Priority, Tree
from tests.unit.test_engine import PACK

KYIV = ZoneInfo("Europe/Kyiv")
SATURDAY_EVENING = datetime(2026, 12, 5, 19, 30, tzinfo=KYIV)
TUESDAY_MORNING = datetime(2026, 12, 8, 10, 0, tzinfo=KYIV)
DEMO_HOURS = OfficeHours(week=parse_week(Settings.model_fields["office_hours"].default))


@pytest.fixture(scope="module")
def tree() -> Tree:
    return parse_pack(PACK)


@pytest.fixture(scope="module")
def matcher(tree: Tree) -> Matcher:
    return Matcher.build(tree)


def rules(
    at: datetime,
    *,
    policy: QueuePolicy | None = None,
    after_hours_wait: bool = True,
    unserved: bool = False,
) -> OfficeRules:
    return OfficeRules(
        lambda: DEMO_HOURS,
        lambda: policy or QueuePolicy(),
        after_hours_wait=after_hours_wait,
        unserved=lambda skill, lang: unserved,
        clock=lambda: at.astimezone(UTC),
    )


class Talk:
    """A conversation as a chat adapter drives it, with the office's rules of the moment."""

    def __init__(self, tree: Tree, matcher: Matcher, office: OfficeRules) -> None:
        self.tree, self.matcher, self.office = tree, matcher, office
        self.state: State | None = None

    def send(self, kind: InputKind, value: str = "", lang: str | None = None) -> Turn:
        turn = handle(self.state, Input(kind, value, lang=lang), self.tree, self.matcher, self.office)
        self.state = turn.state
        return turn

    def text(self, value: str) -> Turn:
        return self.send(InputKind.TEXT, value)

    def button(self, value: str) -> Turn:
        return self.send(InputKind.BUTTON, value)


def test_saturday_evening_with_the_demo_hours_tells_when_specialists_work_and_offers_the_phones_choices(
    tree: Tree, matcher: Matcher
) -> None:
    talk = Talk(tree, matcher, rules(SATURDAY_EVENING))
    talk.send(InputKind.START, lang="uk")
    turn = talk.text("оператор")
    reply = turn.replies[0]
    assert reply.unavailable is not None and reply.expect is Expect.NOBODY
    assert reply.unavailable.words == "Зараз фахівці не працюють. Вони відповідатимуть у понеділок о 08:00."
    assert reply.handoff is None and reply.promise == ""  # nobody is promised, nobody is queued
    assert turn.state.handoff is None and turn.state.offered is not None
    choices = [(o.key, o.target) for o in reply.options]
    assert choices == [("1", T_CALLBACK), ("2", T_MESSAGE), ("0", T_WAIT), ("", "menu")]
    asked = talk.button(T_MESSAGE).replies[0]
    assert asked.expect is Expect.CONTACT and "номер телефону" in asked.text
    left = talk.text("067 123-45-67, хочу дізнатися про субсидію")
    assert left.callback is not None and left.callback.phone == "+380671234567"
    assert left.callback.message == "хочу дізнатися про субсидію" and left.callback.handoff.queue == "general"
    assert "+380671234567" in left.replies[0].text and left.state.expect is Expect.MENU


def test_in_russian_and_without_the_callback_policy_or_a_duty_specialist(tree: Tree, matcher: Matcher) -> None:
    policy = QueuePolicy(callback_when_closed=False)
    talk = Talk(tree, matcher, rules(SATURDAY_EVENING, policy=policy, after_hours_wait=False))
    talk.send(InputKind.START, lang="ru")
    reply = talk.text("оператор").replies[0]
    assert reply.unavailable is not None
    assert reply.unavailable.words == "Сейчас специалисты не работают. Они будут отвечать в понедельник в 08:00."
    assert [o.target for o in reply.options] == [T_MESSAGE, "menu"]  # a message always, as the phone's voice message
    assert talk.button(T_CALLBACK).replies[0].sorry  # not offered: not taken
    assert talk.send(InputKind.DIGIT, "0").replies[0].sorry == "Такого пункта нет."


def test_waiting_all_the_same_hands_off_and_the_number_may_come_straight_away(tree: Tree, matcher: Matcher) -> None:
    talk = Talk(tree, matcher, rules(SATURDAY_EVENING))
    talk.send(InputKind.START, lang="uk")
    talk.text("оператор")
    waiting = talk.button(T_WAIT)
    assert waiting.state.handoff is not None and waiting.replies[0].promise
    other = Talk(tree, matcher, rules(SATURDAY_EVENING))
    other.send(InputKind.START, lang="uk")
    other.text("оператор")
    left = other.text("передзвоніть на +38 050 111 22 33")  # no need to press a button first
    assert left.callback is not None and left.callback.phone == "+380501112233"


def test_out_of_hours_with_nobody_on_duty_the_citizen_hears_so_before_choosing_to_wait(
    tree: Tree, matcher: Matcher
) -> None:
    talk = Talk(tree, matcher, rules(SATURDAY_EVENING, unserved=True))  # a duty setting, but nobody on shift
    talk.send(InputKind.START, lang="ru")
    reply = talk.text("оператор").replies[0]
    assert reply.unavailable is not None and reply.unavailable.wait  # waiting stays a choice (the phone's 0 0)
    assert reply.unavailable.words == (
        "Сейчас специалисты не работают. Они будут отвечать в понедельник в 08:00. "
        "Дежурного специалиста сейчас нет на смене: если решите ждать, вам ответят, как только он появится."
    )
    assert rules(SATURDAY_EVENING, unserved=True).duty_absent("general", "uk")
    assert not rules(SATURDAY_EVENING).duty_absent("general", "uk")  # the duty specialist is there
    assert not rules(SATURDAY_EVENING, unserved=True, after_hours_wait=False).duty_absent("general", "uk")


def test_a_crisis_is_put_through_at_any_hour(tree: Tree, matcher: Matcher) -> None:
    talk = Talk(tree, matcher, rules(SATURDAY_EVENING))
    talk.send(InputKind.START, lang="uk")
    turn = talk.text("мене б'є чоловік")
    assert turn.state.handoff is not None and turn.replies[0].unavailable is None


def test_in_hours_with_nobody_on_shift_the_citizen_waits_and_hears_so(tree: Tree, matcher: Matcher) -> None:
    talk = Talk(tree, matcher, rules(TUESDAY_MORNING, unserved=True))
    talk.send(InputKind.START, lang="uk")
    turn = talk.text("оператор")
    reply = turn.replies[0]
    assert reply.unavailable is not None and reply.unavailable.queued
    assert reply.unavailable.words.startswith("Зараз жоден фахівець на зміні")
    assert turn.state.handoff is not None and reply.handoff is not None  # in their place already
    assert [o.target for o in reply.options] == [T_CALLBACK, T_MESSAGE, "menu"]
    staffed = Talk(tree, matcher, rules(TUESDAY_MORNING))
    staffed.send(InputKind.START, lang="uk")
    assert staffed.text("оператор").replies[0].unavailable is None


def test_what_a_waiting_citizen_writes_is_for_the_person_not_the_robot(tree: Tree, matcher: Matcher) -> None:
    talk = Talk(tree, matcher, rules(TUESDAY_MORNING))
    talk.send(InputKind.START, lang="uk")
    talk.text("оператор")
    turn = talk.text("алло, тут хтось є? скільки чекати?")
    assert turn.replies == () and turn.relayed == "алло, тут хтось є? скільки чекати?"
    assert turn.state.handoff is not None  # still waiting
    known = talk.text("як оформити субсидію")  # what the robot surely knows it still answers, and relays
    assert known.relayed and [r.intent for r in known.replies] == ["housing_subsidy_apply"]
    assert known.state.handoff is not None
    crisis = talk.text("не хочу жити")
    assert crisis.relayed and crisis.replies[0].intent == "crisis"  # a crisis is answered at once
    menu = talk.text("меню")
    assert menu.replies[0].options and not menu.relayed  # command words reach the robot alone


def test_changing_the_language_keeps_the_conversation_and_asks_again_in_the_new_one(
    tree: Tree, matcher: Matcher
) -> None:
    talk = Talk(tree, matcher, rules(TUESDAY_MORNING))
    talk.send(InputKind.START, lang="uk")
    talk.text("як оформити субсидію")
    switched = talk.button("lang:ru")
    assert switched.state.lang == "ru" and switched.state.intent == "housing_subsidy_apply"
    assert switched.replies[0].text == "Заявление на субсидию подают в Пенсионный фонд."
    talk.text("оператор")
    during = talk.button("lang:uk")
    assert during.state.handoff is not None and during.state.lang == "uk"  # the handoff goes on
    night = Talk(tree, matcher, rules(SATURDAY_EVENING))
    night.send(InputKind.START, lang="uk")
    night.text("оператор")
    offered = night.button("lang:ru").replies[0]
    assert offered.unavailable is not None and offered.unavailable.words.startswith("Сейчас специалисты")


def test_when_the_office_opens_is_said_from_now() -> None:
    now = datetime(2026, 11, 20, 22, 0, tzinfo=KYIV)  # a Friday night
    assert when(datetime(2026, 11, 20, 23, 0, tzinfo=KYIV), now, "uk") == "сьогодні о 23:00"
    assert when(datetime(2026, 11, 21, 8, 0, tzinfo=KYIV), now, "ru") == "завтра в 08:00"
    assert when(datetime(2026, 11, 23, 8, 0, tzinfo=KYIV), now, "uk") == "у понеділок о 08:00"
    assert when(datetime(2026, 11, 24, 8, 0, tzinfo=KYIV), now, "ru") == "во вторник в 08:00"
    assert when(datetime(2027, 1, 5, 8, 0, tzinfo=KYIV), now, "uk") == "у вівторок, 05.01 о 08:00"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("067 123 45 67", ("+380671234567", "")),
        ("мій номер +380 (50) 111-22-33 дякую", ("+380501112233", "мій номер дякую")),
        ("0441234567", ("+380441234567", "")),
        ("субсидія на 2 102 грн", None),
        ("напишіть мені", None),
    ],
)
def test_a_phone_number_is_read_as_people_write_it(text: str, found: tuple[str, str] | None) -> None:
    assert phone_in(text) == found


def test_what_the_office_decided_survives_redis_and_a_retried_turn() -> None:
    handoff = Handoff("general", Priority.NORMAL, "operator_requested")
    reply = Reply(text="", text_long="", unavailable=Unavailable(handoff, "Зараз фахівці не працюють.", True, False))
    assert codec.reply_from_dict(codec.reply_to_dict(reply)) == reply
    state = State(lang="uk", expect=Expect.CONTACT, offered=handoff)
    assert codec.state_from_dict(codec.state_to_dict(state)) == state
    left = Callback(handoff, "+380671234567", "щодо субсидії")
    assert codec.callback_from_dict(codec.callback_to_dict(left)) == left
