"""Engine state and replies to and from plain JSON-able dicts (for Redis and the SQL log)."""

from __future__ import annotations

from typing import Any

from intents.engine import Expect, Handoff, Option, Reply, State
from intents.screening.flow import Progress
from intents.tree import Priority


def handoff_to_dict(handoff: Handoff | None) -> dict[str, Any] | None:
    if handoff is None:
        return None
    return {"queue": handoff.queue, "priority": handoff.priority.value, "reason": handoff.reason}


def handoff_from_dict(data: dict[str, Any] | None) -> Handoff | None:
    if not data:
        return None
    return Handoff(queue=data["queue"], priority=Priority(data["priority"]), reason=data["reason"])


def state_to_dict(state: State) -> dict[str, Any]:
    return {
        "lang": state.lang,
        "expect": state.expect.value,
        "menu": state.menu,
        "intent": state.intent,
        "candidates": list(state.candidates),
        "failures": state.failures,
        "handoff": handoff_to_dict(state.handoff),
        "tree_version": state.tree_version,
        "screening": progress_to_dict(state.screening),
    }


def progress_to_dict(progress: Progress | None) -> dict[str, Any] | None:
    if progress is None:
        return None
    return {
        "intent": progress.intent,
        "asked": list(progress.asked),
        "answers": [[question, answer] for question, answer in progress.answers],
        "retried": progress.retried,
        "done": progress.done,
        "counted": progress.counted,
    }


def progress_from_dict(data: dict[str, Any] | None) -> Progress | None:
    if not data:
        return None
    return Progress(
        intent=data["intent"],
        asked=tuple(data.get("asked", ())),
        answers=tuple((str(q), a) for q, a in data.get("answers", ())),
        retried=bool(data.get("retried", False)),
        done=bool(data.get("done", False)),
        counted=bool(data.get("counted", False)),
    )


def state_from_dict(data: dict[str, Any]) -> State:
    return State(
        lang=data.get("lang"),
        expect=Expect(data.get("expect", Expect.LANGUAGE.value)),
        menu=data.get("menu"),
        intent=data.get("intent"),
        candidates=tuple(data.get("candidates", ())),
        failures=int(data.get("failures", 0)),
        handoff=handoff_from_dict(data.get("handoff")),
        tree_version=int(data.get("tree_version", 0)),
        screening=progress_from_dict(data.get("screening")),
    )


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "text_long": reply.text_long,
        "options": [{"key": o.key, "label": o.label, "target": o.target} for o in reply.options],
        "intent": reply.intent,
        "handoff": handoff_to_dict(reply.handoff),
        "end": reply.end,
        "expect": reply.expect.value,
        "greeting": reply.greeting,
        "sorry": reply.sorry,
        "prompt": reply.prompt,
        "promise": reply.promise,
        "digits": reply.digits,
    }


def reply_from_dict(data: dict[str, Any]) -> Reply:
    return Reply(
        text=data["text"],
        text_long=data["text_long"],
        options=tuple(Option(**o) for o in data["options"]),
        intent=data["intent"],
        handoff=handoff_from_dict(data["handoff"]),
        end=data["end"],
        expect=Expect(data["expect"]),
        greeting=data.get("greeting", ""),
        sorry=data.get("sorry", ""),
        prompt=data.get("prompt", ""),
        promise=data.get("promise", ""),
        digits=int(data.get("digits", 1)),
    )
