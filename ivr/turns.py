"""Between Twilio and the engine: what the caller did as an engine `Input`, and a turn's replies as TwiML.

Pure: no I/O. The engine decides; this only says its replies the way a phone must (keys read out,
a prompt to interrupt, a queue to wait in).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from twilio.twiml.voice_response import VoiceResponse

from channels.dialogue import TurnResult
from intents.engine import Expect, Input, InputKind
from intents.messages import promises_a_person
from intents.messages import say as engine_say
from intents.tree import Tree
from ivr import phrases, twiml

MAX_SPEECH = 500
DEFAULT_LANGUAGE = "uk"
# The engine's words for "a person takes over": not true out of hours, so they are not said then.
_HANDOFF_WORDS = ("handoff", "handoff_not_understood", "handoff_waiting")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def caller_input(params: Mapping[str, str]) -> Input:
    """Keys, or words with Twilio's confidence, or nothing heard (the engine decides what silence means)."""
    digits = params.get("Digits", "").strip()
    if digits:
        return Input(InputKind.DIGIT, value=digits)
    speech = " ".join(params.get("SpeechResult", "").split())[:MAX_SPEECH]
    if speech:
        return Input(InputKind.SPEECH, value=speech, confidence=_confidence(params.get("Confidence", "")))
    return Input(InputKind.NO_INPUT)


def _confidence(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return min(max(value, 0.0), 1.0)


@dataclass(frozen=True)
class Turn:
    """An engine turn as the phone renders it; `tree` gives the speech hints, `heard_nothing` the wording."""

    result: TurnResult
    tree: Tree | None = None
    heard_nothing: bool = False

    @property
    def lang(self) -> str:
        return self.result.lang or DEFAULT_LANGUAGE

    @property
    def last(self) -> dict[str, Any]:
        return self.result.replies[-1]

    @property
    def handoff(self) -> dict[str, Any] | None:
        handoff: dict[str, Any] | None = self.last["handoff"]
        return handoff


class Questions(Protocol):
    """Who builds a question's TwiML instead of Twilio's `<Gather>` (`ivr.twiml`): `ivr.speech.line.SpeechLine`,
    a media stream to our own recogniser in `HOTLINE_ASR=vosk` mode, and that very `<Gather>` for a
    language whose model is missing. Its answer comes back at the same step, so retries stay idempotent."""

    def ask(self, turn: Turn, texts: Sequence[str], hints: Iterable[str]) -> VoiceResponse: ...

    def language_question(self, step: int) -> VoiceResponse: ...


def render_turn(
    turn: Turn,
    urls: twiml.Urls,
    *,
    closed: list[str] | None = None,
    duty: bool = False,
    callback: bool = True,
    questions: Questions | None = None,
) -> VoiceResponse:
    """The TwiML for a turn: a question, the queue, or (with `closed` words) the out-of-hours choices
    (a callback among them when the office's policy allows it)."""
    last, lang = turn.last, turn.lang
    if last["expect"] == Expect.LANGUAGE:
        if questions is not None:
            return questions.language_question(turn.result.step)
        return twiml.language_question(urls.gather(turn.result.step, language=True))
    texts = [_spoken(reply, turn) for reply in turn.result.replies]
    handoff = turn.handoff
    if handoff is not None:
        if closed is None:
            return twiml.enqueue(texts, lang, handoff["queue"], urls)
        said = [_without_a_person(text, lang) for text in texts]
        action = urls.choices(handoff["queue"], lang)
        return twiml.choices([*said, *closed], lang, action, duty=duty, callback=callback)
    if last["end"]:
        return twiml.goodbye(texts, lang)
    if questions is not None:
        return questions.ask(turn, texts, _hints(turn))
    return twiml.ask(texts, lang, urls.gather(turn.result.step), _hints(turn))


def _spoken(reply: dict[str, Any], turn: Turn) -> str:
    """The reply's short text; a menu's "not understood" gets its choices read out, since a phone shows
    no buttons (elsewhere the engine's reprompt names its keys itself); silence is "I did not hear you"."""
    text: str = reply["text"]
    lang = turn.lang
    sorry = engine_say("not_understood", lang)
    if text.endswith(sorry):
        if turn.heard_nothing:
            text = text.removesuffix(sorry) + phrases.say("not_heard", lang)
        return " ".join([text, *_keys_read_out(reply["options"], lang)])
    sorry = engine_say("not_understood_choice", lang)
    if turn.heard_nothing and sorry in text:
        return text.replace(sorry, phrases.say("not_heard", lang), 1)
    return text


def _keys_read_out(options: list[dict[str, str]], lang: str) -> Iterator[str]:
    for option in options:
        key = option["key"]
        if key == "0":
            yield engine_say("press_zero", lang)
        elif key == "#":
            yield engine_say("press_back", lang)
        else:
            yield engine_say("menu_item", lang, title=option["label"], key=key)


def _without_a_person(text: str, lang: str) -> str:
    """Out of hours: the reply without the sentences that promise a person now (the engine's or the answer's)."""
    for words in _HANDOFF_WORDS:
        text = text.replace(engine_say(words, lang), "")
    sentences = _SENTENCE_END.split(text.strip())
    return " ".join(sentence for sentence in sentences if sentence and not promises_a_person(sentence, lang))


def _hints(turn: Turn) -> Iterator[str]:
    """Speech hints: the titles, phrases and keywords of what the caller may choose now."""
    index = turn.tree.index if turn.tree is not None else {}
    options = turn.last["options"]
    for option in options:
        node = index.get(option["target"])
        yield node.text(turn.lang).title if node is not None else option["label"]
    for option in options:
        if (node := index.get(option["target"])) is not None:
            text = node.text(turn.lang)
            yield from (*text.phrases, *text.keywords)
