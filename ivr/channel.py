"""The phone line as a registered channel: Twilio's webhooks (on their lean path), the media streams,
speech recognition, Twilio's REST API, and its side of the specialist queue (`ivr.queue_side`): a
caller's wait and callbacks, an accepted call connected to the specialist's phone, voice messages."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.middleware import Middleware
from starlette.routing import Mount

from channels.registry import BaseChannel, Capabilities, Controls, Delivery, Runtime
from ivr import calls
from ivr import line as phone_line
from ivr import routes as phone_routes
from ivr.queue_side import (
    TWILIO_SETTINGS,
    CallConnector,
    LiveQueueDoor,
    LiveWaitFigures,
    QueueCallbacks,
    TwilioRecordings,
)
from ivr.speech import line as speech_line
from ivr.speech import routes as speech_routes
from ivr.twilio_rest import TwilioRest
from ivr.waiting import TwilioWaitFigures
from ivr.webhooks import TwilioWebhooks
from specialist_queue.follow import Connector

log = logging.getLogger(__name__)
WEBHOOK_THREADS = 2  # per worker: measured against the event loop and the shared pool (docs/BENCHMARKS.md)
KEYS = 9  # options are read with the keys 1–9


class Phone(BaseChannel):
    name = calls.CHANNEL
    label = MappingProxyType({"uk": "Телефон", "ru": "Телефон"})
    capabilities = Capabilities(controls=Controls.KEYS, delivery=Delivery.REPLY, buttons=KEYS)

    def __init__(self) -> None:
        self.line: phone_line.PhoneLine | None = None
        self.speech: speech_line.SpeechLine | None = None
        self.twilio: TwilioRest | None = None  # the REST API, when an account is configured

    def routes(self) -> Sequence[APIRouter | Mount]:
        return (phone_routes.router, speech_routes.router)

    def middleware(self) -> Sequence[Middleware]:
        # Twilio's webhooks skip the session and FastAPI (ivr/webhooks.py); still counted by the metrics around them.
        webhooks = [*phone_routes.router.routes, *speech_routes.router.routes]
        return (Middleware(TwilioWebhooks, routes=webhooks, threads=WEBHOOK_THREADS),)

    def signed_paths(self) -> Sequence[str]:
        found = [*phone_routes.router.routes, *speech_routes.router.routes]
        return [route.path for route in found if isinstance(route, APIRoute)]

    async def start(self, runtime: Runtime) -> None:
        settings, queue = runtime.settings, runtime.specialists.queue
        token = settings.twilio_auth_token.get_secret_value()
        if settings.twilio_account_sid and token:
            self.twilio = TwilioRest(
                account_sid=settings.twilio_account_sid, auth_token=token, base_url=settings.twilio_api_url
            )
        else:  # said once here; the operator console says it before a call is accepted
            log.warning(
                "calls waiting for a specialist cannot be connected to operators' phones on this server: Twilio's "
                "REST API is not configured (set %s); chats are not affected",
                " and ".join(TWILIO_SETTINGS),
            )
        self.speech = speech_line.start(settings, runtime.redis.client, self.twilio)  # Vosk models load here
        self.line = phone_line.build(
            runtime.settings,
            runtime.sessions,
            runtime.redis.client,
            waits=LiveWaitFigures(queue, TwilioWaitFigures()),
            callbacks=QueueCallbacks(queue),
            door=LiveQueueDoor(queue),
            pending=runtime.dialogue.pending,
        )

    async def aclose(self) -> None:
        if self.speech is not None:
            self.speech.close()
        if self.twilio is not None:
            await self.twilio.aclose()
        self.line, self.speech, self.twilio = None, None, None

    def parts(self) -> Iterable[object]:
        kept = TwilioRecordings(self.twilio) if self.twilio is not None else None
        return tuple(p for p in (self.line, self.speech, kept) if p is not None)

    def connector(self) -> Connector | None:
        return CallConnector(lambda: self.twilio)

    def checks(self) -> Mapping[str, str]:
        return {} if self.speech is None else {"speech": self.speech.readiness()}
