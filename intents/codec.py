"""Engine state and replies to and from plain JSON-able dicts (for Redis and the SQL log)."""

from __future__ import annotations

from typing import Any

from intents.engine import Callback, Expect, Handoff, Option, Reply, State, Unavailable
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
        "offered": handoff_to_dict(state.offered),
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
        offered=handoff_from_dict(data.get("offered")),
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
        "unavailable": unavailable_to_dict(reply.unavailable),
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
        unavailable=unavailable_from_dict(data.get("unavailable")),
    )


def unavailable_to_dict(unavailable: Unavailable | None) -> dict[str, Any] | None:
    if unavailable is None:
        return None
    return {
        "handoff": handoff_to_dict(unavailable.handoff),
        "words": unavailable.words,
        "callback": unavailable.callback,
        "wait": unavailable.wait,
        "queued": unavailable.queued,
    }


def unavailable_from_dict(data: dict[str, Any] | None) -> Unavailable | None:
    handoff = handoff_from_dict(data.get("handoff")) if data else None
    if not data or handoff is None:
        return None
    return Unavailable(
        handoff=handoff,
        words=str(data["words"]),
        callback=bool(data["callback"]),
        wait=bool(data["wait"]),
        queued=bool(data.get("queued", False)),
    )


def callback_to_dict(callback: Callback | None) -> dict[str, Any] | None:
    if callback is None:
        return None
    return {"handoff": handoff_to_dict(callback.handoff), "phone": callback.phone, "message": callback.message}


def callback_from_dict(data: dict[str, Any] | None) -> Callback | None:
    handoff = handoff_from_dict(data.get("handoff")) if data else None
    if not data or handoff is None:
        return None
    return Callback(handoff=handoff, phone=str(data["phone"]), message=str(data.get("message", "")))
