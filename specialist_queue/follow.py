"""Following a conversation on the specialists' side, as every channel does: what the citizen is told.

An `Update` is one thing the citizen should learn: their place and wait (`Waiting`), a callback
booked (`CallbackBooked`), a specialist joining (`Joined`), the specialist's message
(`OperatorMessage`), the specialist closing the conversation (`Closed`). Each carries an `id` that
is the same in every worker and on every retry, so a channel that delivers once by id (the shared
chat outbox) sends each update one time however many workers heard of it.

A channel whose conversations a specialist joins in another way than chat (a phone call redirected
to the operator's phone) gives the queue a `Connector`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Waiting:
    """In the queue: the place (1 = next) and the estimated seconds, when known."""

    position: int | None
    wait_seconds: int | None
    urgent: bool = False  # an emergency: nobody is invited to leave and be called back

    @property
    def id(self) -> str:
        return f"waiting:{self.position}:{self.wait_seconds}"


@dataclass(frozen=True)
class CallbackBooked:
    due: float  # when the call back is due (epoch seconds)

    @property
    def id(self) -> str:
        return f"callback:{int(self.due)}"


@dataclass(frozen=True)
class Joined:
    operator: str  # the name the specialist shows to citizens ("" when they have none)
    operator_id: int

    @property
    def id(self) -> str:
        return f"joined:{self.operator_id}"


@dataclass(frozen=True)
class OperatorMessage:
    message_id: int
    text: str

    @property
    def id(self) -> str:
        return f"message:{self.message_id}"


@dataclass(frozen=True)
class Closed:
    """The specialist closed the conversation: the citizen is back with the robot."""

    seq: int  # which time in this conversation (a conversation may go to a person more than once)

    @property
    def id(self) -> str:
        return f"closed:{self.seq}"


Update = Waiting | CallbackBooked | Joined | OperatorMessage | Closed


class Gone(Exception):
    """The citizen left before the specialist could be connected (the caller hung up)."""


class CannotConnect(RuntimeError):
    """The channel could not connect the specialist now (its service is down or not configured)."""


class Connector(Protocol):
    """A channel's way of connecting an accepted conversation to the specialist who accepted it."""

    async def connect(self, *, external_id: str, operator_phone: str | None, operator_identity: str) -> None:
        """Connect the citizen known to the channel as `external_id` to the operator's phone (or, without
        one, their softphone `operator_identity`). Raise `Gone` when the citizen has left, `CannotConnect`
        when it cannot be done now; the queue gives the conversation its place back on any failure."""
        ...
