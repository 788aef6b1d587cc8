"""The screening questionnaire's parts, pure: conditions, reading answers, the flow, the checks, the pack."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from intents.pack import DEMO_PACK, PackError, dump_pack, load_pack, parse_pack
from intents.screening import answers, checks, flow
from intents.screening.conditions import ConditionError, holds, parse
from intents.screening.model import UNKNOWN, Choice, ChoiceText, Measure, Question, QuestionKind, QuestionText
from intents.tree import Tree

DEMO = load_pack(DEMO_PACK)
QUESTIONNAIRE = DEMO.screenings["benefit_screening"]


def question(question_id: str) -> Question:
    found = QUESTIONNAIRE.question(question_id)
    assert found is not None
    return found


# -- conditions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "answers", "expected"),
    [
        ("children >= 3", {"children": 3}, True),
        ("children >= 3", {"children": 2}, False),
        ("children >= 3", {}, False),  # not asked: says nothing
        ("children >= 3", {"children": UNKNOWN}, False),
        ("disability = adult | child", {"disability": "child"}, True),
        ("disability = adult | child", {"disability": "no"}, False),
        ("disability in (adult, child)", {"disability": "adult"}, True),
        ("idp != yes", {"idp": UNKNOWN}, True),
        ("has_children = yes and single_parent = yes", {"has_children": "yes", "single_parent": "no"}, False),
        ("household >= 2 or household = unknown", {"household": UNKNOWN}, True),
        ("a = yes і (b = yes або c = yes)", {"a": "yes", "c": "yes"}, True),  # the Ukrainian words work too
        ("a = да и b = нет", {"a": "да", "b": "нет"}, True),  # names are names, whatever their letters
        ("", {}, True),
    ],
)
def test_conditions_hold_on_the_answers_given(source: str, answers: dict[str, int | str], expected: bool) -> None:
    assert holds(source, answers) is expected


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("children >", "not a condition"),
        ("3 > children", "starts with a question"),
        ("f(children)", "compare a question"),
        ("income < below", "compares with one number"),
        ("1 < children < 3", "one comparison at a time"),
        ("children = 1.5", "whole number"),
        ("not idp = yes", "compare a question"),
        ("__import__('os')", "compare a question"),
    ],
)
def test_a_condition_that_cannot_be_read_says_why(source: str, says: str) -> None:
    with pytest.raises(ConditionError, match=says):
        parse(source)


def test_a_condition_lists_its_comparisons_for_the_checks() -> None:
    found = list(parse("children >= 3 and disability = adult | child").comparisons())
    assert [(c.question, c.op, c.values) for c in found] == [
        ("children", ">=", (3,)),
        ("disability", "in", ("adult", "child")),
    ]


# -- reading answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("4", "uk", 4),
        ("четверо", "uk", 4),
        ("нас четверо", "uk", 4),
        ("Нас п’ятеро.", "uk", 5),
        ("чотири людини разом зі мною", "uk", 4),
        ("двадцять", "uk", 20),
        ("я одна", "uk", 1),
        ("сама", "uk", 1),
        ("четыре человека", "ru", 4),
        ("нас трое", "ru", 3),
        ("не знаю", "uk", UNKNOWN),
        ("точно не знаю", "ru", None),  # a word that is neither: no answer
        ("двадцять п'ять", "uk", None),  # out of 1…20
        ("два або три", "uk", None),  # two numbers: no answer
        ("чотири і субсидія", "uk", None),
        ("0", "uk", None),
    ],
)
def test_numbers_in_words_and_digits(text: str, lang: str, expected: int | str | None) -> None:
    assert answers.from_words(question("household"), text, lang) == expected


def test_compound_numbers_within_a_wider_range() -> None:
    wide = replace(question("household"), maximum=99)
    assert answers.from_words(wide, "двадцять п'ять", "uk") == 25
    assert answers.from_words(wide, "сорок два", "ru") == 42


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("так", "uk", "yes"),
        ("Так, є", "uk", "yes"),
        ("так, доглядаю", "uk", "yes"),
        ("ні", "uk", "no"),
        ("ні, немає", "uk", "no"),
        ("да нет", "ru", "no"),  # "да нет" is a no
        ("не знаю", "uk", UNKNOWN),
        ("незнаю", "uk", UNKNOWN),
        ("затрудняюсь", "ru", UNKNOWN),
        ("1", "uk", "yes"),  # the key, typed
        ("2", "uk", "no"),
        ("3", "uk", UNKNOWN),
        ("два", "uk", "no"),  # the key, said
        ("субсидія", "uk", None),
    ],
)
def test_yes_no_and_dont_know(text: str, lang: str, expected: str | None) -> None:
    assert answers.from_words(question("idp"), text, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("ні", "uk", "no"),
        ("так, дитина", "uk", "child"),
        ("у сина інвалідність", "uk", "child"),
        ("так, доросла", "uk", "adult"),
        ("да, ребёнок", "ru", "child"),
        ("нет", "ru", "no"),
        ("так", "uk", None),  # yes, but who?
        ("3", "uk", "child"),
        ("не знаю", "uk", UNKNOWN),
    ],
)
def test_a_choice_by_its_words_or_key(text: str, lang: str, expected: str | None) -> None:
    assert answers.from_words(question("disability"), text, lang) == expected


def test_keys_of_answers_and_a_number_typed_with_its_hash() -> None:
    assert [answers.key_of(question("disability"), v) for v in ("no", "adult", "child", UNKNOWN)] == [
        "1",
        "2",
        "3",
        "4",
    ]
    assert answers.from_key(question("disability"), "5") is None
    assert answers.from_key(question("household"), "12#") == 12
    assert answers.from_key(question("household"), "21") is None


def test_without_dont_know_it_is_no_answer() -> None:
    strict = replace(question("idp"), dont_know=False)
    assert answers.from_words(strict, "не знаю", "uk") is None
    assert answers.from_key(strict, "3") is None


@pytest.mark.parametrize("text", ["стоп", "Зупиніть опитування", "хватит", "остановить опрос", "stop"])
def test_stop_words(text: str) -> None:
    assert answers.is_stop(text, "uk")


@pytest.mark.parametrize("text", ["ні", "не зупиняйте субсидію", "стоп ні, а субсидія?"])
def test_not_stop(text: str) -> None:
    assert not answers.is_stop(text, "uk")


# -- the flow -----------------------------------------------------------------------------------


def test_questions_asked_only_when_their_condition_holds_and_back_re_decides() -> None:
    progress = flow.begin(QUESTIONNAIRE)
    assert progress.current == "household"
    progress = flow.give(QUESTIONNAIRE, progress, 1)
    assert progress.current == "income"  # alone: no question about children
    progress = flow.back(progress)
    assert progress is not None and progress.current == "household" and progress.answered() == {}
    progress = flow.give(QUESTIONNAIRE, progress, 3)
    assert progress.current == "has_children"
    progress = flow.give(QUESTIONNAIRE, progress, "yes")
    assert progress.current == "children"
    assert flow.back(flow.begin(QUESTIONNAIRE)) is None  # nothing before the first question


def test_result_measures_in_order_each_once() -> None:
    given = {"children": 4, "child_under_3": "yes", "disability": "child", "needs_care": "yes", "income": "below"}
    suggested = [m.intent for m in flow.suggested(QUESTIONNAIRE, given)]
    assert suggested == [
        "birth_grant",
        "large_family",
        "low_income_aid",
        "disability_allowance",
        "care_compensation",
        "home_care",
        "rehab_equipment",
    ]
    assert flow.suggested(QUESTIONNAIRE, {"idp": "no"}) == ()


def test_back_from_the_result_reopens_the_last_question() -> None:
    progress = flow.begin(QUESTIONNAIRE)
    for answer in (1, "above", "no", "no", "no", "fine"):
        progress = flow.give(QUESTIONNAIRE, progress, answer)
    assert progress.done
    reopened = flow.back(progress)
    assert reopened is not None and reopened.current == "housing" and "housing" not in reopened.answered()


# -- the checks ---------------------------------------------------------------------------------


def problems(**changes: object) -> list[tuple[str, str]]:
    """The problems (code, detail) of the demo tree with its questionnaire changed."""
    changed = replace(DEMO, screenings={"benefit_screening": replace(QUESTIONNAIRE, **changes)})
    return [(p.code, p.detail) for p in checks.structure(changed)]


def with_question(question_id: str, **changes: object) -> tuple[Question, ...]:
    return tuple(replace(q, **changes) if q.id == question_id else q for q in QUESTIONNAIRE.questions)


def test_the_demo_questionnaire_passes() -> None:
    assert checks.structure(DEMO) == []


def test_a_rule_names_only_known_questions_with_their_answers() -> None:
    def rule(condition: str) -> list[tuple[str, str]]:
        return problems(measures=(Measure("large_family", condition, {"uk": "так", "ru": "да"}),))

    assert rule("kids >= 3") == [("screening_unknown_question", "large_family: kids >= 3")]
    assert rule("income = poor") == [("screening_wrong_answer", "large_family: income == poor")]
    assert rule("income > 3") == [("screening_not_number", "large_family: income > 3")]
    assert rule("household = yes") == [("screening_needs_number", "large_family: household == yes")]
    assert rule("children >=") == [("screening_condition", "large_family: children >=")]
    assert rule("") == [("screening_no_condition", "large_family")]


def test_a_condition_names_only_questions_asked_before() -> None:
    assert problems(questions=with_question("children", when="idp = yes")) == [
        ("screening_unknown_question", "children: idp == yes")
    ]


@pytest.mark.parametrize(("low", "high"), [(0, 5), (5, 3), (1, 100), (None, 5)])
def test_a_number_range_is_sane(low: int | None, high: int | None) -> None:
    assert problems(questions=with_question("household", minimum=low, maximum=high)) == [
        ("screening_range", "household")
    ]


def test_every_measure_is_an_answering_intent() -> None:
    for slug in ("no_such_intent", "families", "benefit_screening"):
        bad = (Measure(slug, "idp = yes", {"uk": "так", "ru": "да"}),)
        assert problems(measures=bad) == [("screening_measure", slug)]


def test_choices_and_translations() -> None:
    one = (Choice("only", {"uk": ChoiceText("Один"), "ru": ChoiceText("Один")}),)
    assert ("screening_choices", "income") in problems(questions=with_question("income", choices=one))
    untranslated = with_question("household", texts={"uk": QuestionText("Скільки?")})
    assert problems(questions=untranslated) == [("screening_translation", "household")]
    assert (
        checks.structure(
            replace(DEMO, screenings={"benefit_screening": replace(QUESTIONNAIRE, questions=untranslated)})
        )[0].lang
        == "ru"
    )


def test_the_first_question_is_always_asked_and_the_owner_screens() -> None:
    first = (replace(QUESTIONNAIRE.questions[0], when="idp = yes"), *QUESTIONNAIRE.questions[1:])
    assert problems(questions=first) == [
        ("screening_first", "household"),
        ("screening_unknown_question", "household: idp == yes"),
    ]
    stray = replace(DEMO, screenings={"birth_grant": replace(QUESTIONNAIRE, intent="birth_grant")})
    assert any("benefit screening" in p.message for p in checks.structure(stray))


def test_number_question_kind_rules() -> None:
    assert problems(questions=with_question("idp", minimum=1, maximum=2)) == [("screening_range_kind", "idp")]
    kinds = {q.kind for q in QUESTIONNAIRE.questions}
    assert kinds == {QuestionKind.NUMBER, QuestionKind.YES_NO, QuestionKind.CHOICE}


# -- the pack -----------------------------------------------------------------------------------


def test_the_pack_round_trips_with_its_questionnaire() -> None:
    again = parse_pack(dump_pack(DEMO))
    assert again.screenings == DEMO.screenings
    assert "screenings:" in dump_pack(DEMO)


PACK = textwrap.dedent(
    """\
    format: 1
    include: [{file}]
    tree:
      - slug: families
        kind: category
        key: 1
        uk: {{title: Сім'ї}}
        ru: {{title: Семьи}}
        children:
          - slug: large_family
            kind: intent
            key: 1
            uk: {{title: Багатодітні, short: Коротко., long: Довго.}}
            ru: {{title: Многодетные, short: Коротко., long: Долго.}}
          - slug: benefit_screening
            kind: intent
            key: 2
            action: benefit_screening
            uk: {{title: Що мені належить, short: Коротко., long: Довго.}}
            ru: {{title: Что мне положено, short: Коротко., long: Долго.}}
    """
)
SCREENING = textwrap.dedent(
    """\
    screenings:
      benefit_screening:
        uk: {intro: Вступ., result: Результат., none: Нічого., disclaimer: Вирішує фахівець.}
        ru: {intro: Вступление., result: Результат., none: Ничего., disclaimer: Решает специалист.}
        questions:
          - id: children
            kind: number
            min: 1
            max: 15
            uk: {text: "Скільки дітей?"}
            ru: {text: "Сколько детей?"}
        measures:
          - intent: large_family
            when: children >= 3
            uk: {why: трьох і більше.}
            ru: {why: троих и больше.}
    """
)


def write_pack(folder: Path, screening: str) -> Path:
    (folder / "screening.yaml").write_text(screening, encoding="utf-8")
    pack = folder / "pack.yaml"
    pack.write_text(PACK.format(file="screening.yaml"), encoding="utf-8")
    return pack


def test_a_pack_includes_its_questionnaire_from_a_file_beside_it(tmp_path: Path) -> None:
    tree = load_pack(write_pack(tmp_path, SCREENING))
    assert tree.screenings["benefit_screening"].questions[0].maximum == 15


def test_a_mistake_in_the_included_file_names_that_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(PackError) as caught:
        load_pack(write_pack(tmp_path, SCREENING.replace("kind: number", "kind: numeral")))
    assert caught.value.file == "screening.yaml"
    assert caught.value.line == 7  # "kind: numeral"


def test_a_questionnaire_breaking_a_rule_is_refused_whole(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="large_family: kids >= 3: no such question is asked before this"):
        load_pack(write_pack(tmp_path, SCREENING.replace("when: children >= 3", "when: kids >= 3")))


def test_include_only_beside_the_pack_and_only_from_a_file(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="only a pack read from a file"):
        parse_pack(PACK.format(file="screening.yaml"))
    (tmp_path / "inner").mkdir()
    pack = tmp_path / "inner" / "pack.yaml"
    pack.write_text(PACK.format(file="../screening.yaml"), encoding="utf-8")
    (tmp_path / "screening.yaml").write_text(SCREENING, encoding="utf-8")
    with pytest.raises(PackError, match="no file"):
        load_pack(pack)


def test_an_included_part_the_pack_has_already_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="has it already"):
        load_pack(write_pack(tmp_path, "tree: []\n"))


def test_trees_without_questionnaires_still_work() -> None:
    assert Tree(nodes=()).screenings == {}
