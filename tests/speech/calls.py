"""A phone call in `vosk` mode as Twilio makes it: signed webhooks, and the media stream of a question."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from channels.dialogue import TurnResult
from intents.engine import Expect, Option, Reply
from intents.listening import Listening
from intents.listening import listening as listening_to
from intents.tree import Tree
from ivr.speech.twilio_side import TwilioStream
from ivr.turns import Turn


def menu_turn(
    conversation_id: str, step: int, lang: str = "uk", *, tree: Tree | None = None, top: bool = False
) -> Turn:
    """The phone line's view of a turn that ends in a menu (the top menu of `tree` when `top`)."""
    options = tuple(Option(str(n.key), n.text(lang).title, n.slug) for n in tree.nodes) if top and tree else ()
    reply = Reply(text="…", text_long="…", options=options, expect=Expect.MENU)
    listening = Listening() if tree is None else listening_to(tree, reply, lang)
    return Turn(TurnResult(conversation_id, step, (reply,), lang), listening=listening)


@dataclass(frozen=True)
class Question:
    """A `<Connect action><Stream>` question: where Twilio streams to, with what, and where it goes next."""

    xml: str
    action: str
    stream: str
    parameters: dict[str, str]
    said: list[str]


def question(xml: str) -> Question:
    root = ET.fromstring(xml)
    connect_ = root.find("Connect")
    assert connect_ is not None, xml
    stream = connect_.find("Stream")
    assert stream is not None, xml
    parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
    said = [say.text or "" for say in root.iter("Say")]
    return Question(xml, connect_.get("action", ""), stream.get("url", ""), parameters, said)


@dataclass
class Played:
    """What the server sent back on a stream, and how the stream ended."""

    received: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None


def play(
    url: str, parameters: dict[str, str], frames: Callable[[TwilioStream], Iterable[str]], twilio: TwilioStream
) -> Played:
    """Open the stream as Twilio does, send `frames`, and read until the server closes the socket."""
    played = Played()
    with connect(url, open_timeout=30, close_timeout=10) as socket:
        try:
            socket.send(twilio.connected())
            socket.send(twilio.start(parameters))
            for frame in frames(twilio):
                socket.send(frame)
        except ConnectionClosed:
            pass  # the server ended the turn before all the audio was sent, as it should
        try:
            while True:
                played.received.append(json.loads(socket.recv(timeout=60)))
        except ConnectionClosed as closed:
            played.close_code = closed.rcvd.code if closed.rcvd is not None else None
    return played
