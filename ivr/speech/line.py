"""The speech part of the phone line, built once in the app's lifespan: models, threads, the TwiML of a question.

In `twilio` mode, or for a language whose model did not load, a question is the phone line's own
`<Gather input="dtmf speech">`; otherwise it is a media stream to our recogniser: forked over the
prompt when the line may steer live calls (Twilio's REST API is configured), else after the prompt
(`ivr.speech.twiml`).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from urllib.parse import urlencode

import redis
from twilio.twiml.voice_response import VoiceResponse

from hotline.deps import Parts
from hotline.settings import Settings
from intents.messages import say as engine_say
from ivr import phrases
from ivr import twiml as phone_twiml
from ivr.speech import grammar, steering, twiml
from ivr.speech.listening import Limits
from ivr.speech.models import LoadedModel, SpeechModels, load
from ivr.speech.store import Listen, Listener, SpeechStore
from ivr.turns import Turn
from ivr.twilio_rest import TwilioRest

log = logging.getLogger(__name__)
LANGUAGES = ("uk", "ru")
# Words a caller may use for the global commands, from the engine's own button labels.
_COMMAND_LABELS = ("label_operator", "label_repeat", "label_back", "label_menu", "label_yes", "label_no")
# The language question is answered with a language's name, in either language.
_LANGUAGE_NAMES = (
    "українська", "українською", "українську", "російська", "російською",
    "русский", "по русски", "на русском", "украинский", "на украинском",
)  # fmt: skip


def speech_of(parts: Parts) -> SpeechLine:
    """The speech part of the started phone channel (`channels.registry.Channels.part`)."""
    return parts.channels.part(SpeechLine)


@dataclass
class SpeechLine:
    """What questions in `vosk` mode share: the loaded models, the decoding threads, the Redis hand-over."""

    mode: str
    models: SpeechModels
    store: SpeechStore
    urls: phone_twiml.Urls
    limits: Limits
    executor: ThreadPoolExecutor | None
    twilio: TwilioRest | None = None  # steers forked questions' calls; None: `<Connect><Stream>`

    @property
    def stream_url(self) -> str:
        return twiml.stream_url(self.urls.base)

    @property
    def forks(self) -> bool:
        """Questions stream over their prompt (barge-in), which needs the REST API to move the call."""
        return self.twilio is not None

    def keep_listening(self, step: int, *, language: bool = False) -> VoiceResponse:
        """A forked question's call once its caller talks: no prompt, keys taken, the action as a safety net."""
        return twiml.keep_listening(self.action(step, language=language), steering.net_seconds(self.limits.max_ms))

    def steer(self, call_sid: str, step: int, *, language: bool = False) -> steering.Steering | None:
        """The REST updates of a forked question's call; None without the REST API."""
        if self.twilio is None:
            return None
        action = self.action(step, language=language)
        return steering.Steering(self.twilio, self.store, call_sid, step, action, self.limits.max_ms)

    def readiness(self) -> str:
        """One line for /readyz; a fallback is reported, not failed: the line still answers."""
        if self.mode != "vosk":
            return "twilio speech (HOTLINE_ASR=twilio)"
        loaded = ", ".join(sorted(self.models.loaded)) or "none"
        shape = ", forked over the prompt (barge-in)" if self.forks else ""
        if not self.models.problems:
            return f"vosk ({loaded}){shape}"
        problems = "; ".join(f"{lang}: {problem}" for lang, problem in sorted(self.models.problems.items()))
        return f"fallback to keypad and twilio speech ({problems}); vosk: {loaded}{shape}"

    def action(self, step: int, *, language: bool = False) -> str:
        """The question's action (`<Connect action>`, or a fork's Gather and Redirect); `language` marks the
        answer to the language question, as for a Gather."""
        query = {"step": step, "ask": "language"} if language else {"step": step}
        return f"{self.urls.base.rstrip('/')}/twilio/speech?{urlencode(query)}"

    def _model(self, lang: str) -> LoadedModel | None:
        return self.models.get(lang) if self.mode == "vosk" else None

    def ask(self, turn: Turn, texts: Sequence[str], hints: Iterable[str]) -> VoiceResponse:
        """A turn's question: through our recogniser when its language's model is loaded."""
        lang, step = turn.lang, turn.result.step
        model = self._model(lang)
        if model is None:
            return phone_twiml.ask(texts, lang, self.urls.gather(step), hints, digits=turn.last.digits)
        if is_open(turn):
            listener = Listener(lang, None)
        else:
            words = (*hints, *(engine_say(label, lang) for label in _COMMAND_LABELS))
            listener = _listener(model, words, name=f"{lang} menu at step {step}")
        return self._listen([(lang, text) for text in texts], Listen(step, (listener,)), digits=turn.last.digits)

    def language_question(self, step: int) -> VoiceResponse:
        """The first question: each loaded language listens for the languages' names."""
        models = [model for lang in LANGUAGES if (model := self._model(lang)) is not None]
        if not models:
            return phone_twiml.language_question(self.urls.gather(step, language=True))
        listeners = tuple(_listener(model, _LANGUAGE_NAMES, name=f"{model.lang} language question") for model in models)
        return self._listen(phrases.LANGUAGE_PROMPTS, Listen(step, listeners), language=True)

    def _listen(
        self, prompts: Iterable[tuple[str, str]], listen: Listen, *, language: bool = False, digits: int = 1
    ) -> VoiceResponse:
        listen = replace(listen, forked=self.forks, language=language)
        token = self.store.expect(listen)
        parameters = {"token": token, "step": str(listen.step)}
        action = self.action(listen.step, language=language)
        if not listen.forked:
            return twiml.listen(prompts, action=action, stream=self.stream_url, parameters=parameters)
        name = twiml.stream_name(listen.step)
        timeout = math.ceil(self.limits.no_speech_ms / 1000)
        return twiml.fork(
            prompts,
            action=action,
            stream=self.stream_url,
            name=name,
            parameters=parameters,
            timeout=timeout,
            digits=digits,
        )

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)


def _listener(model: LoadedModel, words: Iterable[str], *, name: str) -> Listener:
    """A grammar of `words`; the full vocabulary when the model knows none of them (a grammar of only
    the unknown-word token would hear nothing)."""
    menu = grammar.build(words, model, name=name)
    if not menu.phrases:
        log.warning(
            "grammar %s: the %s model knows none of its words; listening with the full vocabulary", name, model.lang
        )
        return Listener(model.lang, None)
    return Listener(model.lang, menu.to_json(model.unknown_token))


def is_open(turn: Turn) -> bool:
    """The caller may answer in their own words (the top menu, a questionnaire's question): the full vocabulary."""
    return turn.listening.open


def start(settings: Settings, client: redis.Redis, twilio: TwilioRest | None = None) -> SpeechLine:
    """Load the models (in `vosk` mode) and the recognisers' threads: once, at start. With `twilio` (the
    app's one REST client) questions are forked over their prompt."""
    vosk_mode = settings.asr == "vosk"
    models = (
        load({"uk": settings.vosk_model_path_uk, "ru": settings.vosk_model_path_ru}) if vosk_mode else SpeechModels()
    )
    # Decoding is CPU work that releases the GIL: one thread per core keeps every core busy.
    threads = settings.asr_threads or os.cpu_count() or 1
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="vosk") if models.loaded else None
    limits = Limits(
        no_speech_ms=int(settings.asr_no_speech_seconds * 1000),
        silence_ms=int(settings.asr_silence_seconds * 1000),
        pause_ms=int(settings.asr_pause_seconds * 1000),
        max_ms=int(settings.asr_max_seconds * 1000),
    )
    return SpeechLine(
        mode=settings.asr,
        models=models,
        store=SpeechStore(client, settings.redis_prefix, settings.conversation_ttl_seconds),
        urls=phone_twiml.Urls(settings.public_url),
        limits=limits,
        executor=executor,
        twilio=twilio,
    )
