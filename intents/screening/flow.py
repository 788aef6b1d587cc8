"""Where a citizen is in a questionnaire, and where each answer takes them. Pure.

The questions are asked in their order, each only when its condition holds on the answers so far;
going back drops the answer of the question gone back to, so a changed answer re-decides what
comes after it. When no question is left, the measures whose rules hold are the result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from intents.screening.conditions import holds
from intents.screening.model import Answer, Measure, Question, Questionnaire


class What(StrEnum):
    """What the statistics count of questionnaires (never who)."""

    STARTED = "started"  # a questionnaire's first question was asked (intent: the questionnaire)
    COMPLETED = "completed"  # its result was given (intent: the questionnaire)
    SUGGESTED = "suggested"  # a result named this measure (intent: the measure)


@dataclass(frozen=True)
class Counted:
    what: What
    intent: str


@dataclass(frozen=True)
class Progress:
    """A questionnaire under way: the questions asked in order (the last is the one waiting for its answer,
    unless `done`), the answers given, whether the waiting question was asked again with an example, and
    whether a result was counted already (going back and on again gives a result, not a second one)."""

    intent: str
    asked: tuple[str, ...] = ()
    answers: tuple[tuple[str, Answer], ...] = ()
    retried: bool = False
    done: bool = False
    counted: bool = False

    @property
    def current(self) -> str | None:
        return None if self.done or not self.asked else self.asked[-1]

    def answered(self) -> dict[str, Answer]:
        return dict(self.answers)


def next_question(questionnaire: Questionnaire, answers: dict[str, Answer], after: str | None) -> Question | None:
    """The first question after `after` (from the start when None) whose condition holds."""
    ids = [q.id for q in questionnaire.questions]
    start = ids.index(after) + 1 if after in ids else 0
    return next((q for q in questionnaire.questions[start:] if holds(q.when, answers)), None)


def begin(questionnaire: Questionnaire) -> Progress:
    first = next_question(questionnaire, {}, None)
    if first is None:
        return Progress(questionnaire.intent, done=True)
    return Progress(questionnaire.intent, asked=(first.id,))


def give(questionnaire: Questionnaire, progress: Progress, answer: Answer) -> Progress:
    """Record the waiting question's answer and move to the next question, or to the result."""
    current = progress.current
    if current is None:
        return progress
    answers = (*((q, a) for q, a in progress.answers if q != current), (current, answer))
    following = next_question(questionnaire, dict(answers), current)
    if following is None:
        return replace(progress, answers=answers, retried=False, done=True)
    return replace(progress, asked=(*progress.asked, following.id), answers=answers, retried=False)


def back(progress: Progress) -> Progress | None:
    """The question before the waiting one (or, after the result, the last one) with its answer dropped;
    None when there is nothing before."""
    asked = progress.asked if progress.done else progress.asked[:-1]
    if not asked:
        return None
    reopened = asked[-1]
    answers = tuple((q, a) for q, a in progress.answers if q != reopened and q in asked)
    return replace(progress, asked=asked, answers=answers, retried=False, done=False)


def suggested(questionnaire: Questionnaire, answers: dict[str, Answer]) -> tuple[Measure, ...]:
    """The measures whose rules hold, each intent once, in the questionnaire's order."""
    found: dict[str, Measure] = {}
    for measure in questionnaire.measures:
        if measure.intent not in found and holds(measure.when, answers):
            found[measure.intent] = measure
    return tuple(found.values())
