"""The TwiML of a question in `vosk` mode: the prompt, then `<Connect action><Stream>` to our server.

Pure: data in, XML out (built with the `twilio` library, voices from the phone line's own table).
The `<Parameter>`s arrive in the stream's `start` message; when our server closes the stream,
Twilio continues at the `<Connect action>` URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from twilio.twiml.voice_response import Connect, VoiceResponse

from ivr.twiml import VOICES

STREAM_PATH = "/twilio/stream"


def stream_url(public_url: str) -> str:
    """The WebSocket URL under the public base URL: wss:// for https://, ws:// for a plain test server."""
    parts = urlsplit(public_url.rstrip("/"))
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path + STREAM_PATH, "", ""))


def listen(
    prompts: Iterable[tuple[str, str]], *, action: str, stream: str, parameters: Mapping[str, str]
) -> VoiceResponse:
    """Say each `(lang, text)` prompt in its language's voice, then stream the caller's audio to us."""
    response = VoiceResponse()
    for lang, text in prompts:
        if text:
            voice = VOICES.get(lang, VOICES["uk"])
            response.say(text, language=voice.language, voice=voice.voice)
    connect = Connect(action=action, method="POST")
    media = connect.stream(url=stream)
    for name, value in parameters.items():
        media.parameter(name=name, value=value)
    response.append(connect)
    return response
