"""What each Telegram update does: the same `Dialogue` as every channel, plus Telegram's own concerns.

Runs in a worker thread (Redis and SQL calls block) and returns the Bot API calls to make after the
webhook has answered. Each step is idempotent per `update_id`: the dialogue turn key is `tg:{update_id}`,
call ids derive from it, and records are unique on it in SQL.

While a specialist holds the conversation, what the citizen writes goes to them through the queue's
public API (`SpecialistQueue.citizen_message`), not to the robot; the specialists' side comes back
through `pushed` (the queue's follow API calls the channel).
"""

from __future__ import annotations

import logging
from typing import Unpack

from sqlalchemy.exc import IntegrityError

from channels.chat import guard
from channels.chat import service as chat_records
from channels.chat import texts as chat_texts
from channels.chat.messenger import MessengerFlows, Shared
from channels.chat.service import AbuseAction, Citizen
from channels.dialogue import UnknownConversation
from channels.telegram import render, texts
from channels.telegram.models import TelegramEvent
from channels.telegram.wire import Call, Incoming, Kind
from hotline.db import transaction
from intents.engine import T_MENU, Input, InputKind, Option
from ivr.speech.listening import Heard
from selfservice import commands
from specialist_queue.follow import Closed, Joined, OperatorMessage, Update, Waiting

log = logging.getLogger(__name__)

CHANNEL = "telegram"
RATING_SECONDS = 24 * 3600  # how long after a specialist closed the conversation a score still counts


class TelegramFlows(MessengerFlows):
    CHANNEL = CHANNEL

    def __init__(self, *, hears_voice: bool, **shared: Unpack[Shared]) -> None:
        super().__init__(**shared)
        self.hears_voice = hears_voice

    def handle(self, incoming: Incoming, heard: Heard | None = None) -> list[Call]:
        """Dispatch one update (a voice message comes with what was `heard` in it)."""
        chat_id = incoming.chat_id
        if chat_id is None or incoming.kind is Kind.IGNORED:
            self.record(incoming.update_id, chat_id, "ignored", incoming.what)
            return []
        if incoming.kind in (Kind.BLOCKED, Kind.UNBLOCKED):
            self._membership(incoming, chat_id)
            return []
        self.redis.delete(self.keys.left(chat_id))  # the citizen wrote: they hear us again
        turn = f"tg:{incoming.update_id}"
        calls = [render.answer_button(turn, chat_id, incoming.callback_id)] if incoming.callback_id else []
        if guard.blocked(self.sessions, self.citizen(chat_id, incoming.name)):
            self.record(incoming.update_id, chat_id, "ignored_blocked", incoming.kind.value)
            if incoming.kind is not Kind.START:
                return calls
            lang = self.lang_of(chat_id, incoming.lang)
            return [render.plain(chat_texts.say("blocked", lang), chat_id=chat_id, turn=turn)]
        return calls + self._answer(incoming, chat_id, turn, heard)

    def _answer(self, incoming: Incoming, chat_id: int, turn: str, heard: Heard | None) -> list[Call]:
        if incoming.kind is Kind.START:
            if (waiting := self._with_people(chat_id, incoming.lang, turn)) is not None:
                return waiting  # a new start would leave the specialist talking to nobody
            return self._welcome(chat_id, incoming.lang, turn)
        if incoming.kind in (Kind.TEXT, Kind.BUTTON) and (subscribed := self._subscription(incoming, chat_id, turn)):
            return subscribed
        if incoming.kind is Kind.BUTTON and incoming.text.startswith(render.RATING_PREFIX):
            return self._rated(incoming, chat_id, turn)
        if incoming.kind is Kind.TEXT:
            return self._robot(incoming, chat_id, Input(InputKind.TEXT, value=incoming.text), turn)
        if incoming.kind is Kind.BUTTON and incoming.text:
            return self._robot(incoming, chat_id, Input(InputKind.BUTTON, value=incoming.text), turn)
        if incoming.kind is Kind.VOICE:
            return self._voice(incoming, chat_id, turn, heard)
        if incoming.kind is Kind.OTHER:
            self.record(incoming.update_id, chat_id, "unsupported_message", incoming.what)
            key = "unsupported" if self.hears_voice else "text_only"
            return [render.note(texts.say(key, self.lang_of(chat_id, incoming.lang)), None, chat_id=chat_id, turn=turn)]
        return []

    def _welcome(self, chat_id: int, lang: str | None, turn: str) -> list[Call]:
        """A new conversation: the emergency notice in force, the robot's greeting, the invitation to subscribe."""
        started = self.start(chat_id, lang)
        notice, invitation = self.welcome_lines(started.lang or lang)
        return render.messages(
            started.replies, started.lang, chat_id=chat_id, turn=turn, header=notice, footer=invitation
        )

    def _subscription(self, incoming: Incoming, chat_id: int, turn: str) -> list[Call]:
        """Subscribing to the office's announcements, or "стоп" (`selfservice.commands`); [] when not that."""
        text = incoming.text.strip()
        if not commands.is_command(text):  # cheap: most messages ask the robot something
            return []
        lang = self.lang_of(chat_id, incoming.lang)
        answer = self.subscription(chat_id, text, lang)
        if answer is None:
            return []
        board = render.keyboard([Option("", label, target) for target, label in answer.buttons], lang)
        return [render.note(answer.text, lang, chat_id=chat_id, turn=turn, board=board)]

    def _voice(self, incoming: Incoming, chat_id: int, turn: str, heard: Heard | None) -> list[Call]:
        lang = self.lang_of(chat_id, incoming.lang)
        if heard is None or not heard.text:
            key = "voice_unheard" if self.hears_voice else "text_only"
            self.record(incoming.update_id, chat_id, "voice_not_understood", key)
            return [render.note(texts.say(key, lang), lang, chat_id=chat_id, turn=turn)]
        event = Input(InputKind.SPEECH, value=heard.text, confidence=heard.confidence)
        return self._robot(incoming, chat_id, event, turn)

    def voice_refused(self, incoming: Incoming, reason: str) -> list[Call]:
        """A voice message we would not take (too long, not audio): say so, and write it down."""
        chat_id = incoming.chat_id
        if chat_id is None:
            return []
        self.record(incoming.update_id, chat_id, "voice_not_understood", reason)
        key = "voice_too_long" if "longer" in reason else "voice_unheard"
        lang = self.lang_of(chat_id, incoming.lang)
        return [render.note(texts.say(key, lang), lang, chat_id=chat_id, turn=f"tg:{incoming.update_id}")]

    def _membership(self, incoming: Incoming, chat_id: int) -> None:
        """Blocked: nothing more is sent until they unblock the bot or write again, and a conversation
        waiting for a specialist leaves the queue (nobody would read the answer)."""
        stopped = self.keys.left(chat_id)
        if incoming.kind is Kind.BLOCKED:
            self.redis.set(stopped, incoming.what or "kicked")
            self.left(chat_id)
        else:
            self.redis.delete(stopped)
        self.record(incoming.update_id, chat_id, incoming.kind.value, incoming.what)

    # ---- conversations ----------------------------------------------------------------------

    def lang_of(self, chat_id: int, fallback: str | None) -> str | None:
        """The language the chat's conversation is held in, else the citizen's Telegram language."""
        conversation_id = self.conversation_of(chat_id)
        return fallback if conversation_id is None else self.lang_in(conversation_id, fallback)

    def chat_of(self, conversation_id: str) -> tuple[int, str | None] | None:
        """The chat id and language of one of our conversations."""
        found = self.address(conversation_id)
        return None if found is None else (int(found[0]), found[1])

    def _robot(self, incoming: Incoming, chat_id: int, event: Input, turn: str) -> list[Call]:
        conversation_id = self.conversation_of(chat_id) or self.start(chat_id, incoming.lang).conversation_id
        held = self.queue is not None and self.queue.held_by(conversation_id) is not None
        lang = self.lang_of(chat_id, incoming.lang)
        if event.kind is not InputKind.BUTTON:  # typed or said: screened before the robot or a person reads it
            screened = guard.screen(
                self.sessions,
                citizen=self.citizen(chat_id, incoming.name),
                conversation_id=conversation_id,
                message_id=turn,
                text=event.value,
                lang=lang,
            )
            if screened.action is not None:
                if held and self.queue is not None:
                    self.queue.citizen_message(conversation_id, screened.text, client_id=turn)
                key = "abuse_warning" if screened.action is AbuseAction.WARNED else "blocked"
                return [render.plain(chat_texts.say(key, lang), chat_id=chat_id, turn=turn)]
        if held and self.queue is not None:
            if event.kind is InputKind.BUTTON:  # the robot's buttons mean nothing to the person in the chat
                return [render.plain(chat_texts.say("with_specialist", lang), chat_id=chat_id, turn=turn)]
            self.queue.citizen_message(conversation_id, event.value, client_id=turn)
            return []  # the specialist reads it; the robot keeps quiet
        try:
            result = self.dialogue.handle(conversation_id, event, turn=turn)
        except UnknownConversation:
            result = self.dialogue.handle(self.start(chat_id, incoming.lang).conversation_id, event, turn=turn)
        footer = self.queue_place(result.conversation_id, result.lang) if result.handoff_requested else ""
        calls = render.messages(result.replies, result.lang, chat_id=chat_id, turn=turn, footer=footer)
        from_menu_to_menu = incoming.in_place and len(result.replies) == 1 and render.menu_only(result.last)
        if from_menu_to_menu and incoming.message_id is not None:  # the pressed menu becomes the next one
            return render.in_place(calls, incoming.message_id)
        return calls

    # ---- the specialists' side --------------------------------------------------------------

    def pushed(self, conversation_id: str, update: Update) -> list[Call]:
        """What the citizen is sent when a specialist joins, writes, or closes the conversation, and their place
        in the queue when it is told again (`specialist_queue.places`).

        Ids derive from the update's own, which is the same in every worker and on every retry."""
        found = self.chat_of(conversation_id)
        if found is None:
            return []
        chat_id, lang = found
        turn = f"{conversation_id}:{update.id}"
        match update:
            case Joined():
                name = f" {update.operator}" if update.operator else ""
                return [render.plain(chat_texts.say("joined", lang, name=name), chat_id=chat_id, turn=turn)]
            case OperatorMessage():
                return [render.plain(piece, chat_id=chat_id, turn=f"{turn}:{n}") for n, piece in enumerate(
                    render.pieces(update.text))]  # fmt: skip
            case Closed():
                return self._closed(conversation_id, chat_id, lang, turn)
            case Waiting(position=int(position), wait_seconds=int(seconds)):
                return [render.plain(chat_texts.place(position, seconds, lang), chat_id=chat_id, turn=turn)]
        return []

    def _closed(self, conversation_id: str, chat_id: int, lang: str | None, turn: str) -> list[Call]:
        """Back to the robot in a new conversation, with a thank-you and a 1–5 question."""
        if self.conversation_of(chat_id) == conversation_id:
            self.start(chat_id, lang)
        self.redis.set(self.keys.rating(chat_id), conversation_id, ex=RATING_SECONDS)
        closing = chat_texts.say("closed", lang)
        return [render.note(closing, lang, chat_id=chat_id, turn=turn, board=render.rating_keyboard(lang))]

    def _rated(self, incoming: Incoming, chat_id: int, turn: str) -> list[Call]:
        """A score pressed under the closing question: kept once (the first press stands), then the menu."""
        score = guard.score(incoming.text)
        key = self.keys.rating(chat_id)
        closed = self.redis.get(key)
        if closed is not None and score is not None:
            # Written before the question is forgotten: while the database is unreachable the update is kept and
            # handled once it is back, still as a score.
            with transaction(self.sessions) as session:
                citizen = self.citizen(chat_id, incoming.name)
                chat_records.rate(session, citizen=citizen, conversation_id=str(closed), score=score)
            self.redis.delete(key)
        conversation_id = self.conversation_of(chat_id) or self.start(chat_id, incoming.lang).conversation_id
        menu = self.dialogue.handle(conversation_id, Input(InputKind.BUTTON, value=T_MENU), turn=turn)
        lang = menu.lang or incoming.lang
        board = render.keyboard(menu.last.options, lang, in_place=True)
        return [render.note(chat_texts.say("rated", lang), lang, chat_id=chat_id, turn=turn, board=board)]

    def _with_people(self, chat_id: int, lang: str | None, turn: str) -> list[Call] | None:
        """What to say to someone who starts again while a specialist has, or is about to take, their case."""
        conversation_id = self.conversation_of(chat_id)
        said = self.with_people(conversation_id, self.lang_of(chat_id, lang)) if conversation_id is not None else ""
        return [render.plain(said, chat_id=chat_id, turn=turn)] if said else None

    # ---- records ----------------------------------------------------------------------------

    @staticmethod
    def citizen(chat_id: int, name: str = "") -> Citizen:
        """The citizen as the shared chat records know them (the block list shows the name)."""
        return Citizen(CHANNEL, str(chat_id), name)

    def record(self, update_id: int | None, chat_id: int | None, kind: str, detail: str = "") -> None:
        """Write one update or outcome down (once per update and kind)."""
        row = TelegramEvent(update_id=update_id, chat_id=chat_id, kind=kind, detail=detail[:2000])
        with transaction(self.sessions) as session:
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:
                pass  # written when Telegram delivered this update the first time
