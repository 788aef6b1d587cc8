"""Conditions over a questionnaire's answers: `children >= 3`, `disability = adult | child`,
`has_children = yes and single_parent = yes`. Pure.

Python's own parser reads them (after `=` becomes `==` and the Ukrainian and Russian words for
"and"/"or" become `and`/`or`), and only a small whitelist of its nodes is accepted: comparisons of a
question with a number or answer names, joined by `and`/`or`, with parentheses. A comparison about a
question that was not asked is false; `unknown` ("don't know") is an answer like any other.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from intents.screening.model import Answer

MAX_LENGTH = 500


class ConditionError(ValueError):
    """A condition that cannot be read, saying what to write instead."""


@dataclass(frozen=True)
class Comparison:
    """One `question op value(s)` of a condition: what the checks hold against the questionnaire."""

    question: str
    op: str  # ==, !=, <, <=, >, >=, in, not in
    values: tuple[Answer, ...]


_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in",
}
_COMPARE: dict[str, Callable[[Answer, Answer], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
ORDERED = frozenset(_COMPARE)
_WORDS = {"і": "and", "та": "and", "и": "and", "або": "or", "или": "or", "чи": "or"}
_WORD = re.compile(r"(?<![\w'])(" + "|".join(_WORDS) + r")(?![\w'])", re.IGNORECASE)
_SINGLE_EQUALS = re.compile(r"(?<![<>!=])=(?!=)")


def _python(source: str) -> str:
    """The condition in Python's syntax."""
    text = _SINGLE_EQUALS.sub("==", source)
    return _WORD.sub(lambda m: f" {_WORDS[m.group(1).lower()]} ", text)


@dataclass(frozen=True)
class Condition:
    source: str
    tree: ast.expr

    def comparisons(self) -> Iterator[Comparison]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Compare):
                yield _comparison(node)

    def holds(self, answers: Mapping[str, Answer]) -> bool:
        return _holds(self.tree, answers)


@lru_cache(maxsize=1024)
def parse(source: str) -> Condition:
    """Read a condition; raise ConditionError saying what is wrong and where."""
    if len(source) > MAX_LENGTH:
        raise ConditionError(f"a condition is at most {MAX_LENGTH} characters")
    try:
        expression = ast.parse(_python(source).strip(), mode="eval")
    except SyntaxError:
        raise ConditionError("not a condition: write e.g. «children >= 3 and single_parent = yes»") from None
    _check(expression.body)
    return Condition(source, expression.body)


def _check(node: ast.expr) -> None:
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value)
        return
    if isinstance(node, ast.Compare):
        _comparison(node)
        return
    raise ConditionError("each part must compare a question with an answer (children >= 3)")


def _comparison(node: ast.Compare) -> Comparison:
    if len(node.ops) != 1:
        raise ConditionError("one comparison at a time: «children >= 1 and children <= 3»")
    if not isinstance(node.left, ast.Name):
        raise ConditionError("a comparison starts with a question's id")
    op = _OPS.get(type(node.ops[0]))
    if op is None:
        raise ConditionError("compare with =, !=, <, <=, >, >= or in")
    values = _values(node.comparators[0])
    if op in ORDERED and (len(values) != 1 or not isinstance(values[0], int)):
        raise ConditionError(f"{op} compares with one number")
    if op in ("==", "!=") and len(values) > 1:
        op = "in" if op == "==" else "not in"  # `disability = adult | child`
    return Comparison(node.left.id, op, values)


def _values(node: ast.expr) -> tuple[Answer, ...]:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return (node.value,)
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return (*_values(node.left), *_values(node.right))
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return tuple(v for item in node.elts for v in _values(item))
    raise ConditionError("an answer is a whole number or a name (yes, no, unknown, a choice's id)")


def _holds(node: ast.expr, answers: Mapping[str, Answer]) -> bool:
    if isinstance(node, ast.BoolOp):
        parts = (_holds(value, answers) for value in node.values)
        return all(parts) if isinstance(node.op, ast.And) else any(parts)
    assert isinstance(node, ast.Compare)  # parse() let nothing else through
    return _compares(_comparison(node), answers)


def _compares(comparison: Comparison, answers: Mapping[str, Answer]) -> bool:
    if comparison.question not in answers:
        return False  # a question not asked says nothing
    given = answers[comparison.question]
    if comparison.op in ORDERED:
        return isinstance(given, int) and _COMPARE[comparison.op](given, comparison.values[0])
    inside = given in comparison.values
    return inside if comparison.op in ("==", "in") else not inside


def holds(source: str, answers: Mapping[str, Answer]) -> bool:
    """Whether a condition (already checked) holds; an empty condition always does."""
    return not source.strip() or parse(source).holds(answers)
