"""Rules a questionnaire must keep before its tree is published (pack import and the admin editor). Pure.

A questionnaire belongs to a `benefit_screening` intent; its first question is always asked; a number
question has a sane range that a phone keypad can type (from 1: a lone 0 reaches a person); a choice
question has 2–6 choices; a condition names only questions asked before it (a rule: any question),
with answers that question can give; every measure is an intent of the tree; every text is written
in every language.
"""

from __future__ import annotations

from collections.abc import Iterator

from intents.checks import Problem, with_paths
from intents.screening.conditions import ORDERED, Comparison, ConditionError, parse
from intents.screening.model import MAX_CHOICES, UNKNOWN, Question, QuestionKind, Questionnaire
from intents.tree import LANGUAGES, Action, Tree

MAX_NUMBER = 99  # two keys on a phone
FIELD = "screening"


def structure(tree: Tree) -> list[Problem]:
    """Every problem of every questionnaire in the tree."""
    paths = {node.slug: path for node, path in with_paths(tree)}
    problems: list[Problem] = []
    for slug, questionnaire in tree.screenings.items():
        path = paths.get(slug, ())
        problems += [Problem(code, f"questionnaire of {slug!r}: {message}", slug, path, FIELD, lang, detail)
                     for code, message, lang, detail in _problems(tree, questionnaire)]
    return problems


_Found = Iterator[tuple[str, str, str, str]]  # code, message, language, detail


def _problems(tree: Tree, questionnaire: Questionnaire) -> _Found:
    node = tree.index.get(questionnaire.intent)
    if node is None or node.action is not Action.BENEFIT_SCREENING:
        yield "screening_owner", "it belongs to no intent whose action is benefit screening", "", ""
    if not questionnaire.questions:
        yield "screening_empty", "it has no questions", "", ""
        return
    first = questionnaire.questions[0]
    if first.when.strip():
        yield "screening_first", "its first question must always be asked (no condition)", "", first.id
    seen: dict[str, Question] = {}
    for question in questionnaire.questions:
        if question.id in seen:
            yield "screening_duplicate", f"question {question.id!r} appears twice", "", question.id
        yield from _question(question)
        yield from _condition(question.when, seen, f"question {question.id!r}", question.id)
        seen[question.id] = question
    if not questionnaire.measures:
        yield "screening_no_measures", "it suggests no measure: add rules", "", ""
    for measure in questionnaire.measures:
        target = tree.index.get(measure.intent)
        if target is None or not target.is_intent or target.action is Action.BENEFIT_SCREENING:
            message = f"measure {measure.intent!r} is not an answering intent of the tree"
            yield "screening_measure", message, "", measure.intent
        yield from _condition(measure.when, seen, f"the rule of {measure.intent!r}", measure.intent, required=True)
    yield from _translations(questionnaire)


def _question(question: Question) -> _Found:
    name = f"question {question.id!r}"
    if question.kind is QuestionKind.NUMBER:
        low, high = question.minimum, question.maximum
        if low is None or high is None:
            yield "screening_range", f"{name}: a number question needs min and max", "", question.id
        elif not 1 <= low <= high <= MAX_NUMBER:
            message = f"{name}: the range must lie within 1…{MAX_NUMBER} with min ≤ max (0 alone reaches a person)"
            yield "screening_range", message, "", question.id
    elif question.minimum is not None or question.maximum is not None:
        yield "screening_range", f"{name}: only a number question has min and max", "", question.id
    if question.kind is QuestionKind.CHOICE:
        ids = [c.id for c in question.choices]
        if not 2 <= len(ids) <= MAX_CHOICES:
            yield "screening_choices", f"{name}: a choice question has 2 to {MAX_CHOICES} choices", "", question.id
        if len(set(ids)) != len(ids) or UNKNOWN in ids:
            yield "screening_choices", f"{name}: choice ids must differ and not be {UNKNOWN!r}", "", question.id
    elif question.choices:
        yield "screening_choices", f"{name}: only a choice question has choices", "", question.id


def _condition(source: str, asked: dict[str, Question], owner: str, detail: str, *, required: bool = False) -> _Found:
    if not source.strip():
        if required:
            yield "screening_condition", f"{owner}: write the condition", "", detail
        return
    try:
        condition = parse(source)
    except ConditionError as exc:
        yield "screening_condition", f"{owner}: {exc}", "", detail
        return
    for comparison in condition.comparisons():
        if (problem := _comparison_problem(comparison, asked)) is not None:
            yield "screening_condition", f"{owner}: {problem}", "", detail


def _comparison_problem(comparison: Comparison, asked: dict[str, Question]) -> str | None:
    question = asked.get(comparison.question)
    if question is None:
        return f"{comparison.question!r} is not a question asked before this"
    if question.kind is QuestionKind.NUMBER:
        if not all(isinstance(v, int) or v == UNKNOWN for v in comparison.values):
            return f"{question.id!r} is answered with a number"
        return None
    if comparison.op in ORDERED:
        return f"{question.id!r} is not a number: compare it with = or !="
    allowed = question.values()
    wrong = [v for v in comparison.values if v not in allowed]
    return f"{question.id!r} has no answer {wrong[0]!r} (it has: {', '.join(allowed)})" if wrong else None


def _translations(questionnaire: Questionnaire) -> _Found:
    for lang in LANGUAGES:
        if lang not in questionnaire.texts:
            yield "missing_translation", f"its texts are not written in {lang!r}", lang, ""
        for question in questionnaire.questions:
            if not (question.texts.get(lang) and question.texts[lang].text.strip()):
                yield "missing_translation", f"question {question.id!r} is not written in {lang!r}", lang, question.id
            for choice in question.choices:
                if not (choice.texts.get(lang) and choice.texts[lang].label.strip()):
                    message = f"choice {choice.id!r} of {question.id!r} has no label in {lang!r}"
                    yield "missing_translation", message, lang, question.id
        for measure in questionnaire.measures:
            if not measure.why.get(lang, "").strip():
                message = f"the rule of {measure.intent!r} says no why in {lang!r}"
                yield "missing_translation", message, lang, measure.intent
