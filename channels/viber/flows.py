"""What each Viber callback does: the same `Dialogue` as every channel, plus Viber's own concerns.

Runs in a worker thread (Redis and SQL calls block); returns what to answer in the webhook's body
and what to send afterwards. Each step is idempotent per `message_token`, because Viber repeats a
callback that did not get a 200: the dialogue turn key is `viber:{token}`, outgoing message ids
derive from it, abuse and callbacks are unique on it in SQL, and the welcome is kept in Redis.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Unpack

from channels.chat import guard, texts
from channels.chat import service as chat_records
from channels.chat.messenger import MessengerFlows, Shared
from channels.chat.service import AbuseAction, Citizen
from channels.dialogue import UnknownConversation
from channels.viber import keys, render, service
from channels.viber.wire import Event, Look, Outgoing, ViberUser, text_message
from hotline.db import transaction
from intents.engine import (
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
    Input,
    InputKind,
    Option,
)

log = logging.getLogger(__name__)

CHANNEL = "viber"
MAX_TEXT = 2000  # what we pass on; Viber lets citizens send far more
COMMANDS = frozenset({T_REPEAT, T_MENU, T_BACK, T_OPERATOR, T_STOP, T_CALLBACK, T_MESSAGE, T_WAIT})
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Handled:
    """The webhook's answer body (None: an empty 200) and the messages to send after it."""

    answer: dict[str, Any] | None = None
    outgoing: list[Outgoing] = field(default_factory=list)


class ViberFlows(MessengerFlows):
    CHANNEL = CHANNEL

    def __init__(self, *, look: Look, **shared: Unpack[Shared]) -> None:
        super().__init__(**shared)
        self.look = look

    def handle(self, event: Event) -> Handled:
        """Dispatch one parsed callback."""
        if event.event == "conversation_started":
            return Handled(answer=self.conversation_started(event))
        if event.event == "message":
            return Handled(outgoing=self.message(event))
        if event.event == "subscribed":
            self.subscribed(event)
        elif event.event == "unsubscribed":
            self.unsubscribed(event)
        elif event.event != "webhook":  # delivered, seen, failed, and whatever Viber adds one day
            self._record(event.event, event.who, event.message_token, event.desc or "")
            if event.event == "seen" and event.message_token is not None:
                self.seen(event.message_token)
        return Handled()

    def seen(self, message_token: int) -> None:
        """The citizen saw a specialist's message: the console shows it (Redis only, `specialist_queue.presence`)."""
        found = self.redis.get(keys.sent(self.keys.prefix, message_token))
        if found is None or self.queue is None:
            return
        conversation_id, _, message_id = str(found).rpartition(":")
        self.queue.citizen_seen(conversation_id, int(message_id))

    # ---- events -----------------------------------------------------------------------------

    def conversation_started(self, event: Event) -> dict[str, Any] | None:
        """The welcome (Viber shows it before the citizen has written): the top menu in their language."""
        user, token = event.user, event.message_token
        if user is None:
            return None
        cache = keys.welcome(self.keys.prefix, token) if token is not None else None
        if cache and (kept := self.redis.get(cache)):
            return dict(json.loads(str(kept)))
        body = self._welcome(user)
        if cache:
            self.redis.set(cache, json.dumps(body, ensure_ascii=False), nx=True, ex=self.ttl)
        return body

    def _welcome(self, user: ViberUser) -> dict[str, Any]:
        if self._blocked(user.id):
            return text_message(texts.say("blocked", user.lang), None, self.look)
        current = self.conversation_of(user.id)
        if current is not None and (waiting := self.with_people(current, user.lang)):
            return text_message(waiting, render.keyboard((), user.lang), self.look)
        started = self.start(user.id, user.lang)
        notice, invitation = self.welcome_lines(started.lang or user.lang)
        return render.welcome(started.replies, started.lang, self.look, notice=notice, footer=invitation)

    def message(self, event: Event) -> list[Outgoing]:
        user, token, message = event.sender, event.message_token, event.message
        if user is None or token is None or message is None:
            self._record("unreadable_message", event.who, token)
            return []
        # The citizen wrote: Viber's count of our unanswered messages starts again, and they are subscribed.
        self.redis.delete(keys.unanswered(self.keys.prefix, user.id), self.keys.left(user.id))
        if self._blocked(user.id):
            self._record("ignored_blocked", user.id, token)
            return []
        conversation_id, lang = self._current(user)
        turn = f"viber:{token}"
        text = (message.text or "").strip()[:MAX_TEXT] if message.type == "text" else ""
        if not text:
            self._record("unsupported_message", user.id, token, message.type)
            return [render.note(texts.say("unsupported", lang), lang, self.look, receiver=user.id, turn=turn)]
        if (answered := self._subscriptions(user, text, lang, turn)) is not None:
            return answered
        if (rated := self._rating(user, text, lang, turn)) is not None:
            return rated
        citizen = Citizen(CHANNEL, user.id, user.name)
        screened = guard.screen(
            self.sessions, citizen=citizen, conversation_id=conversation_id, message_id=str(token), text=text, lang=lang
        )
        if screened.action is not None:
            return self._abuse(conversation_id, screened, user.id, lang, turn)
        if self.queue is not None and self.queue.held_by(conversation_id) is not None:
            # A person holds the conversation: the robot keeps quiet and the specialist reads it.
            self.queue.citizen_message(conversation_id, text, client_id=turn)
            return []
        return self._robot(user, conversation_id, text, turn)

    def subscribed(self, event: Event) -> None:
        if event.user is not None:
            self.redis.delete(self.keys.left(event.user.id))
        self._record("subscribed", event.who, event.message_token)

    def unsubscribed(self, event: Event) -> None:
        """Stop sending to this user; a conversation waiting for a specialist leaves the queue."""
        user_id = event.who
        if user_id is None:
            return
        self.redis.set(self.keys.left(user_id), "1")
        self.left(user_id)
        self._record("unsubscribed", user_id, event.message_token)

    # ---- the specialists' side -------------------------------------------------------------

    def closed(self, conversation_id: str, seq: int = 1) -> list[Outgoing]:
        """A specialist closed the conversation (the `seq`-th time): back to the robot, with a thank-you and a
        1–5 question."""
        found = self.address(conversation_id)
        if found is None:
            return []
        user_id, lang = found
        if self.conversation_of(user_id) == conversation_id:
            self.start(user_id, ViberUser(id=user_id, language=lang).lang)
        self.redis.set(self.keys.rating(user_id), conversation_id, ex=self.ttl)
        board = render.rating_keyboard(lang)
        closing, turn = texts.say("closed", lang), f"closed:{conversation_id}:{seq}"
        return [render.note(closing, lang, self.look, receiver=user_id, turn=turn, board=board)]

    # ---- conversations ----------------------------------------------------------------------

    def _current(self, user: ViberUser) -> tuple[str, str | None]:
        conversation_id = self.conversation_of(user.id)
        if conversation_id is None:
            started = self.start(user.id, user.lang)
            return started.conversation_id, started.lang
        return conversation_id, self.lang_in(conversation_id, user.lang)

    # ---- what the robot says ----------------------------------------------------------------

    def _robot(self, user: ViberUser, conversation_id: str, text: str, turn: str) -> list[Outgoing]:
        event = Input(InputKind.BUTTON if self._is_button(text) else InputKind.TEXT, value=text)
        try:
            result = self.dialogue.handle(conversation_id, event, turn=turn)
        except UnknownConversation:
            result = self.dialogue.handle(self.start(user.id, user.lang).conversation_id, event, turn=turn)
        handed_off = any(reply.handoff for reply in result.replies)
        footer = self.queue_place(result.conversation_id, result.lang) if handed_off else ""
        return render.messages(result.replies, result.lang, self.look, receiver=user.id, turn=turn, footer=footer)

    def _is_button(self, text: str) -> bool:
        """A button press comes back as its `ActionBody`: an engine target nobody types."""
        if text in COMMANDS or text.startswith((T_LANG, T_ANSWER)):
            return True
        if not _SLUG.match(text):
            return False
        compiled = self.dialogue.trees.get(self.dialogue.trees.current_version())
        return text in compiled.tree.index

    def _subscriptions(self, user: ViberUser, text: str, lang: str | None, turn: str) -> list[Outgoing] | None:
        """Subscribing to the office's announcements, or "стоп" (`selfservice.commands`); None: not that."""
        answer = self.subscription(user.id, text, lang or user.lang)
        if answer is None:
            return None
        board = render.keyboard([Option("", label, target) for target, label in answer.buttons], lang)
        return [render.note(answer.text, lang, self.look, receiver=user.id, turn=turn, board=board)]

    def _rating(self, user: ViberUser, text: str, lang: str | None, turn: str) -> list[Outgoing] | None:
        """The answer to "how did we help", when we asked and this is one; None lets the message through."""
        key = self.keys.rating(user.id)
        closed = self.redis.get(key)
        if closed is None:
            return None
        score = guard.score(text)
        if score is None:
            self.redis.delete(key)
            return None  # they moved on to a new question
        # Written before the question is forgotten: while the database is unreachable the callback is kept and
        # handled once it is back, still as a score.
        with transaction(self.sessions) as session:
            chat_records.rate(session, citizen=Citizen(CHANNEL, user.id), conversation_id=str(closed), score=score)
        self.redis.delete(key)
        conversation_id, _ = self._current(user)
        menu = self.dialogue.handle(conversation_id, Input(InputKind.BUTTON, value=T_MENU), turn=turn)
        board = render.keyboard(menu.last.options, menu.lang or lang)
        return [render.note(texts.say("rated", lang), lang, self.look, receiver=user.id, turn=turn, board=board)]

    def _abuse(
        self, conversation_id: str, screened: guard.Screened, user_id: str, lang: str | None, turn: str
    ) -> list[Outgoing]:
        """Warned the first time, blocked after that; a specialist holding it reads the masked text only."""
        if self.queue is not None and self.queue.held_by(conversation_id) is not None:
            self.queue.citizen_message(conversation_id, screened.text, client_id=turn)
        key = "abuse_warning" if screened.action is AbuseAction.WARNED else "blocked"
        return [render.note(texts.say(key, lang), lang, self.look, receiver=user_id, turn=turn)]

    # ---- records ----------------------------------------------------------------------------

    def _blocked(self, user_id: str) -> bool:
        return guard.blocked(self.sessions, Citizen(CHANNEL, user_id))

    def _record(self, event: str, user_id: str | None, token: int | None, detail: str = "") -> None:
        with transaction(self.sessions) as session:
            service.record_event(session, event=event, user_id=user_id, message_token=token, detail=detail)

    def record_outcome(self, event: str, user_id: str, detail: str) -> None:
        """A send that did not happen (the outbox's recorder)."""
        self._record(event, user_id, None, detail)
