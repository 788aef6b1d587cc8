"""The questionnaire editor's form: the posted fields read into a questionnaire, and its row operations. Pure.

The page posts every field of the questionnaire at once (`q0_id`, `q0_uk_text`, `q0_c1_ru_label`,
`m2_when`, …) with the counts of its rows, plus the operation its button names (save, add a question,
delete or move one, add a rule, delete one). Rows left without an id (a blank choice, a blank rule)
are dropped. What the form cannot hold (a bad id, a number that is not one) is refused with the
field named; what a questionnaire must be before publishing is for the checks (`intents.screening.checks`),
shown on the page, so a half-written questionnaire can be saved and finished later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from hotline.admin.editor import EditError, UnknownNode
from intents.screening import spec
from intents.screening.model import MAX_CHOICES, Question, QuestionKind, Questionnaire, QuestionText
from intents.tree import LANGUAGES, Action, Tree

TEXTS = ("intro", "result", "none", "disclaimer")
MAX_ROWS = 60


def _count(form: Mapping[str, str], name: str, limit: int) -> int:
    raw = form.get(name, "0").strip() or "0"
    if not raw.isdigit() or int(raw) > limit:
        raise EditError("bad_form", f"{name}: a count from 0 to {limit}", field=name)
    return int(raw)


def _number(form: Mapping[str, str], name: str) -> int | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise EditError("bad_form", f"{name}: a whole number", field=name) from None


def _phrases(raw: str) -> list[str]:
    return [p.strip() for p in raw.replace("\n", ",").split(",") if p.strip()]


def _question(form: Mapping[str, str], i: int) -> dict[str, Any] | None:
    p = f"q{i}_"
    question_id = form.get(f"{p}id", "").strip()
    if not question_id:
        return None
    data: dict[str, Any] = {
        "id": question_id,
        "kind": form.get(f"{p}kind", QuestionKind.YES_NO.value),
        "min": _number(form, f"{p}min"),
        "max": _number(form, f"{p}max"),
        "when": form.get(f"{p}when", ""),
        "dont_know": form.get(f"{p}dont_know", "yes") != "no",
    }
    for lang in LANGUAGES:
        data[lang] = {"text": form.get(f"{p}{lang}_text", ""), "example": form.get(f"{p}{lang}_example", "")}
    choices = []
    for j in range(_count(form, f"{p}choices", MAX_CHOICES + 1)):
        c = f"{p}c{j}_"
        if choice_id := form.get(f"{c}id", "").strip():
            texts = {lang: _choice_text(form, f"{c}{lang}_") for lang in LANGUAGES}
            choices.append({"id": choice_id, **texts})
    data["choices"] = choices if data["kind"] == QuestionKind.CHOICE.value else []
    return data


def _choice_text(form: Mapping[str, str], prefix: str) -> dict[str, Any]:
    return {"label": form.get(f"{prefix}label", ""), "phrases": _phrases(form.get(f"{prefix}phrases", ""))}


def _measure(form: Mapping[str, str], k: int) -> dict[str, Any] | None:
    p = f"m{k}_"
    intent = form.get(f"{p}intent", "").strip()
    if not intent:
        return None
    why = {lang: {"why": form.get(f"{p}{lang}_why", "")} for lang in LANGUAGES}
    return {"intent": intent, "when": form.get(f"{p}when", ""), **why}


def read(slug: str, form: Mapping[str, str]) -> Questionnaire:
    """The questionnaire the form holds; EditError naming the first field it cannot hold."""
    data: dict[str, Any] = {lang: {name: form.get(f"{lang}_{name}", "") for name in TEXTS} for lang in LANGUAGES}
    questions = (_question(form, i) for i in range(_count(form, "questions", MAX_ROWS)))
    measures = (_measure(form, k) for k in range(_count(form, "measures", MAX_ROWS + 1)))
    data["questions"] = [q for q in questions if q is not None]
    data["measures"] = [m for m in measures if m is not None]
    try:
        return spec.from_data(slug, data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise EditError("bad_form", f"{where}: {first['msg']}", field=where) from None


def blank_question(questionnaire: Questionnaire) -> Question:
    """A new yes/no question with an id of its own, its texts to be written."""
    taken = {q.id for q in questionnaire.questions}
    number = next(n for n in range(1, MAX_ROWS + 2) if f"question_{n}" not in taken)
    return Question(f"question_{number}", QuestionKind.YES_NO, {lang: QuestionText("") for lang in LANGUAGES})


def apply(questionnaire: Questionnaire, operation: str) -> Questionnaire:
    """The questionnaire after the operation a button names ("save" changes nothing more)."""
    name, _, row = operation.partition(":")
    questions, measures = list(questionnaire.questions), list(questionnaire.measures)
    index = int(row) if row.isdigit() else -1
    moves: dict[str, Callable[[], object]] = {
        "add_question": lambda: questions.append(blank_question(questionnaire)),
        "delete_question": lambda: _drop(questions, index),
        "up_question": lambda: _swap(questions, index - 1, index),
        "down_question": lambda: _swap(questions, index, index + 1),
        "delete_measure": lambda: _drop(measures, index),
    }
    if name != "save" and name not in moves:
        raise EditError("bad_form", f"op: unknown operation {operation!r}", field="op")
    if name in moves:
        moves[name]()
    if len(questions) > MAX_ROWS:
        raise EditError("bad_form", f"at most {MAX_ROWS} questions", field="questions")
    return replace(questionnaire, questions=tuple(questions), measures=tuple(measures))


def _drop(items: list[Any], index: int) -> None:
    if 0 <= index < len(items):
        del items[index]


def _swap(items: list[Any], first: int, second: int) -> None:
    if 0 <= first < second < len(items):
        items[first], items[second] = items[second], items[first]


def empty(slug: str) -> Questionnaire:
    """A questionnaire to start from: texts to write, one question, no rule yet."""
    texts = {lang: {name: "" for name in TEXTS} for lang in LANGUAGES}
    started = spec.from_data(slug, {**texts, "questions": [], "measures": []})
    return replace(started, questions=(blank_question(started),))


def put(tree: Tree, slug: str, questionnaire: Questionnaire | None) -> Tree:
    """The tree with `slug`'s questionnaire set (None: removed); only a benefit screening intent has one."""
    node = tree.index.get(slug)
    if node is None:
        raise UnknownNode("unknown_node", f"there is no node {slug!r}", slug=slug)
    if questionnaire is not None and node.action is not Action.BENEFIT_SCREENING:
        raise EditError("not_screening", f"{slug!r} is no benefit screening intent", slug=slug)
    screenings = {s: q for s, q in tree.screenings.items() if s != slug}
    if questionnaire is not None:
        screenings[slug] = questionnaire
    return replace(tree, screenings=screenings)
