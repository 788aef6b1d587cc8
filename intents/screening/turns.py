"""A screening questionnaire in the dialogue: one question at a time, then the result. Pure.

The engine (`intents.engine`) mixes this in: it hands an input here while a question or the result
waits (`Expect.SCREENING`), and starts a questionnaire when a `benefit_screening` intent has one. What
is asked and decided lives in `flow`, `answers` and `talk`; here it becomes the engine's replies. The
citizen's answers stay in the state only; turns that carry them are marked `private` for the log.
"""

from __future__ import annotations

import abc
from dataclasses import replace

from intents.commands import Command, command_of
from intents.matcher import Match
from intents.messages import say
from intents.screening import answers as screening_answers
from intents.screening import flow as screening
from intents.screening import talk
from intents.screening.flow import Counted, Progress, What
from intents.screening.model import UNKNOWN, Answer, Question, QuestionKind, Questionnaire
from intents.tree import Action, Node, Tree
from intents.turns import (
    T_ANSWER,
    T_BACK,
    T_MENU,
    T_OPERATOR,
    T_STOP,
    Expect,
    Input,
    InputKind,
    Option,
    Reply,
    State,
    Turn,
    Understanding,
)

MEASURE_KEYS = 8  # the result's measures on keys 1–8; the main menu on 9


class ScreeningTurns(abc.ABC):
    """The questionnaire's part of the engine's dialogue (the engine's own moves are declared below)."""

    state: State
    tree: Tree
    lang: str
    understanding: Understanding

    @abc.abstractmethod
    def enter(self, node: Node) -> Turn: ...

    @abc.abstractmethod
    def on_digit(self, digit: str) -> Turn: ...

    @abc.abstractmethod
    def on_target(self, target: str) -> Turn: ...

    @abc.abstractmethod
    def on_words(self, text: str, confidence: float | None) -> Turn: ...

    @abc.abstractmethod
    def on_command(self, command: Command) -> Turn | None: ...

    @abc.abstractmethod
    def failed(self, why: str = "", *, heard: bool = True) -> Turn: ...

    @abc.abstractmethod
    def show_menu(self, slug: str | None, *, greeting: str = "", sorry: str = "") -> Turn: ...

    @abc.abstractmethod
    def hand_off(self, reason: str) -> Turn: ...

    @staticmethod
    def with_match(turn: Turn, match: Match) -> Turn:
        return replace(turn, understood=match)

    def start_screening(self, questionnaire: Questionnaire) -> Turn:
        slug = questionnaire.intent
        progress = screening.begin(questionnaire)
        menu = self.tree.parents.get(slug)
        self.state = replace(
            self.state, expect=Expect.SCREENING, intent=slug, menu=menu, candidates=(), failures=0, screening=progress
        )
        turn = self.screening_turn(intro=questionnaire.text(self.lang).intro, intent=slug)
        return replace(turn, counted=(Counted(What.STARTED, slug), *turn.counted))

    def questionnaire(self, progress: Progress) -> Questionnaire:
        return self.tree.screenings[progress.intent]  # a conversation keeps the tree version it started on

    def on_screening(self, progress: Progress, event: Input) -> Turn:
        """An input while a question (or the result) waits: its words are the citizen's answers, so the log
        keeps none of them."""
        if progress.done:
            turn = self.on_result(event)
        else:
            questionnaire = self.questionnaire(progress)
            question = questionnaire.question(progress.current or "")
            assert question is not None
            turn = self.on_question(questionnaire, question, event)
        return replace(turn, private=True)

    def on_question(self, questionnaire: Questionnaire, question: Question, event: Input) -> Turn:
        value = event.value.strip()
        if event.kind is InputKind.NO_INPUT:
            return self.failed(heard=False)
        if event.kind is InputKind.BUTTON and not value.startswith(T_ANSWER):
            return self.stop_screening() if value == T_STOP else self.on_target(value)
        if value in {"0", "*", "#"}:
            return self.on_digit(value)
        command = None if event.kind is InputKind.BUTTON else command_of(value, self.lang)
        if command is Command.OPERATOR:  # "так, з'єднайте з оператором" asks for a person, not says yes
            return self.hand_off("operator_requested")
        answer = self.read_answer(question, event.kind, value)
        if answer is not None:
            return self.answered(questionnaire, answer)
        if event.kind is InputKind.BUTTON:
            return self.not_an_answer(questionnaire, question, "")
        if screening_answers.is_stop(value, self.lang):
            return self.stop_screening()
        if command is not None and (turn := self.on_command(command)) is not None:
            return turn
        match = self.understanding.match(value, self.lang)
        crisis = self.tree.index.get(match.intent or "")
        if crisis is not None and crisis.action is Action.EMERGENCY:  # crisis words always win
            return self.with_match(self.enter(crisis), match)
        return self.not_an_answer(questionnaire, question, value)

    def read_answer(self, question: Question, kind: InputKind, value: str) -> Answer | None:
        if kind is InputKind.BUTTON:
            chosen = value.removeprefix(T_ANSWER)
            return chosen if chosen in question.values() else None
        keys = value.removesuffix("#")
        if keys.isdigit():
            return screening_answers.from_key(question, keys)
        return screening_answers.from_words(question, value, self.lang)

    def answered(self, questionnaire: Questionnaire, answer: Answer, *, note: str = "") -> Turn:
        assert self.state.screening is not None
        progress = screening.give(questionnaire, self.state.screening, answer)
        self.state = replace(self.state, screening=progress, failures=0)
        return self.screening_turn(intro=note)

    def not_an_answer(self, questionnaire: Questionnaire, question: Question, said: str) -> Turn:
        """Asked once more with an example; then "don't know" (where it is an answer) and on, or a person."""
        progress = self.state.screening
        assert progress is not None
        if not progress.retried:
            self.state = replace(self.state, screening=replace(progress, retried=True))
            number = screening_answers.number_said(said, self.lang) if question.kind is QuestionKind.NUMBER else None
            low, high = question.minimum or 0, question.maximum or 0
            why = talk.word("out_of_range", self.lang, low=low, high=high) if number is not None else ""
            return self.screening_turn(sorry=why or talk.word("not_an_answer", self.lang), example=True)
        if question.dont_know:
            return self.answered(questionnaire, UNKNOWN, note=talk.word("skipped", self.lang))
        return self.hand_off("not_understood")

    def screening_turn(
        self, *, intro: str = "", sorry: str = "", intent: str | None = None, example: bool = False
    ) -> Turn:
        """The waiting question (after `intro`), or the result when no question is left."""
        progress = self.state.screening
        assert progress is not None
        questionnaire = self.questionnaire(progress)
        if progress.done:
            return self.screening_result(questionnaire, progress, intro=intro, sorry=sorry)
        question = questionnaire.question(progress.current or "")
        assert question is not None
        shown = talk.example(question, self.lang) if example or progress.retried else ""
        parts = [p for p in (intro, question.text(self.lang).text, shown) if p]
        digits = len(str(question.maximum)) if question.kind is QuestionKind.NUMBER and question.maximum else 1
        reply = Reply(
            text=" ".join(parts),
            text_long="\n\n".join(parts),
            options=self.answer_options(question, digits),
            intent=intent,
            handoff=self.state.handoff,
            expect=Expect.SCREENING,
            sorry=sorry,
            digits=digits,
        )
        return Turn(self.state, (reply,))

    def answer_options(self, question: Question, digits: int) -> tuple[Option, ...]:
        """The answers (a number is typed or said: only "don't know" is a button), then back, stop, a person.
        A number of several keys ends with #, so back is said, not pressed; stopping is always said."""
        values = (UNKNOWN,) if question.kind is QuestionKind.NUMBER and question.dont_know else ()
        keyed = question.kind is not QuestionKind.NUMBER
        answers = [
            Option(
                key=screening_answers.key_of(question, value) if keyed else "",
                label=talk.answer_label(question, value, self.lang),
                target=f"{T_ANSWER}{value}",
            )
            for value in (question.values() if keyed else values)
        ]
        return (
            *answers,
            Option(key="#" if digits == 1 else "", label=say("label_back", self.lang), target=T_BACK),
            Option(key="", label=talk.word("stop", self.lang), target=T_STOP),
            Option(key="0", label=say("label_operator", self.lang), target=T_OPERATOR),
        )

    def screening_result(self, questionnaire: Questionnaire, progress: Progress, *, intro: str, sorry: str) -> Turn:
        """The measures the answers point to (each opens its answer), the disclaimer, and a person on offer;
        counted the first time it is reached."""
        measures = screening.suggested(questionnaire, progress.answered())
        short, long = talk.result(self.tree, questionnaire, measures, self.lang)
        options = [
            Option(key=str(i) if i <= MEASURE_KEYS else "", label=self.title(m.intent), target=m.intent)
            for i, m in enumerate(measures, start=1)
        ]
        options += [
            Option(key="9", label=say("label_menu", self.lang), target=T_MENU),
            Option(key="#", label=say("label_back", self.lang), target=T_BACK),
            Option(key="0", label=talk.word("talk_to_specialist", self.lang), target=T_OPERATOR),
        ]
        counted: tuple[Counted, ...] = ()
        if not progress.counted:
            suggested = (Counted(What.SUGGESTED, m.intent) for m in measures)
            counted = (Counted(What.COMPLETED, questionnaire.intent), *suggested)
            self.state = replace(self.state, screening=replace(progress, counted=True))
        reply = Reply(
            text=" ".join(p for p in (intro, short) if p),
            text_long="\n\n".join(p for p in (intro, long) if p),
            options=tuple(options),
            handoff=self.state.handoff,
            expect=Expect.SCREENING,
            sorry=sorry,
        )
        return Turn(self.state, (reply,), counted=counted)

    def on_result(self, event: Input) -> Turn:
        value = event.value.strip()
        if event.kind is InputKind.NO_INPUT:
            return self.failed(heard=False)
        if event.kind is InputKind.BUTTON:
            return self.on_target(value)
        if value in {"*", "#"} or (value.isdigit() and len(value) == 1):
            return self.on_digit(value)
        return self.on_words(value, event.confidence if event.kind is InputKind.SPEECH else None)

    def on_result_key(self, key: int) -> Turn:
        progress = self.state.screening
        assert progress is not None
        measures = screening.suggested(self.questionnaire(progress), progress.answered())
        if key == 9:
            return self.show_menu(None)
        if 1 <= key <= min(len(measures), MEASURE_KEYS):
            return self.enter(self.tree.index[measures[key - 1].intent])
        return self.failed(say("no_such_key", self.lang))

    def screening_back(self, progress: Progress) -> Turn:
        """The question before (its answer to be given again), or out of the questionnaire from the first."""
        previous = screening.back(progress)
        if previous is None:
            self.state = replace(self.state, screening=None)
            return self.show_menu(self.state.menu)
        self.state = replace(self.state, screening=previous, failures=0)
        return self.screening_turn()

    def from_result(self) -> bool:
        """An answer opened from a questionnaire's result (so back returns to the result)."""
        progress = self.state.screening
        if progress is None or not progress.done or progress.intent not in self.tree.screenings:
            return False
        measures = screening.suggested(self.questionnaire(progress), progress.answered())
        if self.state.intent not in {m.intent for m in measures}:
            return False
        self.state = replace(
            self.state, expect=Expect.SCREENING, intent=progress.intent, menu=self.tree.parents.get(progress.intent)
        )
        return True

    def stop_screening(self) -> Turn:
        """Out of the questionnaire at the citizen's word: its answers are forgotten, the main menu follows."""
        self.state = replace(self.state, screening=None)
        turn = self.show_menu(None)
        stopped = talk.word("stopped", self.lang)
        reply = turn.replies[0]
        said = replace(reply, text=f"{stopped} {reply.text}", text_long=f"{stopped}\n\n{reply.text_long}")
        return replace(turn, replies=(said,))

    def title(self, slug: str) -> str:
        return talk.title(self.tree, slug, self.lang)

    def answers_for_specialist(self) -> tuple[dict[str, str], ...]:
        progress = self.state.screening
        if progress is None or not progress.answers or progress.intent not in self.tree.screenings:
            return ()
        return tuple(talk.for_specialist(self.questionnaire(progress), progress.answers, self.lang))

