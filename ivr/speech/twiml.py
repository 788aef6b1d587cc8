"""The TwiML of a question in `vosk` mode, in one of two shapes. Pure: data in, XML out (built with the
`twilio` library, voices from the phone line's own table).

- `listen`: the prompt, then `<Connect action><Stream>` to our server. Twilio says nothing while the
  stream runs, so the caller cannot talk over the prompt; when our server closes the stream, Twilio
  continues at the `<Connect action>` URL. Used when we cannot steer a live call (no REST credentials).
- `fork`: `<Start><Stream>` (a one-way copy of the caller's audio to us, heard over the prompt), the
  prompt inside a `<Gather input="dtmf">` (keys interrupt it), then a `<Redirect>` to the action when the
  Gather times out in silence. Our server moves the call with the REST API: `keep_listening` at the first
  words (the prompt stops), `redirect` at the end of the utterance; the action's answer begins with
  `with_stop`, which ends the fork. The `<Parameter>`s arrive in the stream's `start` message either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from twilio.twiml.voice_response import Connect, Gather, Start, Stream, VoiceResponse

from ivr.twiml import VOICES

STREAM_PATH = "/twilio/stream"
_EMPTY = "<Response />"
_OPEN = "<Response>"


def stream_url(public_url: str) -> str:
    """The WebSocket URL under the public base URL: wss:// for https://, ws:// for a plain test server."""
    parts = urlsplit(public_url.rstrip("/"))
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path + STREAM_PATH, "", ""))


def stream_name(step: int) -> str:
    """A forked question's stream, named by its step: one per question of a call, known to its action."""
    return f"listen-{step}"


def _say(parent: VoiceResponse | Gather, prompts: Iterable[tuple[str, str]]) -> None:
    for lang, text in prompts:
        if text:
            voice = VOICES.get(lang, VOICES["uk"])
            parent.say(text, language=voice.language, voice=voice.voice)


def _parameters(stream: Stream, parameters: Mapping[str, str]) -> None:
    for name, value in parameters.items():
        stream.parameter(name=name, value=value)


def listen(
    prompts: Iterable[tuple[str, str]], *, action: str, stream: str, parameters: Mapping[str, str]
) -> VoiceResponse:
    """Say each `(lang, text)` prompt in its language's voice, then stream the caller's audio to us."""
    response = VoiceResponse()
    _say(response, prompts)
    connect = Connect(action=action, method="POST")
    _parameters(connect.stream(url=stream), parameters)
    response.append(connect)
    return response


def _keys(action: str, timeout: int, digits: int = 1) -> Gather:
    # '#' is the "back" key, so it must arrive as a digit rather than end the input (a number of several
    # keys ends with it instead); no input falls through to the `<Redirect>` after the Gather.
    finish = "#" if digits > 1 else ""
    return Gather(input="dtmf", action=action, method="POST", num_digits=digits, finish_on_key=finish, timeout=timeout)


def fork(
    prompts: Iterable[tuple[str, str]],
    *,
    action: str,
    stream: str,
    name: str,
    parameters: Mapping[str, str],
    timeout: int,
    digits: int = 1,
) -> VoiceResponse:
    """Fork the caller's audio to us, say the prompts inside a keys-only Gather, and go to `action` after
    `timeout` seconds of silence past the prompt (the engine asks again)."""
    response = VoiceResponse()
    start = Start()
    _parameters(start.stream(name=name, url=stream), parameters)
    response.append(start)
    gather = _keys(action, timeout, digits)
    _say(gather, prompts)
    response.append(gather)
    response.redirect(action, method="POST")
    return response


def keep_listening(action: str, seconds: int) -> VoiceResponse:
    """What the call does once the caller talks over the prompt: silence (the prompt stops), keys still
    taken, and `action` after `seconds` should our redirect at the end of the utterance never come."""
    response = VoiceResponse()
    response.append(_keys(action, seconds))
    response.redirect(action, method="POST")
    return response


def redirect(action: str) -> VoiceResponse:
    """The end of the utterance: the call goes on at the action, where the engine decides."""
    response = VoiceResponse()
    response.redirect(action, method="POST")
    return response


def with_stop(document: str, name: str) -> str:
    """`document` that first ends the fork `name`, so the question's stream never outlives its turn."""
    stop = VoiceResponse()
    stop.stop().stream(name=name)
    verb = stop.to_xml(xml_declaration=False).removeprefix(_OPEN).removesuffix("</Response>")
    if _EMPTY in document:
        return document.replace(_EMPTY, f"{_OPEN}{verb}</Response>", 1)
    return document.replace(_OPEN, _OPEN + verb, 1)
