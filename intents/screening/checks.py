"""Rules a questionnaire must keep before its tree is published (pack import and the admin editor). Pure.

A questionnaire belongs to a `benefit_screening` intent; its first question is always asked; a number
question has a sane range that a phone keypad can type (from 1: a lone 0 reaches a person); a choice
question has 2–6 choices; a condition names only questions asked before it (a rule: any question),
with answers that question can give; every measure is an intent of the tree; every text is written
in every language. Each problem's `detail` names the question, rule or condition, so the admin pages
say it in their own language (`problem_<code>`).
"""

from __future__ import annotations

from collections.abc import Iterator

from intents.checks import Problem, with_paths
from intents.screening.conditions import ORDERED, Comparison, ConditionError, parse
from intents.screening.model import MAX_CHOICES, UNKNOWN, Question, QuestionKind, Questionnaire
from intents.tree import LANGUAGES, Action, Tree

MAX_NUMBER = 99  # two keys on a phone
FIELD = "screening"

_MESSAGES = {
    "screening_owner": "it belongs to no intent whose action is benefit screening",
    "screening_empty": "it has no questions",
    "screening_first": "its first question ({detail}) must always be asked (no condition)",
    "screening_duplicate": "question {detail!r} appears twice",
    "screening_range": f"question {{detail!r}}: a number's min and max lie within 1…{MAX_NUMBER}, min ≤ max "
    "(0 alone reaches a person)",
    "screening_range_kind": "question {detail!r}: only a number question has min and max",
    "screening_choices": f"question {{detail!r}}: a choice question has 2 to {MAX_CHOICES} choices with "
    f"different ids, none of them {UNKNOWN!r}",
    "screening_choices_kind": "question {detail!r}: only a choice question has choices",
    "screening_condition": "{detail}: not a condition (write e.g. «children >= 3 and single_parent = yes»)",
    "screening_unknown_question": "{detail}: no such question is asked before this",
    "screening_wrong_answer": "{detail}: that question has no such answer",
    "screening_not_number": "{detail}: the answer is not a number, compare it with = or !=",
    "screening_needs_number": "{detail}: the answer is a number",
    "screening_no_condition": "the rule of {detail!r} has no condition",
    "screening_no_measures": "it suggests no measure: add rules",
    "screening_measure": "measure {detail!r} is not an answering intent of the tree",
    "screening_translation": "{detail} is not written in {lang!r}",
}


def structure(tree: Tree) -> list[Problem]:
    """Every problem of every questionnaire in the tree."""
    paths = {node.slug: path for node, path in with_paths(tree)}
    problems: list[Problem] = []
    for slug, questionnaire in tree.screenings.items():
        for code, lang, detail in _problems(tree, questionnaire):
            message = f"questionnaire of {slug!r}: " + _MESSAGES[code].format(detail=detail, lang=lang)
            problems.append(Problem(code, message, slug, paths.get(slug, ()), FIELD, lang, detail))
    return problems


_Found = Iterator[tuple[str, str, str]]  # code, language, detail


def _problems(tree: Tree, questionnaire: Questionnaire) -> _Found:
    node = tree.index.get(questionnaire.intent)
    if node is None or node.action is not Action.BENEFIT_SCREENING:
        yield "screening_owner", "", ""
    if not questionnaire.questions:
        yield "screening_empty", "", ""
        return
    first = questionnaire.questions[0]
    if first.when.strip():
        yield "screening_first", "", first.id
    seen: dict[str, Question] = {}
    for question in questionnaire.questions:
        if question.id in seen:
            yield "screening_duplicate", "", question.id
        yield from _question(question)
        yield from _condition(question.when, seen, question.id)
        seen[question.id] = question
    if not questionnaire.measures:
        yield "screening_no_measures", "", ""
    for measure in questionnaire.measures:
        target = tree.index.get(measure.intent)
        if target is None or not target.is_intent or target.action is Action.BENEFIT_SCREENING:
            yield "screening_measure", "", measure.intent
        if not measure.when.strip():
            yield "screening_no_condition", "", measure.intent
        yield from _condition(measure.when, seen, measure.intent)
    yield from _translations(questionnaire)


def _question(question: Question) -> _Found:
    if question.kind is QuestionKind.NUMBER:
        low, high = question.minimum, question.maximum
        if low is None or high is None or not 1 <= low <= high <= MAX_NUMBER:
            yield "screening_range", "", question.id
    elif question.minimum is not None or question.maximum is not None:
        yield "screening_range_kind", "", question.id
    if question.kind is QuestionKind.CHOICE:
        ids = [c.id for c in question.choices]
        if not 2 <= len(ids) <= MAX_CHOICES or len(set(ids)) != len(ids) or UNKNOWN in ids:
            yield "screening_choices", "", question.id
    elif question.choices:
        yield "screening_choices_kind", "", question.id


def _condition(source: str, asked: dict[str, Question], owner: str) -> _Found:
    if not source.strip():
        return
    try:
        condition = parse(source)
    except ConditionError:
        yield "screening_condition", "", f"{owner}: {source}"
        return
    for comparison in condition.comparisons():
        if (code := _comparison_problem(comparison, asked)) is not None:
            values = " | ".join(str(v) for v in comparison.values)
            yield code, "", f"{owner}: {comparison.question} {comparison.op} {values}"


def _comparison_problem(comparison: Comparison, asked: dict[str, Question]) -> str | None:
    question = asked.get(comparison.question)
    if question is None:
        return "screening_unknown_question"
    if question.kind is QuestionKind.NUMBER:
        numbers = all(isinstance(v, int) or v == UNKNOWN for v in comparison.values)
        return None if numbers else "screening_needs_number"
    if comparison.op in ORDERED:
        return "screening_not_number"
    return None if all(v in question.values() for v in comparison.values) else "screening_wrong_answer"


def _translations(questionnaire: Questionnaire) -> _Found:
    for lang in LANGUAGES:
        texts = questionnaire.texts.get(lang)
        for name in ("intro", "result", "none", "disclaimer"):
            if texts is None or not getattr(texts, name).strip():
                yield "screening_translation", lang, name
        for question in questionnaire.questions:
            if not (question.texts.get(lang) and question.texts[lang].text.strip()):
                yield "screening_translation", lang, question.id
            for choice in question.choices:
                if not (choice.texts.get(lang) and choice.texts[lang].label.strip()):
                    yield "screening_translation", lang, f"{question.id}: {choice.id}"
        for measure in questionnaire.measures:
            if not measure.why.get(lang, "").strip():
                yield "screening_translation", lang, measure.intent
