"""Everything the robot learned in a conversation, for the specialist who takes it over.

The path through the tree is found by replaying the citizen's inputs through the (pure) engine, so
it is exact for keypad digits and speech as well as for buttons and typed text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from channels.dialogue import SCREENING_ANSWERS, Compiled
from hotline import conversation_log
from hotline.call_events import CALL_STEP, CallEvent
from hotline.conversation_log import ConversationEvent
from intents import engine
from intents.engine import T_BACK, T_LANG, T_MENU, T_OPERATOR, T_REPEAT, Expect, Input, InputKind
from intents.messages import LANGUAGE_LABELS, say
from intents.tree import Tree
from specialist_queue import chat
from specialist_queue.events import at, seconds

CITIZEN = "citizen_"
COMMANDS = (T_REPEAT, T_MENU, T_BACK, T_OPERATOR)  # buttons whose label is `label_<target>`


def build(session: Session, conversation_id: str, compiled: Compiled | None, lang: str) -> dict[str, Any] | None:
    """The conversation as the console shows it, or None when there is no such conversation."""
    conversation = conversation_log.get(session, conversation_id=conversation_id)
    if conversation is None:
        return None
    events = conversation_log.events(session, conversation_id=conversation_id)
    tree = compiled.tree if compiled else None
    return {
        "conversation_id": conversation.id,
        "channel": conversation.channel,
        "lang": conversation.lang,
        "started_at": iso(conversation.started_at),
        "queue": conversation.handoff_queue,
        "path": [_node(tree, slug, lang) for slug in path(events, compiled, conversation.lang)],
        "intents": matched_intents(events, tree, lang),
        "transcript": [_turn(e, tree, lang) for e in events if e.kind.startswith(CITIZEN) or e.kind == "bot"],
        "messages": [message_view(m) for m in chat.since(session, conversation_id=conversation_id)],
        "voice_message": voice_message(events),
        "screening": screening_answers(events),
    }


def screening_answers(events: list[ConversationEvent]) -> list[dict[str, str]]:
    """The answers the citizen gave in a questionnaire before asking for a person (the latest), or none."""
    given = [e for e in events if e.kind == SCREENING_ANSWERS]
    answers: list[dict[str, str]] = given[-1].data.get("answers", []) if given else []
    return answers


def voice_message(events: list[ConversationEvent]) -> dict[str, Any] | None:
    """A phone caller's voice message: where the console plays it (our own URL, which fetches it from Twilio
    only then; None once it is deleted), and the transcription once Twilio has posted it (later than the
    recording, if ever); None when the caller left none."""
    call = {e.kind: e for e in events if e.step == CALL_STEP}
    recording, transcribed = call.get(CallEvent.VOICEMAIL), call.get(CallEvent.VOICEMAIL_TRANSCRIPTION)
    if recording is None:
        return None
    kept = bool(recording.data.get("sid"))
    return {
        "url": f"/api/operator/conversations/{recording.conversation_id}/recording" if kept else None,
        "duration": recording.data.get("duration"),
        "transcription": (transcribed.text or None) if transcribed else None,
        "transcription_status": transcribed.data.get("status") if transcribed else None,
    }


def path(events: list[ConversationEvent], compiled: Compiled | None, lang: str | None) -> list[str]:
    """The menus and answers the citizen went through, each once, in the order first reached."""
    if compiled is None:
        return []
    inputs = [e for e in events if e.kind.startswith(CITIZEN)]
    asked_language = any(e.kind == "bot" and e.step == 1 and e.data.get("expect") == Expect.LANGUAGE for e in events)
    state = None
    visited: list[str] = []
    for event in inputs:
        kind = InputKind(event.kind.removeprefix(CITIZEN))
        start_lang = None if asked_language else lang
        step = Input(kind, value=event.text, confidence=event.data.get("confidence"), lang=start_lang)
        state = engine.handle(state, step, compiled.tree, compiled.matcher).state
        here = state.intent if state.expect is Expect.AFTER_ANSWER else state.menu
        if here and here not in visited:
            visited.append(here)
    return visited


def matched_intents(events: list[ConversationEvent], tree: Tree | None, lang: str) -> list[dict[str, Any]]:
    """The intents the citizen's words matched, best score first, each once."""
    best: dict[str, float] = {}
    for event in events:
        if event.kind.startswith(CITIZEN) and event.intent:
            best[event.intent] = max(best.get(event.intent, 0.0), event.score or 0.0)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return [{**_node(tree, slug, lang), "score": round(score, 1)} for slug, score in ranked]


def message_view(message: chat.ChatMessage) -> dict[str, Any]:
    return {"id": message.id, "at": iso(message.at), "sender": message.sender, "text": message.text}


def iso(when: datetime) -> str:
    """UTC, with its offset (SQLite gives back naive datetimes)."""
    return at(seconds(when)).isoformat()


def _turn(event: ConversationEvent, tree: Tree | None, lang: str) -> dict[str, Any]:
    who = "robot" if event.kind == "bot" else "citizen"
    kind = event.kind.removeprefix(CITIZEN)
    return {
        "at": iso(event.at),
        "who": who,
        "kind": kind,
        "text": button_label(event.text, tree, lang) if kind == InputKind.BUTTON and event.text else event.text,
        "intent": event.intent,
    }


def button_label(target: str, tree: Tree | None, lang: str) -> str:
    """What the button the citizen pressed said, instead of its id (`lang:uk`, `operator`, a slug)."""
    if target.startswith(T_LANG):
        return LANGUAGE_LABELS.get(target.removeprefix(T_LANG), target)
    if target in COMMANDS:
        return say(f"label_{target}", lang)
    return _node(tree, target, lang)["title"]


def _node(tree: Tree | None, slug: str, lang: str) -> dict[str, str]:
    node = tree.index.get(slug) if tree else None
    return {"slug": slug, "title": node.text(lang).title if node else slug}
