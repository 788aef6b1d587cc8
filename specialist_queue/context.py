"""Everything the robot learned in a conversation, for the specialist who takes it over.

The path through the tree is found by replaying the citizen's inputs through the (pure) engine, so
it is exact for keypad digits and speech as well as for buttons and typed text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.dialogue import SCREENING_ANSWERS, Compiled
from hotline import conversation_log
from hotline.call_events import CALL_STEP, CallEvent
from hotline.conversation_log import ConversationEvent
from hotline.queue_log import QueueEvent, QueueEventKind
from intents import crisis as danger
from intents import engine
from intents.engine import T_BACK, T_LANG, T_MENU, T_OPERATOR, T_REPEAT, Expect, Input, InputKind, Reply, Turn
from intents.messages import LANGUAGE_LABELS, say
from intents.tree import LANGUAGES, Tree
from specialist_queue import chat, transfer
from specialist_queue.events import at, seconds

CITIZEN = "citizen_"
COMMANDS = (T_REPEAT, T_MENU, T_BACK, T_OPERATOR)  # buttons whose label is `label_<target>`
# Keys the phone always knows, whatever the menu read out (DESIGN: 0 a person, * repeat, # back).
PHONE_KEYS = {"0": T_OPERATOR, "*": T_REPEAT, "#": T_BACK}
SPOKEN = (f"{CITIZEN}{InputKind.DIGIT.value}", f"{CITIZEN}{InputKind.SPEECH.value}")


def build(session: Session, conversation_id: str, compiled: Compiled | None, lang: str) -> dict[str, Any] | None:
    """The conversation as the console shows it, or None when there is no such conversation."""
    conversation = conversation_log.get(session, conversation_id=conversation_id)
    if conversation is None:
        return None
    events = conversation_log.events(session, conversation_id=conversation_id)
    tree = compiled.tree if compiled else None
    if compiled is not None and any(e.kind in SPOKEN for e in events):
        transcript = spoken_transcript(events, compiled, conversation.lang)
    else:
        transcript = [_turn(e, tree, lang) for e in events if e.kind.startswith(CITIZEN) or e.kind == "bot"]
    return {
        "conversation_id": conversation.id,
        "channel": conversation.channel,
        "lang": conversation.lang,
        "started_at": iso(conversation.started_at),
        "queue": conversation.handoff_queue,
        "path": [_node(tree, slug, lang) for slug in path(events, compiled, conversation.lang)],
        "intents": matched_intents(events, tree, lang),
        "transcript": transcript,
        "messages": [message_view(m) for m in chat.since(session, conversation_id=conversation_id)],
        "voice_message": voice_message(events),
        "screening": screening_answers(events),
        "callback": callback_request(session, conversation_id),
        "transfers": transfer.history(session, conversation_id, transfer.names(session)),
    }


def callback_request(session: Session, conversation_id: str) -> dict[str, Any] | None:
    """The citizen's latest request to be called back (when, which number), or None when they made none."""
    asked = session.scalar(
        select(QueueEvent)
        .where(
            QueueEvent.conversation_id == conversation_id,
            QueueEvent.event == QueueEventKind.CALLBACK_REQUESTED.value,
        )
        .order_by(QueueEvent.id.desc())
        .limit(1)
    )
    if asked is None:
        return None
    return {"requested_at": iso(asked.at), "phone": (asked.data or {}).get("phone", "")}


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


def replay(
    events: list[ConversationEvent], compiled: Compiled, lang: str | None
) -> Iterator[tuple[ConversationEvent, Turn | None, Turn]]:
    """Each of the citizen's inputs again through the (pure) engine: the input, the turn before it (what the
    citizen had heard or read) and the turn it made."""
    asked_language = any(e.kind == "bot" and e.step == 1 and e.data.get("expect") == Expect.LANGUAGE for e in events)
    before: Turn | None = None
    for event in (e for e in events if e.kind.startswith(CITIZEN)):
        kind = InputKind(event.kind.removeprefix(CITIZEN))
        start_lang = None if asked_language else lang
        step = Input(kind, value=event.text, confidence=event.data.get("confidence"), lang=start_lang)
        turn = engine.handle(before.state if before else None, step, compiled.tree, compiled.matcher)
        yield event, before, turn
        before = turn


def path(events: list[ConversationEvent], compiled: Compiled | None, lang: str | None) -> list[str]:
    """The menus and answers the citizen went through, each once, in the order first reached."""
    if compiled is None:
        return []
    visited: list[str] = []
    for _, _, turn in replay(events, compiled, lang):
        state = turn.state
        here = state.intent if state.expect is Expect.AFTER_ANSWER else state.menu
        if here and here not in visited:
            visited.append(here)
    return visited


def spoken_transcript(events: list[ConversationEvent], compiled: Compiled, lang: str | None) -> list[dict[str, Any]]:
    """A phone call as the caller lived it: each key pressed with the option it chose in the menu they had
    heard, each phrase as speech recognition heard it with its confidence, and what the robot said back in
    its short (spoken) form with the keys it offered; in the caller's language."""
    turns: list[dict[str, Any]] = []
    for event, before, turn in replay(events, compiled, lang):
        kind = event.kind.removeprefix(CITIZEN)
        said: dict[str, Any] = {"at": iso(event.at), "who": "citizen", "kind": kind, "text": event.text}
        if kind == InputKind.DIGIT:
            said["option"] = _pressed(event.text, before, turn.state.lang or lang or "uk")
        elif kind == InputKind.SPEECH:
            said["confidence"] = event.data.get("confidence")
        if kind not in (InputKind.START, InputKind.NO_INPUT):
            turns.append(said)
        turns += [{"at": iso(event.at), "who": "robot", "kind": "said", **_spoken(r)} for r in turn.replies]
    return turns


def _pressed(key: str, before: Turn | None, lang: str) -> str | None:
    """What pressing `key` chose: the option of that key in the menu the caller had heard, or a key the phone
    always knows (0, *, #); None for a number typed in (an answer, not a choice)."""
    offered = {o.key: o.label for r in (before.replies if before else ()) for o in r.options if o.key}
    if key in offered:
        return offered[key]
    return say(f"label_{PHONE_KEYS[key]}", lang) if key in PHONE_KEYS else None


def _spoken(reply: Reply) -> dict[str, Any]:
    """The robot's reply in its short form, and the keys it offered when it asked something."""
    asks = reply.handoff is None and not reply.end
    text = reply.prompt if asks and reply.prompt else reply.text
    keys = [{"key": o.key, "label": o.label} for o in reply.options if o.key] if asks and not reply.prompt else []
    return {"text": " ".join(p for p in (reply.greeting, reply.sorry, text, reply.promise) if p), "keys": keys}


def matched_intents(events: list[ConversationEvent], tree: Tree | None, lang: str) -> list[dict[str, Any]]:
    """The intents the citizen's words matched, best score first, each once."""
    best: dict[str, float] = {}
    for event in events:
        if event.kind.startswith(CITIZEN) and event.intent:
            best[event.intent] = max(best.get(event.intent, 0.0), event.score or 0.0)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return [{**_node(tree, slug, lang), "score": round(score, 1)} for slug, score in ranked]


def message_view(message: chat.ChatMessage) -> dict[str, Any]:
    """A chat message as the console shows it; `crisis`: the citizen wrote of danger to a person, which the
    console flags in words (the queue escalates a crisis written while waiting; in a held chat only the
    specialist reads it, so they must not miss it)."""
    view = {"id": message.id, "at": iso(message.at), "sender": message.sender, "text": message.text}
    return {**view, "crisis": message.sender == chat.Sender.CITIZEN and crisis_in(message.text)}


def crisis_in(text: str) -> bool:
    """Danger spoken of in either language (a citizen may write in one while the conversation is in the other)."""
    return any(danger.spoken_of(text, lang) for lang in LANGUAGES)


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
