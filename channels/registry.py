"""The channel protocol and the one list of channels (the shape of Rasa's channel list).

A channel is one package that declares, in a `Channel` object, everything the application shell needs
to know of it:

- `name` — what `conversations.channel` holds for its conversations (statistics group by it);
- `label` — what staff pages call it, per language;
- `capabilities` — its limits (text and button length, buttons at once), whether a citizen answers
  with buttons or keys, and whether we may push to the citizen or only answer their request;
- `routes()` — its routers and static mounts; `middleware()` and `signed_paths()` when its webhooks
  need their own way in (the phone's lean path) or their bytes unchanged (a signature check);
- `start(runtime)` / `aclose()` — its lifespan, given what every channel shares (`Runtime`);
- `parts()` — what its own routes look up once it has started (`Channels.part`);
- `push(conversation_id, update)` — how a specialist's side of the conversation reaches the citizen
  (`specialist_queue.follow`); a request/response channel answers on its own terms and ignores it;
- `checks()` — its lines in /readyz;
- `connector()` — for a channel whose conversations a specialist joins in another way than by
  chat (a phone call is redirected to the operator's phone), the queue's `specialist_queue.follow.Connector`.

`Channels` is the list: the composition root (`channels.builtin`) names the built-in ones, the
`HOTLINE_CHANNELS` setting chooses which are on, and the app installs, starts and closes them
through it without naming any. Statistics, the admins' answer preview and the consoles read names,
labels and limits from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar, runtime_checkable

from fastapi import APIRouter, FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware import Middleware
from starlette.routing import Mount

from channels.dialogue import Dialogue
from hotline.office_hours import OfficeHours, OfficeSource
from hotline.rate_limits import RateLimits
from hotline.redis_conn import RedisHandle
from hotline.settings import Settings
from specialist_queue.follow import Connector, Follow, Listener, Update
from specialist_queue.runtime import Specialists

T = TypeVar("T")
NAME_LENGTH = 16  # conversations.channel


class Controls(StrEnum):
    """How a citizen chooses an option: tapping a button, or pressing a key on the phone's keypad."""

    BUTTONS = "buttons"
    KEYS = "keys"


class Delivery(StrEnum):
    """PUSH: we may write to the citizen whenever something happens (a messenger): the queue's updates are
    pushed to the channel. LIVE: the citizen's page holds a live connection that follows the conversation
    itself (the web chat). REPLY: we speak only in answer to the citizen's own request (a phone call's
    webhooks)."""

    PUSH = "push"
    LIVE = "live"
    REPLY = "reply"


@dataclass(frozen=True)
class Capabilities:
    controls: Controls
    delivery: Delivery
    text_limit: int | None = None  # the most characters of one message; None: spoken, no written limit
    button_limit: int | None = None  # the most characters of one button's label
    buttons: int | None = None  # the most buttons under one message; None: as many as the menu has


@dataclass(frozen=True)
class Runtime:
    """What the lifespan builds before the channels start, and every channel may use."""

    settings: Settings
    sessions: sessionmaker[Session]
    redis: RedisHandle
    dialogue: Dialogue
    office: OfficeSource
    office_hours: Callable[[], OfficeHours]
    specialists: Specialists
    limits: RateLimits | None = None


@runtime_checkable
class Channel(Protocol):
    """One way citizens reach the line. Full description: the module's docstring."""

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> Mapping[str, str]:
        """Its name for people, in "uk" and "ru" at least."""
        ...

    @property
    def capabilities(self) -> Capabilities: ...

    def routes(self) -> Sequence[APIRouter | Mount]: ...

    def middleware(self) -> Sequence[Middleware]: ...

    def signed_paths(self) -> Sequence[str]: ...

    async def start(self, runtime: Runtime) -> None: ...

    async def aclose(self) -> None: ...

    def parts(self) -> Iterable[object]: ...

    async def push(self, conversation_id: str, update: Update) -> None: ...

    def connector(self) -> Connector | None: ...

    def checks(self) -> Mapping[str, str]: ...


KEPT = "kept:"  # how a /readyz line starts that tells of a backlog waiting for the database


class BaseChannel:
    """What a channel does not do unless it says so: a channel may inherit these and declare the rest."""

    def middleware(self) -> Sequence[Middleware]:
        return ()

    def signed_paths(self) -> Sequence[str]:
        return ()

    async def start(self, runtime: Runtime) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def parts(self) -> Iterable[object]:
        return ()

    async def push(self, conversation_id: str, update: Update) -> None:
        return None

    def connector(self) -> Connector | None:
        return None

    def checks(self) -> Mapping[str, str]:
        """Lines for /readyz: a value starting with "error" makes the service not ready; one starting with KEPT
        tells of a backlog kept in Redis while the database is away (the service is degraded, not down)."""
        return {}


class UnknownChannel(ValueError):
    pass


class Channels:
    """The channels that are on, in the order they were listed."""

    def __init__(self, channels: Iterable[Channel], *, shared: Sequence[APIRouter] = ()) -> None:
        self.channels: tuple[Channel, ...] = tuple(channels)
        self.shared = tuple(shared)  # routes of what the channels share (the chat channels' block list)
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ValueError(f"two channels share a name: {names}")
        if any(len(n) > NAME_LENGTH for n in names):
            raise ValueError(f"a channel's name is at most {NAME_LENGTH} characters (conversations.channel): {names}")
        self._started: list[Channel] = []
        self._follow: Follow | None = None

    @classmethod
    def chosen(cls, available: Iterable[Channel], wanted: str, *, shared: Sequence[APIRouter] = ()) -> Channels:
        """Those of `available` that `wanted` (HOTLINE_CHANNELS: names, comma-separated) names; all when empty."""
        found = {c.name: c for c in available}
        names = [n.strip() for n in wanted.split(",") if n.strip()]
        unknown = [n for n in names if n not in found]
        if unknown:
            raise UnknownChannel(
                f"HOTLINE_CHANNELS names no such channel: {', '.join(unknown)} (known: {', '.join(found)})"
            )
        return cls((found[n] for n in names) if names else found.values(), shared=shared)

    # ---- what the staff pages read ------------------------------------------------------------

    def names(self) -> list[str]:
        return [c.name for c in self.channels]

    def label(self, name: str, lang: str) -> str:
        """The channel's name for people; a name no channel has any more (old statistics) as it is."""
        channel = self.find(name)
        if channel is None:
            return name
        return channel.label.get(lang) or channel.label.get("uk") or name

    def labels(self, lang: str) -> dict[str, str]:
        return {c.name: self.label(c.name, lang) for c in self.channels}

    def find(self, name: str) -> Channel | None:
        return next((c for c in self.channels if c.name == name), None)

    # ---- the application's shell --------------------------------------------------------------

    def install(self, app: FastAPI) -> None:
        """Every channel's routers and static mounts, and the routes they share."""
        for router in self.shared:
            app.include_router(router)
        for channel in self.channels:
            for route in channel.routes():
                if isinstance(route, Mount):
                    app.mount(route.path, route.app, name=route.name)
                else:
                    app.include_router(route)

    def middleware(self) -> list[Middleware]:
        return [m for c in self.channels for m in c.middleware()]

    def signed_paths(self) -> list[str]:
        """Paths whose request bodies must reach a signature check byte for byte."""
        return [p for c in self.channels for p in c.signed_paths()]

    def connectors(self) -> dict[str, Connector]:
        """Channel name → how a specialist is connected to its conversations, where not by chat."""
        return {c.name: found for c in self.channels if (found := c.connector()) is not None}

    def pushing(self) -> dict[str, Listener]:
        """The channels an update of the specialists' side is pushed to, by name."""
        return {c.name: c for c in self.channels if c.capabilities.delivery is Delivery.PUSH}

    async def start(self, runtime: Runtime) -> None:
        """Start each channel in order, then push the queue's updates to those that take them; if one fails,
        those started are closed again."""
        try:
            for channel in self.channels:
                await channel.start(runtime)
                self._started.append(channel)
        except BaseException:
            await self.aclose()
            raise
        self._follow = runtime.specialists.follow
        self._follow.start(self.pushing())

    async def aclose(self) -> None:
        if self._follow is not None:
            await self._follow.aclose()  # nothing is pushed to a channel that is closing
            self._follow = None
        while self._started:
            await self._started.pop().aclose()

    def checks(self) -> dict[str, str]:
        return {name: value for c in self._started for name, value in c.checks().items()}

    def part(self, kind: type[T]) -> T:
        """The started channels' part of type `kind` (e.g. the phone line its webhooks share)."""
        found = self.find_part(kind)
        if found is None:
            raise LookupError(f"no channel that is on provides a {kind.__name__}")
        return found

    def find_part(self, kind: type[T]) -> T | None:
        """The same, or None: for what may be missing (`specialist_queue.follow.Recordings` without Twilio)."""
        for channel in self._started:
            for found in channel.parts():
                if isinstance(found, kind):
                    return found
        return None
