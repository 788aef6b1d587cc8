"""A questionnaire as a content pack and the database keep it: a plain mapping, validated by pydantic.

The same shape is the `screenings:` part of a pack (keyed by the `benefit_screening` intent's slug),
the JSON column of a tree version, and what the admin editor sends.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from intents.screening.model import (
    Choice,
    ChoiceText,
    Measure,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionText,
    ScreeningText,
)

ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LANGS = ("uk", "ru")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value


def _id(value: str) -> str:
    if not ID.match(value):
        raise ValueError("an id is lower-case latin letters, digits and _ (1–40 characters, a letter first)")
    return value


# Texts may be empty here (a draft in the editor is saved half-written): the checks name what is missing.
class ScreeningTextSpec(_Spec):
    intro: str = Field(default="", max_length=2000)
    result: str = Field(default="", max_length=500)
    none: str = Field(default="", max_length=2000)
    disclaimer: str = Field(default="", max_length=1000)


class QuestionTextSpec(_Spec):
    text: str = Field(default="", max_length=500)
    example: str = Field(default="", max_length=300)


class ChoiceTextSpec(_Spec):
    label: str = Field(default="", max_length=60)
    phrases: list[str] = Field(default_factory=list, max_length=50)


class ChoiceSpec(_Spec):
    id: str
    uk: ChoiceTextSpec
    ru: ChoiceTextSpec

    _check_id = field_validator("id")(_id)


class QuestionSpec(_Spec):
    id: str
    kind: QuestionKind
    min: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    max: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    choices: list[ChoiceSpec] = Field(default_factory=list, max_length=20)
    when: str = Field(default="", max_length=500)
    dont_know: bool = True
    uk: QuestionTextSpec
    ru: QuestionTextSpec

    _check_id = field_validator("id")(_id)


class WhySpec(_Spec):
    why: str = Field(default="", max_length=300)


class MeasureSpec(_Spec):
    intent: str = Field(min_length=1, max_length=63)
    when: str = Field(default="", max_length=500)
    uk: WhySpec
    ru: WhySpec


class ScreeningSpec(_Spec):
    uk: ScreeningTextSpec
    ru: ScreeningTextSpec
    questions: list[QuestionSpec] = Field(default_factory=list, max_length=40)
    measures: list[MeasureSpec] = Field(default_factory=list, max_length=60)


def build(intent: str, spec: ScreeningSpec) -> Questionnaire:
    return Questionnaire(
        intent=intent,
        texts={lang: ScreeningText(**getattr(spec, lang).model_dump()) for lang in LANGS},
        questions=tuple(_question(q) for q in spec.questions),
        measures=tuple(
            Measure(intent=m.intent, when=m.when, why={lang: getattr(m, lang).why for lang in LANGS})
            for m in spec.measures
        ),
    )


def _question(spec: QuestionSpec) -> Question:
    return Question(
        id=spec.id,
        kind=spec.kind,
        texts={lang: QuestionText(**getattr(spec, lang).model_dump()) for lang in LANGS},
        minimum=spec.min,
        maximum=spec.max,
        choices=tuple(
            Choice(
                id=c.id,
                texts={
                    lang: ChoiceText(label=getattr(c, lang).label, phrases=tuple(getattr(c, lang).phrases))
                    for lang in LANGS
                },
            )
            for c in spec.choices
        ),
        when=spec.when,
        dont_know=spec.dont_know,
    )


def from_data(intent: str, data: Any) -> Questionnaire:
    """A questionnaire from its stored mapping (raises pydantic's ValidationError when it is not one)."""
    return build(intent, ScreeningSpec.model_validate(data))


def to_data(questionnaire: Questionnaire) -> dict[str, Any]:
    """The mapping `from_data` reads back; empty fields are left out so packs stay short."""
    out: dict[str, Any] = {lang: _texts(questionnaire, lang) for lang in LANGS}
    out["questions"] = [_question_data(q) for q in questionnaire.questions]
    out["measures"] = [
        {"intent": m.intent, "when": m.when, **{lang: {"why": m.why.get(lang, "")} for lang in LANGS}}
        for m in questionnaire.measures
    ]
    return out


def _texts(questionnaire: Questionnaire, lang: str) -> dict[str, str]:
    text = questionnaire.text(lang)
    return {"intro": text.intro, "result": text.result, "none": text.none, "disclaimer": text.disclaimer}


def _question_data(question: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"id": question.id, "kind": question.kind.value}
    if question.minimum is not None:
        out["min"] = question.minimum
    if question.maximum is not None:
        out["max"] = question.maximum
    if question.when:
        out["when"] = question.when
    if not question.dont_know:
        out["dont_know"] = False
    if question.choices:
        out["choices"] = [
            {"id": c.id, **{lang: _choice_text(c.text(lang)) for lang in LANGS}} for c in question.choices
        ]
    for lang in LANGS:
        text = question.text(lang)
        out[lang] = {"text": text.text, **({"example": text.example} if text.example else {})}
    return out


def _choice_text(text: ChoiceText) -> dict[str, Any]:
    return {"label": text.label, **({"phrases": list(text.phrases)} if text.phrases else {})}
