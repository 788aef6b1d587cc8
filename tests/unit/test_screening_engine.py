"""The screening questionnaire in the pure engine, on the demo pack with the real matcher: no I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest

from intents.engine import T_STOP, Expect, Input, InputKind, Reply, State, Turn, handle
from intents.matcher import Matcher
from intents.pack import DEMO_PACK, load_pack
from intents.screening.flow import Counted, What
from intents.tree import Priority

TREE = load_pack(DEMO_PACK)
MATCHER = Matcher.build(TREE)


class Talk:
    """One conversation, turn by turn."""

    def __init__(self, lang: str = "uk") -> None:
        self.state: State | None = None
        self.turn = self.say(InputKind.START, lang=lang)

    def say(
        self, kind: InputKind, value: str = "", *, lang: str | None = None, confidence: float | None = None
    ) -> Turn:
        self.turn = handle(self.state, Input(kind, value=value, lang=lang, confidence=confidence), TREE, MATCHER)
        self.state = self.turn.state
        return self.turn

    def key(self, digits: str) -> Turn:
        return self.say(InputKind.DIGIT, digits)

    def text(self, words: str) -> Turn:
        return self.say(InputKind.TEXT, words)

    def button(self, target: str) -> Turn:
        return self.say(InputKind.BUTTON, target)

    @property
    def reply(self) -> Reply:
        return self.turn.replies[-1]

    @property
    def asking(self) -> str | None:
        assert self.state is not None
        progress = self.state.screening
        return progress.current if progress is not None and self.state.expect is Expect.SCREENING else None


def started(lang: str = "uk") -> Talk:
    talk = Talk(lang)
    talk.button("benefit_screening")
    return talk


def test_the_questionnaire_starts_with_its_intro_and_first_question() -> None:
    talk = started()
    reply = talk.reply
    assert reply.text.startswith("Кілька коротких запитань")
    assert "Скільки людей у вашій родині" in reply.text
    assert reply.intent == "benefit_screening" and reply.handoff is None
    assert reply.expect is Expect.SCREENING and reply.digits == 2  # up to 20: two keys, then #
    assert talk.turn.counted == (Counted(What.STARTED, "benefit_screening"),)
    assert not talk.turn.private  # choosing the questionnaire is no answer
    labels = [(o.key, o.label) for o in reply.options]
    assert labels == [("", "Не знаю"), ("", "Назад"), ("", "Зупинити опитування"), ("0", "Фахівець")]


@pytest.mark.parametrize(
    ("lang", "words"), [("uk", "на що я взагалі маю право"), ("ru", "на какую помощь я имею право")]
)
def test_words_start_it_too(lang: str, words: str) -> None:
    talk = Talk(lang)
    talk.text(words)
    assert talk.asking == "household"


def test_through_every_question_by_keys_to_the_result() -> None:
    talk = started()
    keys = ["4", "1", "3", "1", "1", "1", "3", "1", "1", "1", "1"]  # a family of 4, three children, …
    asked = []
    for key in keys:
        asked.append(talk.asking)
        talk.key(key)
        assert talk.turn.private
    assert asked == [
        "household",
        "has_children",
        "children",
        "child_under_3",
        "single_parent",
        "income",
        "disability",
        "needs_care",
        "idp",
        "veteran",
        "housing",
    ]
    reply = talk.reply
    measures = [o.target for o in reply.options if o.key.isdigit() and o.key not in ("0", "9")]
    assert measures == [
        "birth_grant",
        "large_family",
        "single_parent_aid",
        "low_income_aid",
        "housing_subsidy_apply",
        "disability_allowance",
        "care_compensation",
        "home_care",
    ]
    assert [o.target for o in reply.options if o.key == ""] == ["rehab_equipment", "idp_allowance", "benefits_veterans"]
    assert "• Допомога при народженні дитини — допомогу при народженні виплачують частинами" in reply.text_long
    assert "Це попередня оцінка, а не рішення." in reply.text_long and "Це попередня оцінка" in reply.text
    assert talk.turn.counted[0] == Counted(What.COMPLETED, "benefit_screening")
    assert [c.intent for c in talk.turn.counted[1:]] == [
        *measures,
        "rehab_equipment",
        "idp_allowance",
        "benefits_veterans",
    ]


def test_speech_and_words_answer_as_keys_do() -> None:
    talk = started()
    talk.say(InputKind.SPEECH, "нас четверо", confidence=0.8)
    assert talk.asking == "has_children"
    talk.say(InputKind.SPEECH, "так є")
    assert talk.asking == "children"
    talk.say(InputKind.SPEECH, "двоє")
    assert talk.asking == "child_under_3"
    assert talk.state is not None and talk.state.screening is not None
    assert talk.state.screening.answered() == {"household": 4, "has_children": "yes", "children": 2}


def test_buttons_answer() -> None:
    talk = started()
    talk.button("answer:unknown")
    assert talk.asking == "has_children"  # "don't know" how many: the question about children comes anyway
    talk.button("answer:no")
    assert talk.asking == "income"


def test_an_invalid_answer_is_asked_again_once_with_an_example_then_taken_as_dont_know() -> None:
    talk = started()
    talk.text("4")
    talk.text("абракадабра")
    reply = talk.reply
    assert reply.sorry == "Вибачте, я не зрозумів відповідь."
    assert "Відповідайте «так» або «ні». Якщо не знаєте, скажіть «не знаю»." in reply.text
    assert talk.asking == "has_children"
    talk.text("щось інше")
    assert talk.reply.text.startswith("Позначу це питання як «не знаю» і продовжу.")
    assert talk.state is not None and talk.state.screening is not None
    assert talk.state.screening.answered()["has_children"] == "unknown"


def test_a_number_out_of_range_says_the_range() -> None:
    talk = started()
    talk.text("двадцять п'ять")
    assert talk.reply.sorry == "Потрібне число від 1 до 20."
    assert "наприклад: «четверо» або 4" in talk.reply.text
    assert talk.asking == "household"


def test_back_repeat_by_keys_words_and_buttons() -> None:
    talk = started()
    talk.key("5")
    talk.key("*")
    assert talk.asking == "has_children" and "Чи є у родині діти" in talk.reply.text
    talk.text("повторіть")
    assert talk.asking == "has_children"
    talk.key("#")
    assert talk.asking == "household"
    assert talk.state is not None and talk.state.screening is not None and talk.state.screening.answers == ()
    talk.text("2")
    talk.text("назад")
    assert talk.asking == "household"
    talk.button("back")  # back from the first question: out, to the menu it was chosen in
    assert talk.state is not None and talk.state.expect is Expect.MENU and talk.state.menu == "documents"
    assert talk.state.screening is None


@pytest.mark.parametrize("how", ["стоп", "зупиніть опитування", "button"])
def test_stop_forgets_the_answers_and_shows_the_main_menu(how: str) -> None:
    talk = started()
    talk.text("3")
    talk.button(T_STOP) if how == "button" else talk.text(how)
    assert talk.reply.text.startswith("Гаразд, опитування зупинено, ваші відповіді не збережено.")
    assert talk.state is not None and talk.state.screening is None and talk.state.menu is None
    assert next(o.target for o in talk.reply.options) == "subsidies"


def test_a_person_at_any_point_gets_the_answers_so_far() -> None:
    talk = started()
    talk.text("4")
    talk.text("так")
    talk.key("0")
    handoff = talk.reply.handoff
    assert handoff is not None and handoff.queue == "documents" and handoff.reason == "benefit_screening"
    assert talk.turn.answers == (
        {"question": "Скільки людей у вашій родині, разом з вами? Рахуйте тих, хто живе разом.", "answer": "4"},
        {"question": "Чи є у родині діти до 18 років?", "answer": "Так"},
    )


def test_yes_with_a_request_for_a_person_is_the_request() -> None:
    talk = started()
    talk.text("4")
    talk.text("так, з'єднайте з оператором")
    assert talk.reply.handoff is not None


def test_crisis_words_always_win() -> None:
    talk = started()
    talk.text("не хочу жити")
    handoff = talk.reply.handoff
    assert handoff is not None and handoff.priority is Priority.EMERGENCY


def test_silence_asks_again_and_a_person_comes_after_three() -> None:
    talk = started()
    talk.say(InputKind.NO_INPUT)
    assert talk.reply.sorry == "Вибачте, я вас не почув." and talk.asking == "household"
    talk.say(InputKind.NO_INPUT)
    assert talk.asking == "household"
    talk.say(InputKind.NO_INPUT)
    assert talk.reply.handoff is not None


def finished(lang: str = "uk") -> Talk:
    talk = started(lang)
    for key in ["2", "1", "1", "1", "1", "2", "1", "2", "2", "3"]:  # a single parent of one small child
        talk.key(key)
    return talk


def test_result_opens_each_measure_and_back_returns_to_it() -> None:
    talk = finished()
    assert [o.target for o in talk.reply.options] == ["birth_grant", "single_parent_aid", "menu", "back", "operator"]
    talk.key("1")
    assert talk.reply.intent == "birth_grant" and talk.state is not None and talk.state.expect is Expect.AFTER_ANSWER
    talk.key("#")
    assert talk.state is not None and talk.state.expect is Expect.SCREENING
    assert [o.target for o in talk.reply.options][:2] == ["birth_grant", "single_parent_aid"]
    assert talk.turn.counted == ()  # the same result, not a second one
    talk.button("single_parent_aid")
    assert talk.reply.intent == "single_parent_aid"
    talk.text("назад")
    talk.key("9")
    assert talk.state is not None and talk.state.expect is Expect.MENU and talk.state.menu is None


def test_back_from_the_result_changes_the_last_answer_and_counts_no_second_result() -> None:
    talk = finished()
    talk.key("#")
    assert talk.asking == "housing"
    talk.key("1")
    assert "housing_subsidy_apply" in [o.target for o in talk.reply.options]
    assert talk.turn.counted == ()


def test_a_person_from_the_result_carries_every_answer() -> None:
    talk = finished()
    talk.key("0")
    assert talk.reply.handoff is not None
    assert len(talk.turn.answers) == 10
    assert talk.turn.answers[-1] == {
        "question": "Як вашій родині вдається сплачувати за житло та комунальні послуги?",
        "answer": "Сплачуємо без труднощів",
    }


def test_nothing_found_says_so_with_the_disclaimer() -> None:
    talk = started()
    for key in ["1", "2", "1", "2", "2", "3"]:
        talk.key(key)
    reply = talk.reply
    assert reply.text.startswith("За вашими відповідями ми не знайшли заходу")
    assert [o.target for o in reply.options] == ["menu", "back", "operator"]
    assert talk.turn.counted == (Counted(What.COMPLETED, "benefit_screening"),)


def test_in_russian() -> None:
    talk = finished("ru")
    assert talk.reply.text.startswith("По вашим ответам ваша семья, вероятно, может иметь право")
    assert [o.label for o in talk.reply.options][:2] == ["Помощь при рождении ребёнка", "Одиноким матерям и отцам"]


def test_without_a_questionnaire_the_intent_hands_over_as_before() -> None:
    bare = replace(TREE, screenings={})
    turn = handle(None, Input(InputKind.START, lang="uk"), bare, MATCHER)
    turn = handle(turn.state, Input(InputKind.BUTTON, value="benefit_screening"), bare, MATCHER)
    assert turn.replies[-1].handoff is not None and turn.state.screening is None
