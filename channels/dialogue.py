"""The common channel interface: start a conversation, feed it inputs, get replies.

Every channel adapter (web chat, Twilio, Viber) calls this and only renders what comes back. Here
the pure engine meets its edges: the state in Redis, the conversation log in SQL, the published tree.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channels.chat import abuse
from channels.office import OfficeRules
from channels.state_store import StateStore, Stored
from hotline import conversation_log
from hotline.db import UNREACHABLE, transaction, utcnow
from hotline.pending_log import PendingLog
from intents import engine, versions
from intents.codec import (
    callback_from_dict,
    callback_to_dict,
    handoff_from_dict,
    handoff_to_dict,
    reply_from_dict,
    reply_to_dict,
    state_from_dict,
    state_to_dict,
)
from intents.engine import Callback, Expect, Handoff, Input, InputKind, Reply, State
from intents.listening import Listening, listening
from intents.screening import counts as screening_counts
from intents.screening.flow import Counted, What
from intents.tree import LANGUAGES, Priority, Tree
from intents.understanding import Understanding
from intents.vector_store import SqlVectors

MAX_ADVANCE_ATTEMPTS = 8
SCREENING_ANSWERS = "screening_answers"  # a questionnaire's answers, logged when they go to a specialist
UNLOGGED = "unlogged"  # in the stored state: the conversation began while the database was unreachable
ABOUT = ("channel", "external_id")  # in the stored state: what the queue needs of the conversation's row
NO_TREE = "no tree is published yet: run 'hotline tree import FILE.yaml'"


class UnknownConversation(LookupError):
    pass


class NoPublishedTree(RuntimeError):
    pass


class ConversationBusy(RuntimeError):
    """Too many requests changed the conversation at once: this one gave up (a 409, to be sent again)."""


@dataclass(frozen=True)
class Compiled:
    tree: Tree
    matcher: Understanding


class TreeCache:
    """Published trees with their matchers, built once per version per process.

    The second opinion's phrase vectors were computed at publish (`intents.publishing`) and are read
    from SQL here, so a new version costs every worker a lexical build and a read, not a model run.
    """

    def __init__(self, sessions: sessionmaker[Session], size: int = 4, *, second_opinion: bool = True) -> None:
        self.sessions = sessions
        self.size = size
        self.second_opinion = second_opinion
        self._compiled: OrderedDict[int, Compiled] = OrderedDict()
        self._lock = threading.Lock()
        # One build at a time: requests that miss together wait for it instead of each building a matcher.
        self._building = threading.Lock()

    def current_version(self) -> int:
        """The newest published version; read from SQL so every process sees a publish at once."""
        with self.sessions() as session:
            version = versions.current_version_id(session)
        if version is None:
            raise NoPublishedTree(NO_TREE)
        return version

    def newest_loaded(self) -> int | None:
        """The newest version this process has built (None: none yet): what a conversation starts on while the
        database cannot say which is current."""
        with self._lock:
            return max(self._compiled, default=None)

    def get(self, version_id: int) -> Compiled:
        if (found := self._cached(version_id)) is not None:
            return found
        with self._building:
            compiled = self._cached(version_id) or self._build(version_id)  # built meanwhile by the one we waited for?
        if compiled is None:  # that version is gone: the current one instead
            return self.get(self.current_version())
        return compiled

    def _build(self, version_id: int) -> Compiled | None:
        with self.sessions() as session:
            tree = versions.load(session, version_id=version_id)
        if tree is None:
            return None
        understanding = Understanding.build(
            tree, second_opinion=self.second_opinion, stores=[SqlVectors(self.sessions)]
        )
        compiled = Compiled(tree=tree, matcher=understanding)
        with self._lock:
            self._compiled[version_id] = compiled
            while len(self._compiled) > self.size:
                self._compiled.popitem(last=False)
        return compiled

    def _cached(self, version_id: int) -> Compiled | None:
        with self._lock:
            if version_id in self._compiled:
                self._compiled.move_to_end(version_id)
                return self._compiled[version_id]
        return None


@dataclass(frozen=True)
class TurnResult:
    """A turn as the channels get it: the engine's own typed replies, and a handoff made in this turn.

    For the log and the statistics it also keeps whether the turn carried a questionnaire's answers
    (`private`: logged without the words), the answers a handoff takes to the specialist, and what the
    statistics count of questionnaires. `callback`: a number (and message) left for the specialists;
    `relayed`: what the citizen wrote to the person they wait for (then there are no replies)."""

    conversation_id: str
    step: int
    replies: tuple[Reply, ...]
    lang: str | None
    handoff_requested: Handoff | None = None
    tree_version: int | None = None
    private: bool = False
    answers: tuple[dict[str, str], ...] = ()
    counted: tuple[Counted, ...] = ()
    callback: Callback | None = None
    relayed: str = ""

    @property
    def last(self) -> Reply:
        return self.replies[-1]


@dataclass(frozen=True)
class HandoffRequest:
    """A conversation the robot has just handed to a person."""

    conversation_id: str
    lang: str | None
    queue: str
    priority: str
    reason: str
    channel: str | None = None  # the conversation's, kept with its state (None when Redis lost it)
    external_id: str | None = None  # the channel's id of it (a call's sid), kept with its state likewise


HandoffListener = Callable[[HandoffRequest], None]


@dataclass(frozen=True)
class CallbackLeft:
    """A phone number (and a message) a citizen left for the specialists instead of waiting."""

    conversation_id: str
    lang: str | None
    queue: str
    phone: str
    message: str


CallbackListener = Callable[[CallbackLeft], None]
# (conversation id, text): what a citizen wrote to the person they wait for or talk to.
MessageListener = Callable[[str, str], None]


@dataclass(frozen=True)
class _Computed:
    """A turn computed from the state `seen`, not yet stored."""

    seen: Stored
    result: TurnResult
    heard: Heard | None
    stored: dict[str, Any]
    log: conversation_log.Turn


@dataclass(frozen=True)
class _Opening:
    """A conversation about to start."""

    conversation_id: str
    channel: str
    lang: str | None
    external_id: str | None


@dataclass(frozen=True)
class Heard:
    """What the citizen's words matched, as the log keeps it."""

    intent: str | None
    score: float


class Dialogue:
    def __init__(
        self,
        store: StateStore,
        sessions: sessionmaker[Session],
        trees: TreeCache,
        pending: PendingLog | None = None,
        office: OfficeRules | None = None,
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.trees = trees
        self.pending = pending  # where a turn goes while the database is unreachable
        self.office = office  # the office's rules for every channel (None: a person can always come)
        self.handoff_listeners: list[HandoffListener] = []
        self.callback_listeners: list[CallbackListener] = []
        self.message_listeners: list[MessageListener] = []

    def start(self, *, channel: str, lang: str | None, external_id: str | None = None) -> TurnResult:
        """Open a new conversation on the newest published tree and return the robot's first words."""
        conversation_id = uuid.uuid4().hex
        opening = _Opening(conversation_id, channel, lang, external_id)
        try:
            turn = self._start_logged(opening)
        except UNREACHABLE as unreachable:
            turn = self._start_unlogged(opening, unreachable)
        if not self.store.advance(conversation_id, seen=turn.seen, state=turn.stored, result={}, turn=None):
            raise RuntimeError(f"conversation {conversation_id} was started twice")
        return self._announce(conversation_id, turn)

    def _start_logged(self, opening: _Opening) -> _Computed:
        # The first turn is computed before the write transaction: it may build the version's matcher, whose
        # phrase vectors are stored in a transaction of their own, which on SQLite would wait for this one.
        # Then one transaction creates the conversation and logs its first turn; the state goes to Redis only
        # once SQL has the conversation.
        version = self.trees.current_version()
        turn = self._first_turn(opening, version)
        started = conversation_log.Started(
            opening.conversation_id, opening.channel, opening.lang, opening.external_id, version, turn.log.at
        )
        with transaction(self.sessions) as session:
            connection = session.connection()
            conversation_log.write_started(connection, [started])
            conversation_log.write_turns(connection, [turn.log])  # a start asks no questionnaire: nothing counted
        return turn

    def _start_unlogged(self, opening: _Opening, unreachable: Exception) -> _Computed:
        """While the database is unreachable: the conversation starts on the newest tree this process has loaded,
        its row and first turn wait in the pending log, and so do its later turns (they must follow the row)
        until the log is written. Without a loaded tree or a pending log, the database's error stands."""
        version = self.trees.newest_loaded()
        if self.pending is None or version is None:
            raise unreachable
        turn = self._first_turn(opening, version, unlogged=True)
        started = conversation_log.Started(
            opening.conversation_id, opening.channel, opening.lang, opening.external_id, version, turn.log.at
        )
        self.pending.keep_start(started)
        self.pending.keep(turn.log)
        return turn

    def _first_turn(self, opening: _Opening, version: int, *, unlogged: bool = False) -> _Computed:
        event = Input(InputKind.START, lang=opening.lang)
        seen = Stored("", {UNLOGGED: True} if unlogged else None)
        state = State(tree_version=version)
        about = {"channel": opening.channel, "external_id": opening.external_id}
        return self._turn(opening.conversation_id, event, state, seen, last_step=0, about=about)

    def handle(self, conversation_id: str, event: Input, *, turn: str | None = None) -> TurnResult:
        """Feed one input; a repeated `turn` key returns the first answer and changes nothing."""
        for _ in range(MAX_ADVANCE_ATTEMPTS):
            seen = self.store.read(conversation_id, turn)
            if seen.answered is not None:
                # A retry: its first run may have died before the log, so the log is written (at most once).
                result, heard = _decode(conversation_id, seen.answered)
                entry = _log_entry(event, result, heard, lang_changed=True)
                self._write(entry, result.counted, unlogged=_unlogged(seen))
                return result
            state, last_step = self._state(conversation_id, seen)
            computed = self._turn(conversation_id, event, state, seen, last_step=last_step)
            answered = _encode(computed.result, computed.heard)
            if self.store.advance(conversation_id, seen=seen, state=computed.stored, result=answered, turn=turn):
                self._write(computed.log, computed.result.counted, unlogged=_unlogged(seen))
                return self._announce(conversation_id, computed)
        raise ConversationBusy(f"conversation {conversation_id} is being changed by too many requests at once")

    def _state(self, conversation_id: str, seen: Stored) -> tuple[State, int]:
        """The engine's state and the last turn's step."""
        if seen.data is not None:
            return state_from_dict(seen.data["engine"]), int(seen.data["step"])
        with self.sessions() as session:
            conversation = conversation_log.get(session, conversation_id=conversation_id)
            last_step = conversation_log.last_turn(session, conversation_id=conversation_id)
        if conversation is None:
            raise UnknownConversation(conversation_id)
        # The state expired or Redis lost it: carry on from the top menu in the known language, on the
        # conversation's own tree version, numbering turns after the last one logged (a reused step
        # would be taken for a retry and not logged).
        version = conversation.tree_version or self.trees.current_version()
        if conversation.lang:
            return State(lang=conversation.lang, expect=Expect.MENU, tree_version=version), last_step
        return State(tree_version=version), last_step

    def _turn(
        self,
        conversation_id: str,
        event: Input,
        state: State,
        seen: Stored,
        *,
        last_step: int,
        about: dict[str, str | None] | None = None,
    ) -> _Computed:
        """One engine turn: the state to store, the answer to keep for retries, and the log entry."""
        compiled = self.trees.get(state.tree_version)
        outcome = engine.handle(state, event, compiled.tree, compiled.matcher, self.office)
        result = TurnResult(
            conversation_id=conversation_id,
            step=last_step + 1,
            replies=outcome.replies,
            lang=outcome.state.lang,
            handoff_requested=_requested(state.handoff, outcome.state.handoff),
            tree_version=outcome.state.tree_version,
            private=outcome.private,
            answers=outcome.answers,
            counted=outcome.counted,
            callback=outcome.callback,
            relayed=outcome.relayed,
        )
        # The channel and the channel's id of the conversation travel with the state, so a handoff is queued and a
        # call accepted without asking the database (it may be away).
        about = about or {name: (seen.data or {}).get(name) for name in ABOUT}
        stored = {"step": result.step, "engine": state_to_dict(outcome.state), **about}
        if _unlogged(seen):
            stored[UNLOGGED] = True
        understood = outcome.understood
        heard = Heard(understood.intent, understood.score) if understood is not None else None
        log = _log_entry(event, result, heard, lang_changed=outcome.state.lang != state.lang)
        return _Computed(seen=seen, result=result, heard=heard, stored=stored, log=log)

    def _write(self, entry: conversation_log.Turn, counted: tuple[Counted, ...] = (), *, unlogged: bool) -> None:
        """Write a turn to SQL: one INSERT that does nothing when a retry of the turn wrote it first; while the
        database is unreachable, the turn waits in Redis (`hotline.pending_log`) and the answer still goes out.
        The questionnaire counts a turn adds go with it, so only once too (not while the database is away:
        they are statistics, not the record). A conversation started while it was away (`unlogged`) keeps its
        turns behind its row in Redis until that is written (one look in Redis then; nothing for the others)."""
        if unlogged and self.pending is not None and self.pending.holds([entry.conversation_id]):
            self.pending.keep(entry)
            return
        try:
            with transaction(self.sessions) as session:
                written = conversation_log.write_turns(session.connection(), [entry])
                if written and counted:
                    conversation = conversation_log.get(session, conversation_id=entry.conversation_id)
                    channel = conversation.channel if conversation is not None else ""
                    screening_counts.add(session.connection(), at=entry.at, channel=channel, counted=counted)
        except UNREACHABLE:
            if self.pending is None:
                raise
            self.pending.keep(entry)

    def _announce(self, conversation_id: str, computed: _Computed) -> TurnResult:
        """Tell the listeners of a handoff, a callback and a message for a person (once: only the request that
        advanced the state gets here)."""
        result = computed.result
        if result.relayed:
            for relay in self.message_listeners:
                relay(conversation_id, result.relayed)
        if callback := result.callback:
            left = CallbackLeft(
                conversation_id=conversation_id,
                lang=result.lang,
                queue=callback.handoff.queue,
                phone=callback.phone,
                message=callback.message,
            )
            for take in self.callback_listeners:
                take(left)
        if handoff := result.handoff_requested:
            request = HandoffRequest(
                conversation_id=conversation_id,
                lang=result.lang,
                queue=handoff.queue,
                priority=handoff.priority.value,
                reason=handoff.reason,
                channel=computed.stored.get("channel"),
                external_id=computed.stored.get("external_id"),
            )
            for listener in self.handoff_listeners:
                listener(request)
        return result

    def channel_of(self, conversation_id: str) -> str | None:
        """The conversation's channel as its state in Redis keeps it (None: no state), for when SQL cannot say: the
        database is away, or the row of a conversation started meanwhile is still on its way."""
        channel = (self.store.read(conversation_id).data or {}).get("channel")
        return str(channel) if channel else None

    def lang_of(self, conversation_id: str) -> str | None:
        """The conversation's language as its state in Redis keeps it (None: not chosen yet, or no state), for when
        SQL cannot say (as `channel_of`)."""
        lang = ((self.store.read(conversation_id).data or {}).get("engine") or {}).get("lang")
        return str(lang) if lang else None

    def listening(self, result: TurnResult) -> Listening:
        """What to listen for after `result` (speech hints, a recogniser's grammar), from the tree it ran on."""
        version = result.tree_version or self.trees.current_version()
        return listening(self.trees.get(version).tree, result.last, result.lang or LANGUAGES[0])

    def release(self, conversation_id: str) -> bool:
        """A specialist let go of the conversation: the robot answers again and a new handoff can happen.

        False when there was no handoff to clear (or no state: the next turn starts afresh anyway).
        """
        for _ in range(MAX_ADVANCE_ATTEMPTS):
            seen = self.store.read(conversation_id)
            if seen.data is None or seen.data["engine"].get("handoff") is None:
                return False
            freed = replace(state_from_dict(seen.data["engine"]), handoff=None)
            stored = {**seen.data, "engine": state_to_dict(freed)}
            if self.store.advance(conversation_id, seen=seen, state=stored, result={}, turn=None):
                return True
        raise ConversationBusy(f"conversation {conversation_id} is being changed by too many requests at once")


def _requested(before: Handoff | None, after: Handoff | None) -> Handoff | None:
    """The handoff this turn made: a first one, or a crisis written while waiting for a person on an ordinary
    one (the queue then moves the conversation up, `SpecialistQueue.escalate`); else None."""
    if before is None:
        return after
    more_urgent = (
        after is not None and after.priority is Priority.EMERGENCY and before.priority is not Priority.EMERGENCY
    )
    return after if more_urgent else None


def _unlogged(seen: Stored) -> bool:
    """Whether the conversation began while the database was unreachable (its row may still wait in Redis)."""
    return bool((seen.data or {}).get(UNLOGGED))


def _readable(event: Input, lang: str | None) -> str:
    """What the citizen did as staff may read it: what speech recognition heard passes the chat channels'
    abuse screen first (a chat's abusive message never reaches the dialogue: `channels.chat.guard`)."""
    if event.kind is not InputKind.SPEECH:
        return event.value
    return abuse.screen(event.value, lang).masked


def _log_entry(event: Input, result: TurnResult, heard: Heard | None, *, lang_changed: bool) -> conversation_log.Turn:
    """The turn as the conversation log keeps it: what the citizen did, each reply, and a handoff.

    A turn with a questionnaire's answers (`private`) is logged without the citizen's words or the robot's
    (the result tells the answers too); a handoff carries the answers to the specialist (`screening_answers`)."""
    hidden = {"screening": True} if result.private else {}
    said = {
        "kind": f"citizen_{event.kind.value}",
        "text": "" if result.private else _readable(event, result.lang),
        "intent": heard.intent if heard else None,
        "score": heard.score if heard else None,
        "data": {"confidence": event.confidence, **hidden} if event.confidence is not None else hidden,
    }
    replies = [
        {
            "kind": "bot",
            "text": "" if result.private else _said(r),
            "intent": r.intent,
            "data": {"expect": r.expect.value, "handoff": handoff_to_dict(r.handoff), **hidden},
        }
        for r in result.replies
    ]
    handoff = handoff_to_dict(result.handoff_requested)
    handed = [{"kind": "handoff_requested", "text": handoff["reason"], "data": handoff}] if handoff else []
    if result.answers:
        handed.append({"kind": SCREENING_ANSWERS, "data": {"answers": list(result.answers)}})
    if result.callback:  # the number itself is in the citizen's words above, and in the queue's callback
        handed.append({"kind": "callback_left", "text": result.callback.handoff.queue, "data": {}})
    return conversation_log.Turn(
        conversation_id=result.conversation_id,
        step=result.step,
        at=utcnow(),
        events=[said, *replies, *handed],
        lang=result.lang if lang_changed else None,
        handoff_queue=handoff["queue"] if handoff else None,
    )


def _said(reply: Reply) -> str:
    nobody = reply.unavailable.words if reply.unavailable else ""
    parts = (reply.greeting, reply.sorry, reply.text_long or reply.text, reply.promise, nobody)
    return "\n\n".join(p for p in parts if p)


def _encode(result: TurnResult, heard: Heard | None) -> dict[str, Any]:
    """The turn's answer as kept for a retry of it (JSON in Redis), with what the citizen's words matched."""
    return {
        "step": result.step,
        "lang": result.lang,
        "tree_version": result.tree_version,
        "replies": [reply_to_dict(r) for r in result.replies],
        "match": {"intent": heard.intent, "score": heard.score} if heard else None,
        "handoff_requested": handoff_to_dict(result.handoff_requested),
        "private": result.private,
        "answers": list(result.answers),
        "counted": [[c.what.value, c.intent] for c in result.counted],
        "callback": callback_to_dict(result.callback),
        "relayed": result.relayed,
    }


def _decode(conversation_id: str, data: dict[str, Any]) -> tuple[TurnResult, Heard | None]:
    result = TurnResult(
        conversation_id=conversation_id,
        step=int(data["step"]),
        replies=tuple(reply_from_dict(r) for r in data["replies"]),
        lang=data.get("lang"),
        handoff_requested=handoff_from_dict(data.get("handoff_requested")),
        tree_version=data.get("tree_version"),
        private=bool(data.get("private", False)),
        answers=tuple(data.get("answers", ())),
        counted=tuple(Counted(What(what), intent) for what, intent in data.get("counted", ())),
        callback=callback_from_dict(data.get("callback")),
        relayed=str(data.get("relayed", "")),
    )
    match = data.get("match")
    return result, Heard(match["intent"], match["score"]) if match else None
