"""What the messenger channels' flows (Viber, Telegram) share, above their wire formats.

A messenger talks to one citizen per user or chat (`who`): their current conversation is kept in Redis
(`channels.chat.keys`) and found again in SQL (the newest open one) when Redis has lost it. What a
citizen is told while a specialist has, or is about to take, their case; the office's subscriptions
(`selfservice.commands`: "підписатися", a topic's button, "стоп" at any time); the emergency notice and
the invitation to subscribe in the welcome; and what happens when a citizen leaves the bot are the same
on every messenger. Each channel's flows add how its own updates arrive and how its replies look.
"""

from __future__ import annotations

from typing import ClassVar, NotRequired, Protocol, TypedDict

import redis
from sqlalchemy.orm import Session, sessionmaker

from channels.chat import texts
from channels.chat.keys import MessengerKeys
from channels.dialogue import Dialogue, TurnResult
from hotline import conversation_log
from hotline.db import UNREACHABLE, transaction
from selfservice import commands, notices, topics


class Held(Protocol):
    """A conversation a specialist holds, as the live queue knows it (`specialist_queue.model.Entry`)."""

    @property
    def channel(self) -> str: ...

    @property
    def external_id(self) -> str: ...

    @property
    def lang(self) -> str: ...


class QueueDesk(Protocol):
    """What a messenger asks of the specialist queue (`specialist_queue.service.SpecialistQueue`)."""

    def held_by(self, conversation_id: str) -> int | None: ...

    def held(self, conversation_id: str) -> Held | None: ...

    def wait_figures(self, conversation_id: str) -> tuple[int, int] | None: ...

    def citizen_message(self, conversation_id: str, text: str, *, client_id: str | None = None) -> object: ...

    def abandon(self, conversation_id: str) -> bool: ...

    def citizen_seen(self, conversation_id: str, upto: int) -> None: ...


class Shared(TypedDict):
    """What every messenger's flows are built with (the channel's own parts come on top)."""

    dialogue: Dialogue
    sessions: sessionmaker[Session]
    redis_client: redis.Redis
    keys: MessengerKeys
    ttl_seconds: int
    queue: NotRequired[QueueDesk | None]


class MessengerFlows:
    """The part of a messenger's flows that does not depend on the messenger; `CHANNEL` is its name."""

    CHANNEL: ClassVar[str]

    def __init__(
        self,
        *,
        dialogue: Dialogue,
        sessions: sessionmaker[Session],
        redis_client: redis.Redis,
        keys: MessengerKeys,
        ttl_seconds: int,
        queue: QueueDesk | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.sessions = sessions
        self.redis = redis_client
        self.keys = keys
        self.ttl = ttl_seconds
        self.queue = queue

    # ---- conversations ----------------------------------------------------------------------

    def conversation_of(self, who: str | int) -> str | None:
        """The citizen's current conversation: Redis first, then the newest open one in SQL (None while the database
        is unreachable: a new one starts, and waits for it in the pending log like the web chat's)."""
        key = self.keys.conversation(who)
        if found := self.redis.get(key):
            return str(found)
        try:
            with self.sessions() as session:
                conversation_id = conversation_log.latest_open(session, channel=self.CHANNEL, external_id=str(who))
        except UNREACHABLE:
            return None
        if conversation_id is not None:
            self.redis.set(key, conversation_id, ex=self.ttl)
        return conversation_id

    def address(self, conversation_id: str) -> tuple[str, str | None] | None:
        """Who one of our conversations is with (the user or chat id) and its language: from SQL, or while the
        database is unreachable, as the live queue keeps a conversation a specialist holds (their messages
        still reach the citizen then)."""
        try:
            with self.sessions() as session:
                found = conversation_log.get(session, conversation_id=conversation_id)
        except UNREACHABLE:
            held = self.queue.held(conversation_id) if self.queue is not None else None
            if held is None or held.channel != self.CHANNEL or not held.external_id:
                raise
            return held.external_id, held.lang or None
        if found is None or found.channel != self.CHANNEL or not found.external_id:
            return None
        return found.external_id, found.lang

    def start(self, who: str | int, lang: str | None) -> TurnResult:
        """A new conversation with the robot, which becomes the citizen's current one."""
        started = self.dialogue.start(channel=self.CHANNEL, lang=lang, external_id=str(who))
        self.redis.set(self.keys.conversation(who), started.conversation_id, ex=self.ttl)
        return started

    def lang_in(self, conversation_id: str, fallback: str | None) -> str | None:
        """The language the conversation is held in (as SQL has it; as its state in Redis has it while the database is
        unreachable or the row of a conversation started meanwhile is on its way), else `fallback`."""
        try:
            with self.sessions() as session:
                conversation = conversation_log.get(session, conversation_id=conversation_id)
        except UNREACHABLE:
            conversation = None
        found = conversation.lang if conversation is not None else self.dialogue.lang_of(conversation_id)
        return found or fallback

    def behind_pending_log(self) -> bool:
        """Whether kept callbacks must wait for the pending log (`hotline.pending_log`) to be written first: they may
        be about conversations started live during the outage, whose rows and turns are still there (an XLEN a
        round, on the node that replays)."""
        pending = self.dialogue.pending
        return pending is not None and bool(pending.waiting())

    # ---- people -----------------------------------------------------------------------------

    def queue_place(self, conversation_id: str, lang: str | None) -> str:
        """'You are 2nd in the queue, about 3 minutes' ('' while the conversation does not wait)."""
        figures = self.queue.wait_figures(conversation_id) if self.queue is not None else None
        if figures is None:
            return ""
        return texts.place(*figures, lang)

    def with_people(self, conversation_id: str, lang: str | None) -> str:
        """What to say to someone who comes back while a specialist has, or is about to take, their case
        ('' when nobody has it: the robot answers)."""
        if self.queue is None:
            return ""
        if self.queue.held_by(conversation_id) is not None:
            return texts.say("with_specialist", lang)
        place = self.queue_place(conversation_id, lang)
        return f"{texts.say('still_waiting', lang)} {place}" if place else ""

    # ---- the office's announcements -----------------------------------------------------------

    def subscription(self, who: str | int, text: str, lang: str | None) -> commands.Answer | None:
        """Subscribing to the office's announcements, or "стоп" (`selfservice.commands`); None: not that."""
        if not commands.is_command(text):
            return None
        with transaction(self.sessions) as session:
            return commands.answer(session, channel=self.CHANNEL, recipient=str(who), text=text, lang=lang)

    def welcome_lines(self, lang: str | None) -> tuple[str, str]:
        """The welcome's first line (the emergency notice in force) and last (the invitation to subscribe);
        '' where there is none (both, while the database is unreachable: the welcome goes out without them)."""
        try:
            with self.sessions() as session:
                invitation = commands.invitation(session, lang)
        except UNREACHABLE:
            invitation = ""
        return notices.words(notices.active_now(self.sessions), lang), invitation

    def left(self, who: str | int) -> None:
        """The citizen left the bot (unsubscribed, blocked it): their subscriptions go, and a conversation
        waiting for a specialist leaves the queue (nobody would read the answer). The queue first: it works from
        Redis alone, so during a database outage nobody is offered that citizen while the rest waits to be replayed
        (then nobody waits any more, and nothing is abandoned twice)."""
        current = self.conversation_of(who)
        if current is not None and self.queue is not None:
            self.queue.abandon(current)
        with transaction(self.sessions) as session:
            topics.unsubscribe(session, channel=self.CHANNEL, recipient=str(who))
