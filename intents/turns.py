"""What crosses the dialogue engine's boundary: an input, the replies in typed parts, the state. Pure data.

`intents.engine` computes turns with these; the channels render `Reply`s and store `State`s (through
`intents.codec`). They are importable from `intents.engine` as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from intents.matcher import Match
from intents.screening.flow import Counted, Progress
from intents.tree import Node, Priority


class InputKind(StrEnum):
    START = "start"
    DIGIT = "digit"
    TEXT = "text"
    SPEECH = "speech"
    BUTTON = "button"
    NO_INPUT = "no_input"


class Expect(StrEnum):
    LANGUAGE = "language"
    MENU = "menu"
    AFTER_ANSWER = "after_answer"
    CLARIFY = "clarify"
    SCREENING = "screening"  # a questionnaire's question, or its result
    NOBODY = "nobody"  # nobody can take the conversation now: a callback, a message, or (where allowed) waiting
    CONTACT = "contact"  # a phone number (and a message) for the specialists


@dataclass(frozen=True)
class Input:
    kind: InputKind
    value: str = ""
    confidence: float | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Option:
    """A menu choice: a key for the phone, a label for buttons, a target the engine understands."""

    key: str
    label: str
    target: str


@dataclass(frozen=True)
class Handoff:
    queue: str
    priority: Priority
    reason: str


@dataclass(frozen=True)
class Unavailable:
    """Nobody can take a conversation now, as the office's rules decide it (`channels.office`): the honest
    words (when specialists work), and what the citizen may do instead of waiting."""

    handoff: Handoff  # the handoff asked for
    words: str  # "Зараз фахівці не працюють. Вони відповідатимуть у понеділок о 08:00."
    callback: bool  # may ask to be called back (the admins' callback policy)
    wait: bool  # may wait for a person all the same (out of hours only where the admins allow it)
    queued: bool = False  # in office hours with nobody on shift: already waiting, in their place


@dataclass(frozen=True)
class Callback:
    """A phone number (and a message) the citizen left for the specialists instead of waiting."""

    handoff: Handoff
    phone: str
    message: str = ""


@dataclass(frozen=True)
class Reply:
    """What the robot says, in parts a channel renders its own way.

    The phone says `greeting`, `sorry`, then `prompt` (a menu's own spoken prompt, which names its
    keys) or `text` followed by the options' keys, then `promise` when a person really comes; a chat
    shows the same parts with `text_long` and the options as buttons. No part names a key or a button.
    """

    text: str  # the short form
    text_long: str  # the long form
    options: tuple[Option, ...] = ()
    intent: str | None = None
    handoff: Handoff | None = None
    end: bool = False
    expect: Expect = Expect.MENU
    greeting: str = ""  # the line's welcome: the first thing said, once a conversation
    sorry: str = ""  # why the question comes again: not understood, not heard, no such key
    prompt: str = ""  # a menu's spoken prompt naming its keys: the phone reads it instead of `text` and the keys
    promise: str = ""  # "connecting you to a specialist": said only where a person really comes
    digits: int = 1  # keys a phone collects for the answer: more than one for a number (ended with #)
    unavailable: Unavailable | None = None  # nobody can take the conversation now: said instead of `promise`


@dataclass(frozen=True)
class State:
    """What the engine remembers between turns; serialised by the caller."""

    lang: str | None = None
    expect: Expect = Expect.LANGUAGE
    menu: str | None = None
    intent: str | None = None
    candidates: tuple[str, ...] = ()
    failures: int = 0
    handoff: Handoff | None = None
    tree_version: int = 0
    screening: Progress | None = None  # a questionnaire under way or answered (its answers live only here)
    offered: Handoff | None = None  # asked for a person while nobody could take it: what a callback is for


@dataclass(frozen=True)
class Turn:
    """The next state and the replies; for the log and the statistics also what the words matched, whether
    the input and replies carry a questionnaire's answers (`private`: not logged word for word), what the
    statistics count, and the answers a handoff carries to the specialist (question, answer)."""

    state: State
    replies: tuple[Reply, ...] = field(default_factory=tuple)
    understood: Match | None = None
    private: bool = False
    counted: tuple[Counted, ...] = ()
    answers: tuple[dict[str, str], ...] = ()
    callback: Callback | None = None  # a number (and message) left for the specialists in this turn
    relayed: str = ""  # what the citizen wrote to the person they wait for or talk to (the robot keeps quiet)


class Office(Protocol):
    """The office's rules as the engine asks them (`channels.office.OfficeRules`): can a person take this
    handoff now? None when one can; else why not and what to offer. Keeps the engine free of clocks."""

    def unavailable(self, handoff: Handoff, lang: str) -> Unavailable | None: ...


class Understanding(Protocol):
    """What the engine needs from the matcher."""

    def match(self, text: str, lang: str) -> Match: ...

    def match_option(self, text: str, lang: str, options: Sequence[Node]) -> Node | None: ...


# Button targets that are not tree slugs.
T_REPEAT, T_MENU, T_BACK, T_OPERATOR = "repeat", "menu", "back", "operator"
T_CALLBACK, T_MESSAGE, T_WAIT = "callback", "message", "wait"  # nobody can take the conversation now
T_LANG = "lang:"
T_ANSWER, T_STOP = "answer:", "stop_screening"  # a questionnaire's answer button; leaving the questionnaire
