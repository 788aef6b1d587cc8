"""The dialogue engine: one turn of a conversation, for every channel. Pure: no I/O, no clock.

`handle(state, input, tree, understanding)` returns the next state and the replies. Adapters
render replies (TwiML, Viber keyboards, JSON) and keep no dialogue logic of their own: a reply
comes in typed parts (greeting, apology, text, the menu's own spoken prompt, the promise of a
person, the options), none of which names a key or a button, so each channel says it its own way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from intents.commands import Command, command_of, guess_language, language_of_choice
from intents.matcher import Match
from intents.messages import LANGUAGE_CHOICE, LANGUAGE_LABELS, say, split_promise
from intents.normalise import normalise
from intents.office_turns import OfficeTurns, phone_in
from intents.screening import talk
from intents.screening.turns import ScreeningTurns
from intents.tree import LANGUAGES, Action, Node, Priority, Tree
from intents.turns import (
    T_ANSWER,
    T_BACK,
    T_CALLBACK,
    T_LANG,
    T_MENU,
    T_MESSAGE,
    T_OPERATOR,
    T_REPEAT,
    T_STOP,
    T_WAIT,
    Callback,
    Expect,
    Handoff,
    Input,
    InputKind,
    Office,
    Option,
    Reply,
    State,
    Turn,
    Unavailable,
    Understanding,
)

__all__ = [  # the types are defined in intents.turns and used from here by every channel
    "T_ANSWER", "T_BACK", "T_CALLBACK", "T_LANG", "T_MENU", "T_MESSAGE", "T_OPERATOR", "T_REPEAT", "T_STOP", "T_WAIT",
    "Callback", "Expect", "Handoff", "Input", "InputKind", "Office", "Option", "Reply", "State", "Turn", "Unavailable",
    "Understanding", "handle",
]

LOW_SPEECH_CONFIDENCE = 0.45
FAILURES_BEFORE_MENU = 2
FAILURES_BEFORE_PERSON = 3


def handle(
    state: State | None, event: Input, tree: Tree, understanding: Understanding, office: Office | None = None
) -> Turn:
    """Advance the conversation by one input; `office` says when a person can take a handoff (None: always)."""
    return _Dialogue(state or State(tree_version=tree.version), tree, understanding, office).on(event)


class _Dialogue(ScreeningTurns, OfficeTurns):
    def __init__(self, state: State, tree: Tree, understanding: Understanding, office: Office | None) -> None:
        self.state = state
        self.tree = tree
        self.understanding = understanding
        self.office = office
        self.lang = state.lang or "uk"

    # -- dispatch ---------------------------------------------------------------------------

    def on(self, event: Input) -> Turn:
        if event.kind is InputKind.START:
            return self.start(event.lang)
        if self.state.expect is Expect.LANGUAGE:
            return self.on_language(event)
        value = event.value.strip()
        if event.kind is InputKind.BUTTON and value.startswith(T_LANG):
            return self.switch_language(value.removeprefix(T_LANG))
        if self.state.expect is Expect.SCREENING and self.state.screening is not None:
            return self.on_screening(self.state.screening, event)
        if event.kind is InputKind.NO_INPUT:
            return self.failed(heard=False)
        if event.kind is InputKind.BUTTON:
            return self.on_target(value)
        if value in {"*", "#"} or (value.isdigit() and len(value) == 1):
            return self.on_digit(value)
        if self.state.expect is Expect.CONTACT:
            return self.on_contact(value)
        if self.state.expect is Expect.NOBODY and (found := phone_in(value)):
            return self.take_contact(*found)  # the number written straight away, with the question around it
        if event.kind is InputKind.TEXT and self.state.handoff is not None and (turn := self.for_the_person(value)):
            return turn
        return self.on_words(value, event.confidence if event.kind is InputKind.SPEECH else None)

    def switch_language(self, lang: str) -> Turn:
        """The citizen changes the language mid-conversation: everything stays (a handoff too), and what the
        robot asked last is asked again in the new language."""
        if lang not in LANGUAGES:
            return self.failed()
        self.lang = lang
        self.state = replace(self.state, lang=lang)
        return self.repeat()

    def start(self, lang: str | None) -> Turn:
        if lang not in LANGUAGES:
            state = State(tree_version=self.tree.version)
            return Turn(state, (self.language_question(),))
        self.lang = lang
        self.state = State(lang=lang, tree_version=self.tree.version)
        welcome = self.tree.welcome.get(lang) or say("welcome", lang)
        return self.show_menu(None, greeting=welcome)

    def on_language(self, event: Input) -> Turn:
        value = event.value.strip()
        if value == "0" or (event.kind is InputKind.BUTTON and value == T_OPERATOR):
            # A person at once, as everywhere else; in the line's first language until they say otherwise.
            self.begin(LANGUAGES[0])
            return self.hand_off("operator_requested")
        chosen: str | None = None
        if value.startswith(T_LANG):
            chosen = value.removeprefix(T_LANG)
        elif value in {"1", "2"}:
            chosen = LANGUAGES[int(value) - 1]
        elif event.kind in {InputKind.TEXT, InputKind.SPEECH} and value:
            chosen = language_of_choice(value)
            if chosen is None and (guessed := guess_language(value)):
                # A citizen who writes the question straight away has chosen by writing it.
                self.begin(guessed)
                return self.on_words(value, event.confidence)
        if chosen not in LANGUAGES:
            return self.language_failed()
        return self.start(chosen)

    def language_failed(self) -> Turn:
        """The question again; then the menu in the line's first language (where one more failure is a person)."""
        failures = self.state.failures + 1
        if failures < FAILURES_BEFORE_MENU:
            return Turn(replace(self.state, failures=failures), (self.language_question(),))
        turn = self.start(LANGUAGES[0])
        return replace(turn, state=replace(turn.state, failures=failures))

    def begin(self, lang: str) -> None:
        self.lang = lang
        self.state = State(lang=lang, expect=Expect.MENU, tree_version=self.tree.version)

    def on_digit(self, digit: str) -> Turn:
        expect = self.state.expect
        if expect is Expect.NOBODY and (target := self.nobody_key(digit)):
            return self.on_nobody_choice(target) or self.failed(say("no_such_key", self.lang))
        if digit == "0":
            return self.hand_off("operator_requested")
        if digit == "*":
            return self.repeat()
        if digit == "#":
            return self.back()
        key = int(digit)
        if expect is Expect.SCREENING:
            return self.on_result_key(key)
        if expect is Expect.AFTER_ANSWER:
            if key == 1:
                return self.repeat()
            if key == 2:
                return self.show_menu(None)  # the main menu, as the "menu" button and word everywhere
        if expect is Expect.CLARIFY:
            return self.on_clarify_key(key)
        node = self.menu_node_by_key(key)
        if node is None:
            return self.failed(say("no_such_key", self.lang))
        return self.enter(node)

    def on_clarify_key(self, key: int) -> Turn:
        candidates = self.state.candidates
        if len(candidates) == 1:
            # "Did you mean X? yes — 1, no — 2": no is the menu again, as the word "no" is.
            if key in (1, 2):
                return self.enter(self.tree.index[candidates[0]]) if key == 1 else self.show_menu(self.state.menu)
            return self.failed(say("no_such_key", self.lang))
        if 1 <= key <= len(candidates):
            return self.enter(self.tree.index[candidates[key - 1]])
        return self.failed(say("no_such_key", self.lang))

    def on_target(self, target: str) -> Turn:
        if target.startswith(T_LANG):
            return self.start(target.removeprefix(T_LANG))
        commands: dict[str, Callable[[], Turn]] = {
            T_REPEAT: self.repeat,
            T_MENU: lambda: self.show_menu(None),
            T_BACK: self.back,
            T_OPERATOR: lambda: self.hand_off("operator_requested"),
        }
        if target in commands:
            return commands[target]()
        if target in (T_CALLBACK, T_MESSAGE, T_WAIT):
            return self.on_nobody_choice(target) or self.failed()
        node = self.tree.index.get(target)
        if node is None:
            return self.failed()
        return self.enter(node)

    def on_words(self, text: str, confidence: float | None) -> Turn:
        if not text:
            return self.failed()
        if (spoken := normalise(text, self.lang)).isdigit() and len(spoken) == 1:
            return self.on_digit(spoken)  # "два", "другий": the same as pressing 2
        command = command_of(text, self.lang)
        if command is not None and (turn := self.on_command(command)) is not None:
            return turn
        if self.state.expect is Expect.CLARIFY:
            options = [self.tree.index[s] for s in self.state.candidates if s in self.tree.index]
            if chosen := self.understanding.match_option(text, self.lang, options):
                return self.enter(chosen)
        match = self.understanding.match(text, self.lang)
        return self.with_match(self.on_match(text, match, confidence), match)

    def on_match(self, text: str, match: Match, confidence: float | None) -> Turn:
        """A confident intent answers; else a menu item named in the words; else ask or admit defeat."""
        intent = self.tree.index.get(match.intent or "")
        unsure = confidence is not None and confidence < LOW_SPEECH_CONFIDENCE
        if intent is not None and intent.action is Action.EMERGENCY:
            return self.enter(intent)
        if intent is not None and not unsure:
            return self.enter(intent)
        menu = [n for n in self.tree.children_of(self.state.menu) if n.key]  # keyless nodes are no menu options
        if chosen := self.understanding.match_option(text, self.lang, menu):
            return self.enter(chosen)
        if intent is not None:
            return self.clarify((intent.slug,))  # heard, but not surely: "did you mean …?"
        suggested = [s for s in (match.confirm, *(c.slug for c in match.alternatives)) if s in self.tree.index]
        if match.confirm is None or not suggested:
            return self.failed()
        return self.clarify(suggested[:2] if match.ambiguous else suggested[:1])

    def on_command(self, command: Command) -> Turn | None:
        if command is Command.OPERATOR:
            return self.hand_off("operator_requested")
        if command is Command.REPEAT:
            return self.repeat()
        if command is Command.BACK:
            return self.back()
        if command is Command.MENU:
            return self.show_menu(None)
        if self.state.expect is Expect.CLARIFY and self.state.candidates:
            if command is Command.YES:
                return self.enter(self.tree.index[self.state.candidates[0]])
            if command is Command.NO:
                return self.show_menu(self.state.menu)
        return None

    # -- what the robot does ---------------------------------------------------------------

    def enter(self, node: Node) -> Turn:
        self.state = replace(self.state, failures=0)
        if node.action is Action.SMALLTALK:
            return self.small_talk(node)
        if node.action is Action.BENEFIT_SCREENING and node.slug in self.tree.screenings:
            return self.start_screening(self.tree.screenings[node.slug])
        if node.is_intent:
            return self.answer(node)
        return self.show_menu(node.slug)

    def small_talk(self, node: Node) -> Turn:
        """A brief answer ("Будь ласка!"), then the very question the citizen was at, asked again."""
        text = node.text(self.lang)
        if self.state.expect is Expect.CLARIFY and self.state.candidates:
            ask, options = self.clarify_question(self.state.candidates)
        elif self.state.expect is Expect.AFTER_ANSWER:
            ask, options = "", self.after_answer_options()
        else:
            ask, options = say("menu_intro", self.lang), self.menu_options(self.state.menu)
        reply = Reply(
            text=" ".join(p for p in (text.short, ask) if p),
            text_long=text.long,
            options=options,
            intent=node.slug,
            handoff=self.state.handoff,
            expect=self.state.expect,
        )
        return Turn(self.state, (reply,))

    def answer(self, node: Node, *, again: bool = False) -> Turn:
        """The node's answer; `again` (asked to repeat it) gives the short form in writing too."""
        text = node.text(self.lang)
        written = text.short if again else text.long
        self.state = replace(
            self.state,
            expect=Expect.AFTER_ANSWER,
            intent=node.slug,
            menu=self.tree.parents.get(node.slug),
            candidates=(),
            failures=0,
        )
        handoff = self.handoff_for(node)
        if handoff is not None:
            # Most handoff answers say themselves that a person is coming: that sentence becomes the promise
            # (said once, and only where a person really comes); the others get the robot's own.
            said, promise = split_promise(text.short, self.lang)
            long, _ = split_promise(written, self.lang)
            if (unavailable := self.unavailable(handoff)) is not None:
                return self.nobody(unavailable, text=said, text_long=long, intent=node.slug)
            self.state = replace(self.state, handoff=handoff)
            reply = Reply(
                text=said,
                text_long=long,
                options=(),
                intent=node.slug,
                handoff=handoff,
                expect=Expect.AFTER_ANSWER,
                promise=promise or say("handoff", self.lang),
            )
            return Turn(self.state, (reply,))
        reply = Reply(
            text=text.short,
            text_long=written,
            options=self.after_answer_options(),
            intent=node.slug,
            handoff=self.state.handoff,
            expect=Expect.AFTER_ANSWER,
        )
        return Turn(self.state, (reply,))

    def handoff_for(self, node: Node) -> Handoff | None:
        if node.action is Action.EMERGENCY:
            return Handoff(queue=node.queue or "crisis", priority=Priority.EMERGENCY, reason=node.slug)
        if node.action in {Action.HANDOFF, Action.BENEFIT_SCREENING, Action.REGISTRY_CERTIFICATE}:
            # A certificate is fetched by a specialist, so asking for one is asking for a person.
            return Handoff(queue=node.queue or self.skill_of(node.slug), priority=node.priority, reason=node.slug)
        return None

    def skill_of(self, slug: str | None) -> str:
        """The queue of a node: its top-level category's slug."""
        top = slug
        while top is not None and (parent := self.tree.parents.get(top)) is not None:
            top = parent
        node = self.tree.index.get(top or "")
        return node.slug if node is not None and not node.is_intent else "general"

    def hand_off(self, reason: str) -> Turn:
        waiting = self.state.handoff
        screening_node = self.tree.index.get(self.state.screening.intent) if self.state.screening else None
        if self.state.expect is Expect.SCREENING and screening_node is not None and reason == "operator_requested":
            handoff = waiting or self.handoff_for(screening_node)  # the questionnaire's own queue
        else:
            handoff = waiting
        handoff = handoff or Handoff(
            queue=self.skill_of(self.state.intent or self.state.menu), priority=Priority.NORMAL, reason=reason
        )
        answers = () if waiting else self.answers_for_specialist()
        if (unavailable := self.unavailable(handoff)) is not None:
            self.state = replace(self.state, failures=0)
            sorry = say("not_understood_choice", self.lang) if reason == "not_understood" else ""
            return self.nobody(unavailable, sorry=sorry, answers=answers)
        self.state = replace(self.state, handoff=handoff, failures=0, candidates=(), expect=Expect.MENU)
        options = self.menu_options(None)
        if waiting:
            text = say("handoff_waiting", self.lang)
            return Turn(self.state, (Reply(text=text, text_long=text, options=options, handoff=handoff),))
        promise = say("handoff_not_understood" if reason == "not_understood" else "handoff", self.lang)
        reply = Reply(text="", text_long="", options=options, handoff=handoff, promise=promise)
        return Turn(self.state, (reply,), answers=answers)

    def show_menu(self, slug: str | None, *, greeting: str = "", sorry: str = "") -> Turn:
        self.state = replace(self.state, expect=Expect.MENU, menu=slug, candidates=(), intent=None)
        node = self.tree.index.get(slug) if slug else None
        # After the welcome (which invites the question itself) nothing more is needed before the items.
        opening = "" if greeting else say("menu_intro", self.lang)
        reply = Reply(
            text=opening,
            text_long=node.text(self.lang).title if node else opening,
            options=self.menu_options(slug),
            handoff=self.state.handoff,
            expect=Expect.MENU,
            greeting=greeting,
            sorry=sorry,
            prompt=node.text(self.lang).prompt if node else "",
        )
        return Turn(self.state, (reply,))

    def menu_options(self, slug: str | None) -> tuple[Option, ...]:
        options = [
            Option(key=str(n.key), label=n.text(self.lang).title, target=n.slug)
            for n in self.tree.children_of(slug)
            if n.key
        ]
        if slug is not None:
            options.append(Option(key="#", label=say("label_back", self.lang), target=T_BACK))
        options.append(Option(key="0", label=say("label_operator", self.lang), target=T_OPERATOR))
        return tuple(options)

    def after_answer_options(self) -> tuple[Option, ...]:
        return (
            Option(key="1", label=say("label_repeat", self.lang), target=T_REPEAT),
            Option(key="2", label=say("label_menu", self.lang), target=T_MENU),
            Option(key="#", label=say("label_back", self.lang), target=T_BACK),
            Option(key="0", label=say("label_operator", self.lang), target=T_OPERATOR),
        )

    def clarify(self, slugs: Sequence[str]) -> Turn:
        text, options = self.clarify_question(slugs)
        self.state = replace(self.state, expect=Expect.CLARIFY, candidates=tuple(slugs))
        reply = Reply(text=text, text_long=text, options=options, handoff=self.state.handoff, expect=Expect.CLARIFY)
        return Turn(self.state, (reply,))

    def clarify_question(self, slugs: Sequence[str]) -> tuple[str, tuple[Option, ...]]:
        titles = [self.tree.index[s].text(self.lang).title for s in slugs]
        if len(titles) == 1:
            text = say("clarify_one", self.lang, first=titles[0])
            options: tuple[Option, ...] = (
                Option(key="1", label=say("label_yes", self.lang), target=slugs[0]),
                Option(key="2", label=say("label_no", self.lang), target=T_MENU),
            )
        else:
            text = say("clarify", self.lang)
            pairs = enumerate(zip(slugs, titles, strict=True), start=1)
            options = tuple(Option(key=str(i), label=title, target=slug) for i, (slug, title) in pairs)
        options += (Option(key="0", label=say("label_operator", self.lang), target=T_OPERATOR),)
        return text, options

    def repeat(self) -> Turn:
        state = self.state
        if state.expect is Expect.SCREENING and state.screening is not None:
            return self.screening_turn()
        if state.expect is Expect.AFTER_ANSWER and state.intent in self.tree.index:
            return self.answer(self.tree.index[state.intent], again=True)
        if state.expect is Expect.CLARIFY and state.candidates:
            return self.clarify(state.candidates)
        if state.expect is Expect.NOBODY and (turn := self.offer_again()) is not None:
            return turn
        if state.expect is Expect.CONTACT and state.offered is not None:
            return self.ask_contact("contact_callback")
        return self.show_menu(state.menu)

    def back(self) -> Turn:
        if self.state.expect is Expect.SCREENING and self.state.screening is not None:
            return self.screening_back(self.state.screening)
        if self.state.expect is Expect.AFTER_ANSWER and self.from_result():
            return replace(self.screening_turn(), private=True)  # the result tells the answers
        if self.state.expect is Expect.AFTER_ANSWER:
            return self.show_menu(self.state.menu)
        return self.show_menu(self.tree.parents.get(self.state.menu or "", None))

    def failed(self, why: str = "", *, heard: bool = True) -> Turn:
        failures = self.state.failures + 1
        if failures >= FAILURES_BEFORE_PERSON:
            return self.hand_off("not_understood")
        self.state = replace(self.state, failures=failures)
        if self.state.expect is Expect.SCREENING and self.state.screening is not None:
            sorry = why or (talk.word("not_an_answer", self.lang) if heard else say("not_heard", self.lang))
            return self.screening_turn(sorry=sorry, example=True)
        if failures >= FAILURES_BEFORE_MENU:
            return self.show_menu(self.state.menu, sorry=why)
        return Turn(self.state, (self.reprompt(why, heard=heard),))

    def reprompt(self, why: str, *, heard: bool) -> Reply:
        """Not understood (or not heard), with the choices of this very question: after an answer or in a
        clarifying question the keys do not pick sections, so the menu is not offered there; a menu is
        asked again with its own prompt, so the same labels are heard twice."""
        state = self.state
        sorry, ask, prompt = say("not_understood_choice", self.lang), "", ""
        clarifying = state.candidates and all(slug in self.tree.index for slug in state.candidates)
        if state.expect is Expect.AFTER_ANSWER:
            options = self.after_answer_options()
        elif state.expect is Expect.CLARIFY and clarifying:
            ask, options = self.clarify_question(state.candidates)
        else:
            sorry, options = say("not_understood", self.lang), self.menu_options(state.menu)
            node = self.tree.index.get(state.menu or "")
            prompt = node.text(self.lang).prompt if node else ""
        if not heard:
            sorry = say("not_heard", self.lang)
        return Reply(
            text=ask,
            text_long=ask,
            options=options,
            handoff=state.handoff,
            expect=state.expect,
            sorry=" ".join(p for p in (why, sorry) if p),
            prompt=prompt,
        )

    def menu_node_by_key(self, key: int) -> Node | None:
        return next((n for n in self.tree.children_of(self.state.menu) if n.key == key), None)

    def language_question(self) -> Reply:
        options = tuple(
            Option(key=str(i + 1), label=LANGUAGE_LABELS[lang], target=f"{T_LANG}{lang}")
            for i, lang in enumerate(LANGUAGES)
        )
        return Reply(text=LANGUAGE_CHOICE, text_long=LANGUAGE_CHOICE, options=options, expect=Expect.LANGUAGE)

    @staticmethod
    def with_match(turn: Turn, match: Match) -> Turn:
        return replace(turn, understood=match)
