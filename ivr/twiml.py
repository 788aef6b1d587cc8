"""TwiML documents of the phone line, built with the `twilio` library. Pure: data in, XML out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.pronunciation import Pronouncer
from ivr import phrases


@dataclass(frozen=True)
class Voice:
    language: str
    voice: str


# Twilio has no Polly voice for Ukrainian; its Google voices exist for both languages, so both use Google.
VOICES = {"uk": Voice("uk-UA", "Google.uk-UA-Standard-A"), "ru": Voice("ru-RU", "Google.ru-RU-Standard-A")}
# Separate timeouts: callers get time to start (keys or words), but a pause of a few seconds ends speech.
DIGIT_TIMEOUT = 6
SPEECH_TIMEOUT = 3
# Twilio reads at most a few hundred hints of up to 100 characters; a menu needs far fewer.
MAX_HINTS = 60
MAX_HINT_LENGTH = 100
MAX_QUEUE_NAME = 64
FALLBACK_QUEUE = "general"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'  # as the twilio library writes it
VOICEMAIL_SECONDS = 120


@dataclass(frozen=True)
class Urls:
    """Absolute webhook URLs under the public base URL Twilio calls (and signs)."""

    base: str

    def _url(self, path: str, **query: str | int) -> str:
        tail = f"?{urlencode(query)}" if query else ""
        return f"{self.base.rstrip('/')}/twilio/{path}{tail}"

    def gather(self, step: int, *, language: bool = False) -> str:
        """Where a Gather's answer goes; `language` marks the answer to the language question."""
        return self._url("gather", step=step, ask="language") if language else self._url("gather", step=step)

    def choices(self, queue: str, lang: str, attempt: int = 1) -> str:
        return self._url("choices", queue=queue, lang=lang, attempt=attempt)

    def queue_done(self, queue: str, lang: str) -> str:
        return self._url("queue", queue=queue, lang=lang)

    def wait(self, queue: str, lang: str) -> str:
        return self._url("wait", queue=queue, lang=lang)

    def wait_keys(self, queue: str, lang: str, position: int) -> str:
        return self._url("wait/keys", queue=queue, lang=lang, position=position)

    def recorded(self, queue: str, lang: str) -> str:
        return self._url("recorded", queue=queue, lang=lang)

    def recording(self, queue: str, lang: str) -> str:
        return self._url("recording", queue=queue, lang=lang)

    def transcription(self) -> str:
        return self._url("transcription")

    def hold(self) -> str:
        return self._url("hold.wav")


def queue_name(queue: str, lang: str) -> str:
    """Twilio's queue for a skill and a language, e.g. 'subsidies-uk' (at most 64 characters)."""
    suffix = f"-{lang}"
    return queue[: MAX_QUEUE_NAME - len(suffix)] + suffix


def _say(parent: VoiceResponse | Gather, text: str, lang: str) -> None:
    voice = VOICES.get(lang, VOICES["uk"])
    parent.say(text, language=voice.language, voice=voice.voice)


def _say_all(parent: VoiceResponse | Gather, texts: Iterable[str], lang: str) -> None:
    for text in texts:
        if text:
            _say(parent, text, lang)


def language_question(action: str) -> VoiceResponse:
    """The first words of a call: each language asked in its own voice; keys or the language's name."""
    response = VoiceResponse()
    gather = _listen(action, "uk", hints=("українська", "русский", "російська", "украинский"))
    for lang, text in phrases.LANGUAGE_PROMPTS:
        _say(gather, text, lang)
    response.append(gather)
    return response


def notice_first(response: VoiceResponse, notice: Mapping[str, str]) -> VoiceResponse:
    """The same TwiML with the office's emergency notice said before it, each language in its own voice (the
    notice comes before any Gather: nobody skips it with a key)."""
    first = VoiceResponse()
    for lang, text in notice.items():
        _say(first, text, lang)
    for verb in response.verbs:
        first.append(verb)
    return first


def ask(texts: Iterable[str], lang: str, action: str, hints: Iterable[str], *, digits: int = 1) -> VoiceResponse:
    """Read the prompt inside a Gather (so the caller may interrupt it) and listen for a key or words; a
    number of `digits` keys (more than one) is typed and ended with #."""
    response = VoiceResponse()
    gather = _listen(action, lang, hints, digits=digits)
    _say_all(gather, texts, lang)
    response.append(gather)
    return response


def _listen(action: str, lang: str, hints: Iterable[str], *, digits: int = 1) -> Gather:
    return Gather(
        input="dtmf speech",
        action=action,
        method="POST",
        language=VOICES.get(lang, VOICES["uk"]).language,
        hints=", ".join(hints_text(hints)),
        num_digits=digits,
        # '#' is the "back" key, so it must arrive as a digit rather than end the input; a number of several
        # keys ends with it instead (back is then said).
        finish_on_key="#" if digits > 1 else "",
        timeout=DIGIT_TIMEOUT,
        speech_timeout=SPEECH_TIMEOUT,
        # Silence comes back to us as an empty result: the engine decides what silence means.
        action_on_empty_result=True,
        barge_in=True,
    )


def enqueue(texts: Iterable[str], lang: str, queue: str, urls: Urls) -> VoiceResponse:
    """Say the last words, then put the caller in the queue of `queue` in their language."""
    response = VoiceResponse()
    _say_all(response, texts, lang)
    response.enqueue(
        queue_name(queue, lang),
        action=urls.queue_done(queue, lang),
        method="POST",
        wait_url=urls.wait(queue, lang),
        wait_url_method="POST",
    )
    return response


def choices(texts: Iterable[str], lang: str, action: str, *, duty: bool, callback: bool) -> VoiceResponse:
    """When no person can take the call: 1 a callback request (where the office's policy allows it),
    2 a voice message, 0 the duty specialist (with `duty`)."""
    response = VoiceResponse()
    gather = Gather(
        input="dtmf",
        action=action,
        method="POST",
        num_digits=1,
        finish_on_key="",
        timeout=DIGIT_TIMEOUT,
        action_on_empty_result=True,
    )
    offer = phrases.say("closed_choices" if callback else "closed_voicemail", lang)
    _say_all(gather, (*texts, offer), lang)
    if duty:
        _say(gather, phrases.say("closed_duty", lang), lang)
    response.append(gather)
    return response


def voicemail(lang: str, urls: Urls, queue: str) -> VoiceResponse:
    """Record a voice message for `queue`'s specialists; Twilio reports the recording (and its transcription)
    to our callbacks."""
    response = VoiceResponse()
    _say(response, phrases.say("voicemail_prompt", lang), lang)
    response.record(
        action=urls.recorded(queue, lang),
        method="POST",
        max_length=VOICEMAIL_SECONDS,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=urls.recording(queue, lang),
        recording_status_callback_method="POST",
        transcribe_callback=urls.transcription(),
    )
    return response


def goodbye(texts: Iterable[str], lang: str) -> VoiceResponse:
    response = VoiceResponse()
    _say_all(response, texts, lang)
    response.hangup()
    return response


def wait(lang: str, announcement: Sequence[str], *, hold_url: str, keys_action: str | None) -> VoiceResponse:
    """A round of waiting: the news (if any), the callback offer (with `keys_action`: said with news, so not
    every round, and taken at any time), hold audio; Twilio asks again after it."""
    response = VoiceResponse()
    _say_all(response, announcement, lang)
    if keys_action is None:
        response.play(hold_url)
        return response
    gather = Gather(input="dtmf", action=keys_action, method="POST", num_digits=1, timeout=1)
    if announcement:
        _say(gather, phrases.say("offer_callback", lang), lang)
    gather.play(hold_url)
    response.append(gather)
    return response


def hold(hold_url: str) -> VoiceResponse:
    """Just the hold audio: a wait round when anything else failed."""
    response = VoiceResponse()
    response.play(hold_url)
    return response


def leave() -> VoiceResponse:
    response = VoiceResponse()
    response.leave()
    return response


def apology(urls: Urls) -> VoiceResponse:
    """After an internal error: sorry in both languages, and a person in the general queue."""
    response = VoiceResponse()
    for lang in ("uk", "ru"):
        _say(response, phrases.say("apology", lang), lang)
    response.enqueue(
        queue_name(FALLBACK_QUEUE, "uk"),
        action=urls.queue_done(FALLBACK_QUEUE, "uk"),
        method="POST",
        wait_url=urls.wait(FALLBACK_QUEUE, "uk"),
        wait_url_method="POST",
    )
    return response


def spoken(document: str, pronounce: Pronouncer) -> str:
    """`document` with every `<Say>` as the voice should read it (abbreviations, phone numbers); the
    document itself when nothing in it changes."""
    root = ET.fromstring(document)
    changed = False
    for say in root.iter("Say"):
        written = say.text or ""
        said = pronounce.say(written, say.get("language", "uk")[:2])
        if said != written:
            say.text, changed = said, True
    return XML_DECLARATION + ET.tostring(root, encoding="unicode") if changed else document


def empty() -> VoiceResponse:
    """The answer to a callback that only reports (status, recordings): Twilio needs a 2xx and valid XML."""
    return VoiceResponse()


def hints_text(phrases_: Iterable[str]) -> list[str]:
    """Hints as Twilio takes them: no commas inside a hint, not too long, not too many, no repeats."""
    seen: dict[str, None] = {}
    for phrase in phrases_:
        hint = " ".join(phrase.replace(",", " ").split())[:MAX_HINT_LENGTH]
        if hint:
            seen.setdefault(hint.lower(), None)
        if len(seen) >= MAX_HINTS:
            break
    return list(seen)
