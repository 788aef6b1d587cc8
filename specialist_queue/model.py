"""What the live queues hold, as typed values: conversations' entries, offers, operators."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_CHATS = 3  # an operator's capacity unless the admin set another (keys.py's scripts share it)
DEFAULT_CALLS = 1
QUEUE_NAME = re.compile(r"^[a-z0-9_-]{1,48}:[a-z]{2,8}$")


class Kind(StrEnum):
    CHAT = "chat"
    CALL = "call"
    CALLBACK = "callback"


class EntryState(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"
    SCHEDULED = "scheduled"
    CLOSED = "closed"


class OperatorState(StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"
    OFFLINE = "offline"


# Lower is served first; FIFO (by seq) inside a class.
PRIORITY_CLASS = {"emergency": 0, "callback": 1, "normal": 2}
CRISIS_SKILL = "crisis"  # the engine's queue for a crisis: a waiting conversation moved there is escalated


class Conflict(Exception):
    """The change does not fit the conversation's or the operator's current state."""


def queue_name(skill: str, lang: str) -> str:
    name = f"{skill}:{lang}"
    if not QUEUE_NAME.match(name):
        raise ValueError(f"not a queue name: {name!r}")
    return name


def opt_float(value: str | None) -> float | None:
    return float(value) if value else None


@dataclass(frozen=True)
class Entry:
    """A conversation in the live queues, as Redis holds it."""

    conversation_id: str
    queue: str
    lang: str
    channel: str
    kind: Kind
    priority: str
    klass: int
    seq: int
    state: EntryState
    enqueued: float
    operator: int | None = None
    deadline: float | None = None
    connected: float | None = None
    phone: str = ""
    attempts: int = 0
    due: float | None = None
    reached: float | None = None  # a callback: when the specialist said they reached the citizen
    external_id: str = ""  # the channel's id of the conversation (a call's sid): accepting a call needs no SQL

    @classmethod
    def parse(cls, flat: list[str]) -> Entry:
        """From a script's reply: the conversation id, then the hash's field/value pairs."""
        fields = dict(zip(flat[1::2], flat[2::2], strict=True))
        return cls(
            conversation_id=flat[0],
            queue=fields["queue"],
            lang=fields.get("lang", ""),
            channel=fields.get("channel", ""),
            kind=Kind(fields.get("kind") or Kind.CHAT),
            priority=fields.get("priority", "normal"),
            klass=int(fields["class"]),
            seq=int(fields["seq"]),
            state=EntryState(fields["state"]),
            enqueued=float(fields["enqueued"]),
            operator=int(fields["operator"]) if fields.get("operator") else None,
            deadline=opt_float(fields.get("deadline")),
            connected=opt_float(fields.get("connected")),
            phone=fields.get("phone", ""),
            attempts=int(fields.get("attempts") or 0),
            due=opt_float(fields.get("due")),
            reached=opt_float(fields.get("reached")),
            external_id=fields.get("external", ""),
        )

    @property
    def skill(self) -> str:
        return self.queue.rsplit(":", 1)[0]

    def fields(self) -> dict[str, str]:
        """The hash as `restore` writes it back."""
        optional = {"operator": self.operator, "connected": self.connected, "due": self.due, "reached": self.reached}
        return {
            "queue": self.queue,
            "lang": self.lang,
            "channel": self.channel,
            "kind": self.kind.value,
            "priority": self.priority,
            "class": str(self.klass),
            "seq": str(self.seq),
            "state": self.state.value,
            "enqueued": repr(self.enqueued),
            "phone": self.phone,
            "attempts": str(self.attempts),
            "external": self.external_id,
            **{k: str(v) for k, v in optional.items() if v is not None},
        }


@dataclass(frozen=True)
class Escalated:
    """A waiting conversation moved to a more urgent queue or priority: where it was, and the entry now."""

    entry: Entry
    state: EntryState  # before: waiting, or offered (then the offer was withdrawn)
    from_queue: str
    from_priority: str
    withdrawn_from: int | None  # the operator whose offer of it was withdrawn


@dataclass(frozen=True)
class Offer:
    operator_id: int
    entry: Entry
    number: int  # offers are numbered in the order Redis made them
    horizon: int  # the newest seq that existed when it was made


@dataclass(frozen=True)
class Capacity:
    """How many conversations an operator takes at once (the admin sets it per operator)."""

    chats: int = DEFAULT_CHATS
    calls: int = DEFAULT_CALLS  # 0 or 1: a call in progress takes no other call


@dataclass(frozen=True)
class Operator:
    id: int
    state: OperatorState
    since: float | None
    reason: str
    offer: str
    conversations: tuple[str, ...]  # held now
    wrap_ups: tuple[str, ...]  # closed, waiting for the wrap-up form
    skills: tuple[str, ...]
    langs: tuple[str, ...]
    name: str
    capacity: Capacity = Capacity()
    phone: str = ""  # where an accepted call rings (none: their softphone, `identity`)
    identity: str = ""  # their user name; with `phone`, what accepting a call needs while the database is away
    left: Capacity = Capacity()  # free slots now: capacity minus held and wrapping up within the wrap-up time

    def has_room(self, kind: Kind) -> bool:
        return (self.left.chats if kind is Kind.CHAT else self.left.calls) > 0

    def serves(self, queue: str) -> bool:
        skill, lang = queue.rsplit(":", 1)
        return (not self.langs or lang in self.langs) and (not self.skills or skill in self.skills)


def operator_from(operator_id: int, fields: dict[str, str], held: dict[str, str], wrapping: dict[str, str]) -> Operator:
    """From the operator's hash and the hashes of what they hold and wrap up (conversation → slot)."""

    def split(value: str | None) -> tuple[str, ...]:
        return tuple(v for v in (value or "").split(",") if v)

    capacity = Capacity(
        chats=int(fields.get("chats") or DEFAULT_CHATS), calls=int(fields.get("calls") or DEFAULT_CALLS)
    )
    taken = [*held.values(), *wrapping.values()]  # a wrap-up past its time is `late`: its slot is free
    return Operator(
        id=operator_id,
        state=OperatorState(fields.get("state") or OperatorState.OFFLINE),
        since=opt_float(fields.get("since")),
        reason=fields.get("reason", ""),
        offer=fields.get("offer", ""),
        conversations=tuple(sorted(held)),
        wrap_ups=tuple(sorted(wrapping)),
        skills=split(fields.get("skills")),
        langs=split(fields.get("langs")),
        name=fields.get("name", ""),
        capacity=capacity,
        phone=fields.get("phone", ""),
        identity=fields.get("identity", ""),
        left=Capacity(chats=capacity.chats - taken.count("chat"), calls=capacity.calls - taken.count("call")),
    )


def offer_from(operator_id: int, reply: list[str]) -> Offer:
    conversation, number, horizon, *fields = reply
    return Offer(
        operator_id=operator_id,
        entry=Entry.parse([conversation, *fields]),
        number=int(number),
        horizon=int(horizon),
    )
