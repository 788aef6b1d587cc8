"""Between Twilio and the engine: what the caller did as an engine `Input`, and a turn's replies as TwiML.

Pure: no I/O. The engine decides; this only says its replies the way a phone must (keys read out,
a prompt to interrupt, a queue to wait in).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from twilio.twiml.voice_response import VoiceResponse

from channels.dialogue import TurnResult
from intents.engine import Expect, Handoff, Input, InputKind, Option, Reply
from intents.listening import Listening
from intents.messages import say as engine_say
from ivr import twiml

MAX_SPEECH = 500
DEFAULT_LANGUAGE = "uk"


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
    """An engine turn as the phone renders it; `listening` gives the speech hints (none for the first words)."""

    result: TurnResult
    listening: Listening = field(default_factory=Listening)

    @property
    def lang(self) -> str:
        return self.result.lang or DEFAULT_LANGUAGE

    @property
    def last(self) -> Reply:
        return self.result.last

    @property
    def handoff(self) -> Handoff | None:
        return self.last.handoff


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
    callback: bool = True,
    questions: Questions | None = None,
) -> VoiceResponse:
    """The TwiML for a turn: a question, the queue, or (when nobody can take the call and it is not waiting) the
    choices the office's rules allow (a callback among them when `callback`: the policy and a number to call)."""
    last, lang = turn.last, turn.lang
    if last.expect is Expect.LANGUAGE:
        if questions is not None:
            return questions.language_question(turn.result.step)
        return twiml.language_question(urls.gather(turn.result.step, language=True))
    texts = [spoken(reply, lang) for reply in turn.result.replies]
    nobody = last.unavailable
    if nobody is not None and not nobody.queued:
        action = urls.choices(nobody.handoff.queue, lang)
        return twiml.choices([*texts, nobody.words], lang, action, duty=nobody.wait, callback=callback)
    handoff = turn.handoff
    if handoff is not None:
        return twiml.enqueue([*texts, nobody.words if nobody else ""], lang, handoff.queue, urls)
    if last.end:
        return twiml.goodbye(texts, lang)
    if questions is not None:
        return questions.ask(turn, texts, _hints(turn))
    return twiml.ask(texts, lang, urls.gather(turn.result.step), _hints(turn), digits=last.digits)


def spoken(reply: Reply, lang: str) -> str:
    """A reply as the phone says it: the greeting, the apology, a menu's own prompt or the text with its
    options' keys read out (a phone shows no buttons), and the promise of a person when one comes. When
    nobody can come the line reads its own choices (`twiml.choices`), not the options."""
    asks = reply.handoff is None and not reply.end and reply.unavailable is None
    question = reply.prompt if asks and reply.prompt else " ".join(_with_keys(reply, lang, asks))
    parts = (reply.greeting, reply.sorry, question, reply.promise)
    return " ".join(part for part in parts if part)


def _with_keys(reply: Reply, lang: str, asks: bool) -> Iterator[str]:
    if reply.text:
        yield reply.text
    if asks and reply.digits > 1:
        yield engine_say("type_number", lang)
    if asks:
        yield from keys_read_out(reply.options, lang)


def keys_read_out(options: Iterable[Option], lang: str) -> Iterator[str]:
    """ "Житлова субсидія — 1.", "Назад — решітка.", "Фахівець — 0.": each option with the key that picks it;
    options without a key are said last, as words to say ("Або скажіть: «не знаю», «назад».")."""
    unkeyed = []
    for option in options:
        if not option.key:
            unkeyed.append(f"«{option.label.lower()}»")
        elif option.key == "0":
            yield engine_say("press_zero", lang)
        elif option.key == "#":
            yield engine_say("press_back", lang)
        else:
            yield engine_say("menu_item", lang, title=option.label, key=option.key)
    if unkeyed:
        yield engine_say("say_words", lang, words=", ".join(unkeyed))


def _hints(turn: Turn) -> Iterator[str]:
    """Speech hints: the titles, phrases and keywords of what the caller may choose now, or the options'
    labels when nothing more is known."""
    yield from turn.listening.words or (option.label for option in turn.last.options)
