"""The phone line's pure parts: input mapping, wait announcements and figures, phrases, TwiML helpers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ivr
from intents.engine import Input, InputKind
from ivr import phrases, twiml
from ivr.queue_side import dial_operator
from ivr.speech import twiml as speech_twiml
from ivr.turns import caller_input
from ivr.waiting import TwilioWaitFigures, WaitFigures, announcement
from tests.ivr.twiml_check import checked


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"Digits": "7"}, Input(InputKind.DIGIT, "7")),
        ({"Digits": "#", "SpeechResult": "ignored"}, Input(InputKind.DIGIT, "#")),
        ({"SpeechResult": " субсидія  на газ", "Confidence": "0.61"}, Input(InputKind.SPEECH, "субсидія на газ", 0.61)),
        ({"SpeechResult": "так", "Confidence": "1.7"}, Input(InputKind.SPEECH, "так", 1.0)),
        ({"SpeechResult": "так", "Confidence": "n/a"}, Input(InputKind.SPEECH, "так", None)),
        ({"SpeechResult": "  "}, Input(InputKind.NO_INPUT)),
        ({}, Input(InputKind.NO_INPUT)),
    ],
)
def test_what_the_caller_did_as_engine_input(params: dict[str, str], expected: Input) -> None:
    assert caller_input(params) == expected


@pytest.mark.parametrize(
    ("position", "last", "said"),
    [
        (1, None, ["Ви перші в черзі.", "Орієнтовний час очікування — 2 хвилини."]),
        (2, None, ["Ваш номер у черзі — 2.", "Орієнтовний час очікування — 2 хвилини."]),
        (4, 4, []),
        (5, 4, []),
        (3, 4, ["Ваш номер у черзі — 3.", "Орієнтовний час очікування — 2 хвилини."]),
        (1, 2, ["Ви перші в черзі.", "Орієнтовний час очікування — 2 хвилини."]),
        (1, 1, []),
    ],
)
def test_announced_at_first_also_at_the_head_and_when_the_place_improves(
    position: int, last: int | None, said: list[str]
) -> None:
    assert announcement(WaitFigures(position=position, estimated_seconds=61), last, "uk") == said


def test_wait_figures_from_the_wait_url_request() -> None:
    source = TwilioWaitFigures()
    params = {"QueuePosition": "3", "QueueTime": "40", "AvgQueueTime": "100", "CurrentQueueSize": "6"}
    assert source.figures(conversation_id=None, queue="q", lang="uk", params=params) == WaitFigures(3, 60, 6)
    late = {**params, "QueueTime": "500"}
    assert source.figures(conversation_id=None, queue="q", lang="uk", params=late).estimated_seconds == 0
    assert source.figures(conversation_id=None, queue="q", lang="uk", params={}) == WaitFigures(1, None, None)
    assert announcement(WaitFigures(3, 0), None, "ru") == ["Ваш номер в очереди — 3."]


@pytest.mark.parametrize(
    ("count", "uk", "ru"),
    [
        (1, "1 хвилина", "1 минута"),
        (3, "3 хвилини", "3 минуты"),
        (5, "5 хвилин", "5 минут"),
        (11, "11 хвилин", "11 минут"),
        (21, "21 хвилина", "21 минута"),
        (22, "22 хвилини", "22 минуты"),
        (112, "112 хвилин", "112 минут"),
    ],
)
def test_minutes_in_the_right_plural(count: int, uk: str, ru: str) -> None:
    assert phrases.minutes(count, "uk") == uk
    assert phrases.minutes(count, "ru") == ru


def test_queue_names_fit_twilio() -> None:
    assert twiml.queue_name("subsidies", "ru") == "subsidies-ru"
    assert len(twiml.queue_name("x" * 63, "uk")) == 64


def test_hints_carry_no_commas_repeats_or_overlong_phrases() -> None:
    hints = twiml.hints_text(["Пільги, знижки", "пільги,  знижки", "", "a" * 150, *[f"h{i}" for i in range(100)]])
    assert hints[:2] == ["пільги знижки", "a" * 100]
    assert len(hints) == twiml.MAX_HINTS


def test_every_document_builder_gives_valid_twiml() -> None:
    urls = twiml.Urls("https://hotline.example.org/")
    documents = [
        twiml.language_question(urls.gather(1, language=True)),
        twiml.ask(["Питання"], "ru", urls.gather(2), ["субсидия"]),
        twiml.enqueue(["Соединяю"], "ru", "benefits", urls),
        twiml.choices(["Зараз фахівці не працюють."], "uk", urls.choices("general", "uk"), duty=True, callback=True),
        twiml.choices([], "ru", urls.choices("general", "ru"), duty=False, callback=False),
        twiml.voicemail("ru", urls, "benefits"),
        twiml.goodbye(["До побачення."], "uk"),
        twiml.apology(urls),
        twiml.empty(),
    ]
    for document in documents:
        checked(document.to_xml())
    for waiting in (
        twiml.wait("ru", ["Ваш номер в очереди — 2."], hold_url=urls.hold(), keys_action=urls.wait_keys("a", "ru", 2)),
        twiml.wait("uk", [], hold_url=urls.hold(), keys_action=None),
        twiml.hold(urls.hold()),
        twiml.leave(),
    ):
        checked(waiting.to_xml(), wait=True)
    assert urls.gather(3) == "https://hotline.example.org/twilio/gather?step=3"
    assert urls.gather(1, language=True) == "https://hotline.example.org/twilio/gather?step=1&ask=language"


def test_the_media_stream_question_and_the_operator_dial_are_valid_twiml() -> None:
    prompts = [("uk", "Житлова субсидія — 1.")]
    stream = speech_twiml.listen(
        prompts,
        action="https://hotline.example.org/twilio/speech?step=2",
        stream=speech_twiml.stream_url("https://hotline.example.org"),
        parameters={"token": "t0k3n", "step": "2"},
    )
    assert checked(stream.to_xml()).find("Connect/Stream").get("url") == "wss://hotline.example.org/twilio/stream"
    checked(dial_operator(phone="+380441234567", identity="olena"))
    checked(dial_operator(phone=None, identity="olena"))


def test_the_phone_adapter_reaches_no_internals_of_the_dialogue() -> None:
    """Its decisions come from the engine's typed replies and the dialogue's public methods: no state store,
    no tree cache, no sentence of the engine matched."""
    reached = []
    for path in Path(ivr.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"store", "trees"}:
                owner = node.value
                name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
                if name == "dialogue":
                    reached.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and {"promises_a_person", "split_promise"} & {
                alias.name for alias in node.names
            }:
                reached.append(f"{path.name}:{node.lineno}")
    assert reached == []
