"""Handing a conversation to an online colleague or to another queue, with a note for whoever takes it.

Redis changes first, in one script (`QueueStore.transfer`): the colleague's capacity, skill and language are
checked and their offer made in the same step, so two specialists cannot fill one colleague's last slot. Then
the queue log records it (the conversation's history: who, to whom or which queue, the note), and the citizen
is told in the conversation's language on its own channel (a specialist's message, which every channel
delivers). The colleague is offered it as any offer (it rings); the one who handed it over wraps up.

A call in progress moves to the colleague's phone when they accept (a REST update of the live call, as any
accepted call): on a server without the channel's REST settings it cannot, and the transfer is refused
before anything changes, naming the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.db import UNREACHABLE
from hotline.queue_log import QueueEvent, QueueEventKind
from hotline.users import SPECIALISTS, User
from specialist_queue import chat, events
from specialist_queue.follow import CannotConnect
from specialist_queue.model import Conflict, Entry, Kind, queue_name
from specialist_queue.service import SpecialistQueue

# What the citizen reads when their conversation changes hands (the phone caller hears it from the specialist).
TOLD = {
    "colleague": {
        "uk": "Вашу розмову передано іншому фахівцю. Зачекайте, будь ласка: вам відповідять тут же.",
        "ru": "Ваш разговор передан другому специалисту. Подождите, пожалуйста: вам ответят здесь же.",
    },
    "queue": {
        "uk": "Вашу розмову передано фахівцям, які займаються саме цим питанням. Зачекайте, будь ласка, у черзі.",
        "ru": "Ваш разговор передан специалистам, которые занимаются именно этим вопросом. Подождите, "
        "пожалуйста, в очереди.",
    },
}


class CannotTransferCall(CannotConnect):
    """This server cannot move a call in progress to another specialist's phone (its settings are missing)."""


@dataclass(frozen=True)
class Transfer:
    """Where a held conversation goes: a colleague (in the conversation's queue or `skill`'s) or a queue."""

    note: str = ""
    skill: str | None = None  # another queue of the same language; None keeps the conversation's
    colleague: int | None = None


def transfer(
    queue: SpecialistQueue,
    operator_id: int,
    conversation_id: str,
    to: Transfer,
    *,
    wrap_up_seconds: float,
    now: float,
) -> Entry:
    """Hand the conversation over (`Conflict` when it cannot be, nothing changed then); the entry as it is now."""
    store = queue.store
    held = store.entry(conversation_id)
    if held is None or store.held_by(conversation_id) != operator_id:
        raise Conflict("you are not holding this conversation")
    if held.kind is Kind.CALL and (missing := _missing(queue, held.channel)):
        raise CannotTransferCall(f"this server cannot move a call to another phone: set {', '.join(missing)}")
    if to.colleague is not None:
        _check_colleague(queue, to.colleague)
    target = queue_name(to.skill or held.skill, held.lang)
    entry, handled = store.transfer(
        operator_id,
        conversation_id,
        queue=target,
        colleague=to.colleague,
        now=now,
        wrap_until=now + wrap_up_seconds,
        deadline=now + queue.timing.offer_timeout,
    )
    data: dict[str, Any] = {"from_queue": held.queue, "to_operator": to.colleague, "note": to.note, "handled": handled}
    made = [events.event(QueueEventKind.TRANSFERRED, now=now, entry=entry, operator_id=operator_id, data=data)]
    if to.colleague is not None:
        made.append(events.event(QueueEventKind.OFFERED, now=now, entry=entry, operator_id=to.colleague))
    queue.record(*made)
    if held.kind is Kind.CHAT:
        told = TOLD["queue" if to.colleague is None else "colleague"]
        text = told.get(held.lang, told["uk"])
        queue.messages.add(
            conversation_id=conversation_id,
            sender=chat.Sender.OPERATOR,
            text=text,
            operator_id=operator_id,
        )
    store.notify({"kind": "queue"}, operators=[operator_id, *([to.colleague] if to.colleague is not None else [])])
    store.notify_chat(conversation_id)
    if to.colleague is None:
        queue.dispatch(now=now)
    return entry


def history(session: Session, conversation_id: str, name_of: Callable[[int], str]) -> list[dict[str, Any]]:
    """The conversation's transfers, oldest first: when, by whom, from which queue to which, to whom, the note."""
    found = session.scalars(
        select(QueueEvent)
        .where(QueueEvent.conversation_id == conversation_id, QueueEvent.event == QueueEventKind.TRANSFERRED.value)
        .order_by(QueueEvent.id)
    )
    return [
        {
            "at": events.at(events.seconds(e.at)).isoformat(),
            "by": name_of(e.operator_id) if e.operator_id else "",
            "from_queue": (e.data or {}).get("from_queue"),
            "to_queue": e.queue,
            "to": name_of(int(to)) if (to := (e.data or {}).get("to_operator")) else None,
            "note": (e.data or {}).get("note", ""),
        }
        for e in found
    ]


def names(session: Session) -> Callable[[int], str]:
    """A user's name as the console shows it (display name, else user name), read when first asked for."""
    cache: dict[int, str] = {}

    def name(user_id: int) -> str:
        if user_id not in cache:
            user = session.get(User, user_id)
            cache[user_id] = (user.display_name or user.username) if user else ""
        return cache[user_id]

    return name


def _check_colleague(queue: SpecialistQueue, colleague: int) -> None:
    try:
        with queue.sessions() as session:
            user = session.get(User, colleague)
    except UNREACHABLE:
        if queue.store.operator(colleague).identity:  # only a specialist's state is kept in the live queue
            return
        raise
    if user is None or user.role not in SPECIALISTS:
        raise Conflict("there is no such colleague")


def _missing(queue: SpecialistQueue, channel: str) -> tuple[str, ...]:
    connector = queue.connectors.get(channel)
    return ("a channel that connects calls",) if connector is None else connector.missing()
