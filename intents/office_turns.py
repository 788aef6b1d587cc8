"""When nobody can take a conversation now, and while the citizen waits for a person. Pure.

The engine (`intents.engine`) mixes this in. Whether a person can take a handoff is the office's
decision (`intents.turns.Office`, made once for every channel by `channels.office`); what the citizen
is offered then, and what they answer, is dialogue, so it lives here: a callback (where the admins'
policy allows it), a phone number and a message for the specialists, or waiting all the same (where
allowed). While a person is awaited, what the citizen writes is for that person (`Turn.relayed`),
not a question for the robot.
"""

from __future__ import annotations

import abc
import re
from dataclasses import replace

from intents.commands import Command, command_of
from intents.messages import say
from intents.tree import Action, Node, Tree
from intents.turns import (
    T_CALLBACK,
    T_MENU,
    T_MESSAGE,
    T_WAIT,
    Callback,
    Expect,
    Handoff,
    Office,
    Option,
    Reply,
    State,
    Turn,
    Unavailable,
    Understanding,
)

# A phone number as people write it: "067 123 45 67", "+38 (067) 123-45-67", "0671234567".
_PHONE = re.compile(r"\+?\d[\d\s\-()]{7,18}\d")
_DIGITS = (9, 15)  # a Ukrainian number without its 0 has 9 digits; E.164 allows at most 15
_NATIONAL = re.compile(r"^0\d{9}$")
_COUNTRY = "+38"
_CONTACT_FAILURES_BEFORE_MENU = 2
# What the robot still answers while a person is awaited: facts and a crisis, never another handoff or small talk.
_ANSWERED_WHILE_WAITING = frozenset({Action.ANSWER, Action.REFERRAL, Action.EMERGENCY})


def phone_in(text: str) -> tuple[str, str] | None:
    """The phone number in `text` (as E.164 where it is a Ukrainian one) and the rest of the text, or None."""
    for found in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", found.group())
        if not _DIGITS[0] <= len(digits) <= _DIGITS[1]:
            continue
        if _NATIONAL.match(digits):
            number = _COUNTRY + digits
        elif digits.startswith("380") and len(digits) == 12:
            number = "+" + digits
        else:
            number = ("+" if found.group().startswith("+") else "") + digits
        rest = (text[: found.start()] + " " + text[found.end() :]).strip(" \t\n,.;:-—")
        return number, " ".join(rest.split())
    return None


class OfficeTurns(abc.ABC):
    """The engine's part for a person who cannot come now and for what is written while one is awaited."""

    state: State
    tree: Tree
    lang: str
    understanding: Understanding
    office: Office | None

    @abc.abstractmethod
    def show_menu(self, slug: str | None, *, greeting: str = "", sorry: str = "") -> Turn: ...

    @abc.abstractmethod
    def menu_options(self, slug: str | None) -> tuple[Option, ...]: ...

    @abc.abstractmethod
    def on_command(self, command: Command) -> Turn | None: ...

    @abc.abstractmethod
    def enter(self, node: Node) -> Turn: ...

    def unavailable(self, handoff: Handoff) -> Unavailable | None:
        """The office's answer for a new handoff; a crisis is always put through, whatever the hour."""
        if self.office is None or self.state.handoff is not None:
            return None
        return self.office.unavailable(handoff, self.lang)

    def nobody(
        self,
        unavailable: Unavailable,
        *,
        text: str = "",
        text_long: str = "",
        intent: str | None = None,
        sorry: str = "",
        answers: tuple[dict[str, str], ...] = (),
    ) -> Turn:
        """Nobody can take the conversation now: the honest words and the choices. In office hours the citizen
        already waits in their place (`queued`); out of hours only choosing to wait puts them in the queue."""
        handoff = unavailable.handoff
        waiting = handoff if unavailable.queued else None
        self.state = replace(self.state, expect=Expect.NOBODY, offered=handoff, handoff=waiting, candidates=())
        reply = Reply(
            text=text,
            text_long=text_long or text,
            options=self.nobody_options(unavailable),
            intent=intent,
            handoff=waiting,
            expect=Expect.NOBODY,
            sorry=sorry,
            unavailable=unavailable,
        )
        return Turn(self.state, (reply,), answers=answers)

    def nobody_options(self, unavailable: Unavailable) -> tuple[Option, ...]:
        """The phone's keys for the same choices (1 a callback, 2 a message, 0 waiting), the menu in a chat."""
        options = []
        if unavailable.callback:
            options.append(Option(key="1", label=say("label_callback", self.lang), target=T_CALLBACK))
        options.append(Option(key="2", label=say("label_message", self.lang), target=T_MESSAGE))
        if unavailable.wait and not unavailable.queued:
            options.append(Option(key="0", label=say("label_wait", self.lang), target=T_WAIT))
        options.append(Option(key="", label=say("label_menu", self.lang), target=T_MENU))
        return tuple(options)

    def offer_again(self) -> Turn | None:
        """The choices once more (asked to repeat them, or in another language); None when a person can come now
        or nothing was offered."""
        offered = self.state.offered
        if offered is None or self.office is None:
            return None
        unavailable = self.office.unavailable(offered, self.lang)
        if unavailable is None:
            return None
        if self.state.handoff is not None:
            unavailable = replace(unavailable, queued=True)  # already in their place, whatever the office says now
        return self.nobody(unavailable)

    def on_nobody_choice(self, target: str) -> Turn | None:
        """A callback, a message or waiting chosen; None when the choice is not offered now."""
        offered = self.state.offered
        if offered is None:
            return None
        unavailable = self.office.unavailable(offered, self.lang) if self.office is not None else None
        if target == T_WAIT:
            if self.state.handoff is None and (unavailable is None or unavailable.wait):
                return self.wait_anyway(offered)
            return None
        if target == T_CALLBACK and unavailable is not None and not unavailable.callback:
            return None
        self.state = replace(self.state, expect=Expect.CONTACT, failures=0)
        return self.ask_contact("contact_callback" if target == T_CALLBACK else "contact_message")

    def nobody_key(self, key: str) -> str | None:
        """The target of a key pressed at the choices (typed in a chat, pressed on a phone)."""
        return {"1": T_CALLBACK, "2": T_MESSAGE, "0": T_WAIT}.get(key)

    def wait_anyway(self, handoff: Handoff) -> Turn:
        self.state = replace(self.state, handoff=handoff, offered=None, expect=Expect.MENU, failures=0)
        promise = say("wait_anyway", self.lang)
        reply = Reply(text="", text_long="", options=self.menu_options(None), handoff=handoff, promise=promise)
        return Turn(self.state, (reply,))

    def ask_contact(self, message: str, *, sorry: str = "") -> Turn:
        text = say(message, self.lang)
        options = (Option(key="", label=say("label_menu", self.lang), target=T_MENU),)
        reply = Reply(
            text=text, text_long=text, options=options, handoff=self.state.handoff, expect=Expect.CONTACT, sorry=sorry
        )
        return Turn(self.state, (reply,))

    def on_contact(self, text: str) -> Turn:
        """The number (and message) asked for; a command word still works, anything else asks again."""
        command = command_of(text, self.lang)
        if command is not None and (turn := self.on_command(command)) is not None:
            return turn
        found = phone_in(text)
        if found is None:
            failures = self.state.failures + 1
            if failures >= _CONTACT_FAILURES_BEFORE_MENU:
                return self.show_menu(None, sorry=say("contact_missing", self.lang))
            self.state = replace(self.state, failures=failures)
            return self.ask_contact("contact_callback", sorry=say("contact_missing", self.lang))
        return self.take_contact(*found)

    def take_contact(self, phone: str, message: str) -> Turn:
        """The number goes to the specialists (a callback request, with the message); the robot answers again."""
        handoff = self.state.offered or self.state.handoff
        assert handoff is not None  # only asked for after a handoff was offered
        callback = Callback(handoff=handoff, phone=phone, message=message)
        taken = say("message_taken" if message else "callback_taken", self.lang, phone=phone)
        self.state = replace(self.state, offered=None, expect=Expect.MENU, menu=None, intent=None, failures=0)
        reply = Reply(
            text=taken,
            text_long=taken,
            options=self.menu_options(None),
            handoff=self.state.handoff,
            expect=Expect.MENU,
        )
        return Turn(self.state, (reply,), callback=callback)

    def for_the_person(self, text: str) -> Turn | None:
        """Written while a person is awaited or talking: theirs to read (`relayed`). The robot answers only what
        it surely knows (an answer, another office, a crisis) and otherwise keeps quiet: no "not understood", no
        "please wait" again. Command words reach the robot alone; None then."""
        if command_of(text, self.lang) is not None:
            return None
        match = self.understanding.match(text, self.lang)
        intent = self.tree.index.get(match.intent or "")
        if intent is not None and intent.action in _ANSWERED_WHILE_WAITING:
            return replace(self.enter(intent), understood=match, relayed=text)
        return Turn(self.state, (), understood=match, relayed=text)
