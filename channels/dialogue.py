"""The common channel interface: start a conversation, feed it inputs, get replies.

Every channel adapter (web chat, Twilio, Viber) calls this and only renders what comes back. Here
the pure engine meets its edges: the state in Redis, the conversation log in SQL, the published tree.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from channels.state_store import StateStore, Stored
from hotline import conversation_log
from hotline.db import transaction
from intents import engine, versions
from intents.codec import handoff_to_dict, reply_to_dict, state_from_dict, state_to_dict
from intents.engine import Expect, Input, InputKind, State
from intents.matcher import Matcher
from intents.tree import Tree

MAX_ADVANCE_ATTEMPTS = 8


class UnknownConversation(LookupError):
    pass


class NoPublishedTree(RuntimeError):
    pass


@dataclass(frozen=True)
class Compiled:
    tree: Tree
    matcher: Matcher


class TreeCache:
    """Published trees with their matchers, built once per version per process."""

    def __init__(self, sessions: sessionmaker[Session], size: int = 4) -> None:
        self.sessions = sessions
        self.size = size
        self._compiled: OrderedDict[int, Compiled] = OrderedDict()
        self._lock = threading.Lock()

    def current_version(self) -> int:
        """The newest published version; read from SQL so every process sees a publish at once."""
        with self.sessions() as session:
            version = versions.current_version_id(session)
        if version is None:
            raise NoPublishedTree("no tree is published yet: run 'hotline tree import FILE.yaml'")
        return version

    def get(self, version_id: int) -> Compiled:
        with self._lock:
            if version_id in self._compiled:
                self._compiled.move_to_end(version_id)
                return self._compiled[version_id]
        with self.sessions() as session:
            tree = versions.load(session, version_id=version_id)
        if tree is None:
            return self.get(self.current_version())
        compiled = Compiled(tree=tree, matcher=Matcher.build(tree))
        with self._lock:
            self._compiled[version_id] = compiled
            while len(self._compiled) > self.size:
                self._compiled.popitem(last=False)
        return compiled


@dataclass(frozen=True)
class TurnResult:
    conversation_id: str
    step: int
    replies: list[dict[str, Any]]
    lang: str | None
    handoff_requested: dict[str, Any] | None = None


@dataclass(frozen=True)
class HandoffRequest:
    """A conversation the robot has just handed to a person."""

    conversation_id: str
    lang: str | None
    queue: str
    priority: str
    reason: str


HandoffListener = Callable[[HandoffRequest], None]


class Dialogue:
    def __init__(self, store: StateStore, sessions: sessionmaker[Session], trees: TreeCache) -> None:
        self.store = store
        self.sessions = sessions
        self.trees = trees
        self.handoff_listeners: list[HandoffListener] = []

    def start(self, *, channel: str, lang: str | None, external_id: str | None = None) -> TurnResult:
        """Open a new conversation and return the robot's first words."""
        conversation_id = uuid.uuid4().hex
        version = self.trees.current_version()
        with transaction(self.sessions) as session:
            conversation_log.create(
                session, conversation_id=conversation_id, channel=channel, lang=lang, external_id=external_id
            )
        state = State(tree_version=version)
        result = self._advance(conversation_id, Input(InputKind.START, lang=lang), state, Stored("", None), None)
        if result is None:
            raise RuntimeError(f"conversation {conversation_id} was started twice")
        return result

    def handle(self, conversation_id: str, event: Input, *, turn: str | None = None) -> TurnResult:
        """Feed one input; a repeated `turn` key returns the first answer and changes nothing."""
        if turn and (done := self.store.answered(conversation_id, turn)):
            self._log(conversation_id, event, done)
            return _result(conversation_id, done)
        for _ in range(MAX_ADVANCE_ATTEMPTS):
            seen = self.store.read(conversation_id)
            state = self._state(conversation_id, seen)
            result = self._advance(conversation_id, event, state, seen, turn)
            if result is not None:
                return result
            if turn and (done := self.store.answered(conversation_id, turn)):
                return _result(conversation_id, done)
        raise RuntimeError(f"conversation {conversation_id} is being changed by too many requests at once")

    def _state(self, conversation_id: str, seen: Stored) -> State:
        if seen.data is not None:
            return state_from_dict(seen.data["engine"])
        with self.sessions() as session:
            conversation = conversation_log.get(session, conversation_id=conversation_id)
        if conversation is None:
            raise UnknownConversation(conversation_id)
        # The state expired or Redis lost it: carry on from the top menu in the known language.
        version = self.trees.current_version()
        if conversation.lang:
            return State(lang=conversation.lang, expect=Expect.MENU, tree_version=version)
        return State(tree_version=version)

    def _advance(
        self, conversation_id: str, event: Input, state: State, seen: Stored, turn: str | None
    ) -> TurnResult | None:
        """One engine turn written with compare-and-set; None when another request got there first."""
        compiled = self.trees.get(state.tree_version)
        outcome = engine.handle(state, event, compiled.tree, compiled.matcher)
        step = (seen.data or {}).get("step", 0) + 1
        understood = outcome.understood
        result = {
            "step": step,
            "lang": outcome.state.lang,
            "replies": [reply_to_dict(r) for r in outcome.replies],
            "match": None if understood is None else {"intent": understood.intent, "score": understood.score},
            "handoff_requested": handoff_to_dict(outcome.state.handoff) if state.handoff is None else None,
        }
        stored = {"step": step, "engine": state_to_dict(outcome.state)}
        if not self.store.advance(conversation_id, seen=seen, state=stored, result=result, turn=turn):
            return None
        self._log(conversation_id, event, result)
        if handoff := result["handoff_requested"]:
            request = HandoffRequest(conversation_id=conversation_id, lang=outcome.state.lang, **handoff)
            for listener in self.handoff_listeners:
                listener(request)
        return _result(conversation_id, result)

    def _log(self, conversation_id: str, event: Input, result: dict[str, Any]) -> None:
        """Write the turn to SQL once, however often it is retried."""
        step = int(result["step"])
        match = result.get("match") or {}
        try:
            with transaction(self.sessions) as session:
                if conversation_log.has_step(session, conversation_id=conversation_id, step=step):
                    return
                rows = [_input_event(conversation_id, step, event, match)]
                for seq, reply in enumerate(result["replies"], start=1):
                    rows.append(
                        conversation_log.ConversationEvent(
                            conversation_id=conversation_id,
                            step=step,
                            seq=seq,
                            kind="bot",
                            text=reply["text_long"],
                            intent=reply["intent"],
                            data={"expect": reply["expect"], "handoff": reply["handoff"]},
                        )
                    )
                handoff = result.get("handoff_requested")
                if handoff:
                    rows.append(
                        conversation_log.ConversationEvent(
                            conversation_id=conversation_id,
                            step=step,
                            seq=len(rows),
                            kind="handoff_requested",
                            text=handoff["reason"],
                            data=handoff,
                        )
                    )
                session.add_all(rows)
                conversation = conversation_log.get(session, conversation_id=conversation_id)
                if conversation is not None:
                    conversation.lang = result.get("lang") or conversation.lang
                    if handoff:
                        conversation.handoff_queue = handoff["queue"]
        except IntegrityError:
            pass  # a concurrent retry of the same turn wrote it first


def _input_event(
    conversation_id: str, step: int, event: Input, match: dict[str, Any]
) -> conversation_log.ConversationEvent:
    return conversation_log.ConversationEvent(
        conversation_id=conversation_id,
        step=step,
        seq=0,
        kind=f"citizen_{event.kind.value}",
        text=event.value,
        intent=match.get("intent"),
        score=match.get("score"),
        data={"confidence": event.confidence} if event.confidence is not None else {},
    )


def _result(conversation_id: str, result: dict[str, Any]) -> TurnResult:
    return TurnResult(
        conversation_id=conversation_id,
        step=int(result["step"]),
        replies=result["replies"],
        lang=result.get("lang"),
        handoff_requested=result.get("handoff_requested"),
    )
