"""A questionnaire tried on sample answers: the real engine asks, the samples answer, and the page shows which
questions were asked, what each answer was taken as, and the result as the phone says it and a chat shows it.
No dialogue logic is repeated here (as in `hotline.admin.preview`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from channels.chat.wording import written
from hotline.admin.preview import _ButtonsOnly as ButtonsOnly
from intents import engine
from intents.engine import T_ANSWER, Expect, Input, InputKind, State, Turn
from intents.screening import talk
from intents.screening.model import QuestionKind, Questionnaire
from intents.tree import Tree
from ivr.turns import spoken


@dataclass(frozen=True)
class Step:
    question: str
    answer: str  # as the robot took it ("Так", "4", a choice's label); "" when the sample was no answer
    sample: str


@dataclass(frozen=True)
class Tried:
    steps: list[Step]
    waiting: str  # the question the samples leave unanswered ("" when they reach the result)
    said: str  # the last reply as the phone says it
    shown: str  # … and as a chat shows it
    buttons: list[str] = field(default_factory=list)


def try_answers(tree: Tree, questionnaire: Questionnaire, lang: str, samples: Mapping[str, str]) -> Tried:
    """Start the questionnaire as a tap on its intent does, and answer each question asked with its sample."""
    slug = questionnaire.intent
    state = State(lang=lang, expect=Expect.MENU, menu=tree.parents.get(slug), tree_version=tree.version)
    turn = engine.handle(state, Input(InputKind.BUTTON, slug), tree, ButtonsOnly())
    steps: list[Step] = []
    for _ in range(len(questionnaire.questions)):
        progress = turn.state.screening
        if progress is None or progress.done or turn.state.expect is not Expect.SCREENING:
            break
        question = questionnaire.question(progress.current or "")
        assert question is not None
        sample = samples.get(question.id, "").strip()
        text = question.text(lang).text
        if not sample:
            return _tried(steps, text, turn, lang)
        typed = question.kind is QuestionKind.NUMBER  # a number is typed; the other answers are buttons
        event = Input(InputKind.TEXT, sample) if typed else Input(InputKind.BUTTON, T_ANSWER + sample)
        turn = engine.handle(turn.state, event, tree, ButtonsOnly())
        given = turn.state.screening.answered().get(question.id) if turn.state.screening else None
        if given is None:
            return _tried([*steps, Step(text, "", sample)], text, turn, lang)
        steps.append(Step(text, talk.answer_label(question, given, lang), sample))
    return _tried(steps, "", turn, lang)


def _tried(steps: list[Step], waiting: str, turn: Turn, lang: str) -> Tried:
    said = " ".join(spoken(reply, lang) for reply in turn.replies)
    shown = "\n\n".join(written(reply) for reply in turn.replies)
    buttons = [option.label for reply in turn.replies for option in reply.options]
    return Tried(steps, waiting, said, shown, buttons)
