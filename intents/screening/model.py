"""A screening questionnaire as the engine and the checks see it: immutable, per language, no I/O.

A questionnaire belongs to a `benefit_screening` intent of the tree (by its slug). It asks typed
questions in order, each only when its condition holds on the answers so far, and its rules map
the answers to measures: intents of the same tree, so the citizen can open each one's answer.
Conditions are kept as the admin wrote them (`children >= 3 and single_parent = yes`) and read by
`intents.screening.conditions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# Answers: a number, `yes`/`no`, a choice's id, or `unknown` ("I don't know").
Answer = int | str
YES, NO, UNKNOWN = "yes", "no", "unknown"
MAX_CHOICES = 6


class QuestionKind(StrEnum):
    NUMBER = "number"
    YES_NO = "yes_no"
    CHOICE = "choice"


@dataclass(frozen=True)
class QuestionText:
    text: str  # the question itself
    example: str = ""  # how an answer looks, said when an answer was not understood


@dataclass(frozen=True)
class ChoiceText:
    label: str  # the button, and what the phone reads before the key
    phrases: tuple[str, ...] = ()  # other words that choose it


@dataclass(frozen=True)
class Choice:
    id: str
    texts: Mapping[str, ChoiceText]

    def text(self, lang: str) -> ChoiceText:
        return self.texts.get(lang) or next(iter(self.texts.values()))


@dataclass(frozen=True)
class Question:
    id: str
    kind: QuestionKind
    texts: Mapping[str, QuestionText]
    minimum: int | None = None  # a number question's range, both ends included
    maximum: int | None = None
    choices: tuple[Choice, ...] = ()
    when: str = ""  # asked only when this condition holds on the answers so far ("" = always)
    dont_know: bool = True  # "I don't know" is an answer

    def text(self, lang: str) -> QuestionText:
        return self.texts.get(lang) or next(iter(self.texts.values()))

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)

    def values(self) -> tuple[str, ...]:
        """The answers a yes/no or choice question takes (a number question's are its range)."""
        own = (YES, NO) if self.kind is QuestionKind.YES_NO else tuple(c.id for c in self.choices)
        return (*own, UNKNOWN) if self.dont_know else own


@dataclass(frozen=True)
class Measure:
    intent: str  # the tree's intent that answers about the measure
    when: str  # the rule: the answers under which the family is likely entitled to it
    why: Mapping[str, str]  # one line per language: why it is suggested

    def reason(self, lang: str) -> str:
        return self.why.get(lang) or next(iter(self.why.values()), "")


@dataclass(frozen=True)
class ScreeningText:
    intro: str  # before the first question: what this is, how long, that no name is asked
    result: str  # before the list of measures
    none: str  # when no measure fits
    disclaimer: str  # that a specialist decides


@dataclass(frozen=True)
class Questionnaire:
    intent: str  # the benefit_screening intent it belongs to
    texts: Mapping[str, ScreeningText]
    questions: tuple[Question, ...]
    measures: tuple[Measure, ...] = field(default_factory=tuple)

    def text(self, lang: str) -> ScreeningText:
        return self.texts.get(lang) or next(iter(self.texts.values()))

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)
