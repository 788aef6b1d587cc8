"""Between Twilio and the engine: what the caller did as an engine `Input`, and a turn's replies as TwiML.

Pure: no I/O. The engine decides; this only says its replies the way a phone must (keys read out,
a prompt to interrupt, a queue to wait in).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from channels.dialogue import TurnResult
from intents.engine import T_LANG, Expect, Input, InputKind
from intents.messages import say as engine_say
from intents.tree import Tree
from ivr import phrases, twiml

MAX_SPEECH = 500
DEFAULT_LANGUAGE = "uk"
# The engine's words for "a person takes over": not true out of hours, so they are not said then.
_HANDOFF_WORDS = ("handoff", "handoff_not_understood", "handoff_waiting")


def caller_input(params: Mapping[str, str], *, language_asked_again: bool = False) -> Input:
    """Keys, or words with Twilio's confidence, or nothing heard."""
    digits = params.get("Digits", "").strip()
    if digits:
        return Input(InputKind.DIGIT, value=digits)
    speech = " ".join(params.get("SpeechResult", "").split())[:MAX_SPEECH]
    if speech:
        return Input(InputKind.SPEECH, value=speech, confidence=_confidence(params.get("Confidence", "")))
    if language_asked_again:
        # A phone cannot wait for ever: asked twice and silent, the caller is taken on in Ukrainian.
        return Input(InputKind.BUTTON, value=f"{T_LANG}{DEFAULT_LANGUAGE}")
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


def render_turn(turn: Turn, urls: twiml.Urls, *, closed: list[str] | None = None, duty: bool = False) -> VoiceResponse:
    """The TwiML for a turn: a question, the queue, or (with `closed` words) the out-of-hours choices."""
    last, lang = turn.last, turn.lang
    if last["expect"] == Expect.LANGUAGE:
        return twiml.language_question(urls.gather(turn.result.step, language=True))
    texts = [_spoken(reply, turn) for reply in turn.result.replies]
    handoff = turn.handoff
    if handoff is not None:
        if closed is None:
            return twiml.enqueue(texts, lang, handoff["queue"], urls)
        said = [_without_handoff_words(text, lang) for text in texts]
        return twiml.choices([*said, *closed], lang, urls.choices(handoff["queue"], lang), duty=duty)
    if last["end"]:
        return twiml.goodbye(texts, lang)
    return twiml.ask(texts, lang, urls.gather(turn.result.step), _hints(turn))


def _spoken(reply: dict[str, Any], turn: Turn) -> str:
    """The reply's short text; "not understood" gets the choices read out, since a phone shows no buttons."""
    text: str = reply["text"]
    lang = turn.lang
    sorry = engine_say("not_understood", lang)
    if not text.endswith(sorry):
        return text
    if turn.heard_nothing:
        text = text.removesuffix(sorry) + phrases.say("not_heard", lang)
    if reply["expect"] == Expect.AFTER_ANSWER:
        # After an answer the keys mean repeat/menu/person, whatever menu the reply's options list.
        return f"{text} {engine_say('after_answer', lang)}"
    return " ".join([text, *_keys_read_out(reply["options"], lang)])


def _keys_read_out(options: list[dict[str, str]], lang: str) -> Iterator[str]:
    for option in options:
        key = option["key"]
        if key == "0":
            yield engine_say("press_zero", lang)
        elif key == "#":
            yield engine_say("press_back", lang)
        else:
            yield engine_say("menu_item", lang, title=option["label"], key=key)


def _without_handoff_words(text: str, lang: str) -> str:
    for words in _HANDOFF_WORDS:
        text = text.replace(engine_say(words, lang), "")
    return text.strip()


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
