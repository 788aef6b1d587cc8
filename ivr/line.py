"""The phone line's parts, built once in the app's lifespan, and the check of Twilio's signature."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import redis
from fastapi import HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from hotline.deps import Parts
from hotline.pending_log import PendingLog
from hotline.pronunciation import PronunciationSource
from hotline.settings import Settings
from ivr.calls import Calls
from ivr.twiml import Urls
from ivr.waiting import CallbackDesk, QueueDoor, WaitSource

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024  # Twilio's webhook forms are a few kilobytes; a larger body is refused while it is read
FORM = "application/x-www-form-urlencoded"


@dataclass
class PhoneLine:
    """What every phone webhook shares: the validator, the call records and the queue's seams."""

    validator: RequestValidator | None
    account_sid: str
    urls: Urls
    calls: Calls
    waits: WaitSource
    callbacks: CallbackDesk
    door: QueueDoor
    hold_url: str
    pronunciation: PronunciationSource  # how every <Say> is spoken (the admins' table)


def phone_of(parts: Parts) -> PhoneLine:
    """The phone line the started phone channel shares (`channels.registry.Channels.part`)."""
    return parts.channels.part(PhoneLine)


def build(
    settings: Settings,
    sessions: sessionmaker[Session],
    client: redis.Redis,
    *,
    waits: WaitSource,
    callbacks: CallbackDesk,
    door: QueueDoor,
    pending: PendingLog | None = None,
) -> PhoneLine:
    """The phone line, with the specialist queue's seams plugged in (`ivr.queue_side`)."""
    token = settings.twilio_auth_token.get_secret_value()
    if not token:
        log.warning("HOTLINE_TWILIO_AUTH_TOKEN is not set: every Twilio webhook will be refused with 403")
    urls = Urls(settings.public_url)
    calls = Calls(client, sessions, settings.redis_prefix, settings.conversation_ttl_seconds, pending)
    return PhoneLine(
        validator=RequestValidator(token) if token else None,
        account_sid=settings.twilio_account_sid,
        urls=urls,
        calls=calls,
        waits=waits,
        callbacks=callbacks,
        door=door,
        hold_url=settings.ivr_hold_music_url or urls.hold(),
        pronunciation=PronunciationSource(sessions),
    )


@dataclass(frozen=True)
class TwilioCall:
    """One signed webhook request: its form fields (first value of each)."""

    params: Mapping[str, str]

    @property
    def sid(self) -> str:
        return self.params["CallSid"]

    def get(self, name: str) -> str:
        return self.params.get(name, "").strip()


async def verify(request: Request, line: PhoneLine) -> TwilioCall:
    """The request's form if Twilio signed it for our public URL; 403 otherwise (and nothing changes).

    Twilio posts urlencoded forms only: anything else (a multipart upload) is refused unread (415)."""
    if not request.headers.get("content-type", "").startswith(FORM):
        raise HTTPException(status_code=415, detail="Twilio's webhooks are urlencoded forms")
    form = await request.form()
    signature = request.headers.get("X-Twilio-Signature", "")
    return check(line, path=request.url.path, query=request.url.query, form=form, signature=signature)


def check(line: PhoneLine, *, path: str, query: str, form: FormData, signature: str) -> TwilioCall:
    """The call of a form Twilio signed for our public URL + `path`?`query`; 403 otherwise, 400 without a CallSid."""
    if line.validator is None:
        log.warning("refused a Twilio webhook: HOTLINE_TWILIO_AUTH_TOKEN is not set")
        raise HTTPException(status_code=403, detail="the phone line is not configured (no Twilio auth token)")
    # Behind a proxy the Host we see is not the one Twilio called: rebuild the URL it signed.
    url = line.urls.base.rstrip("/") + path + (f"?{query}" if query else "")
    if not signature or not line.validator.validate(url, form, signature):
        raise HTTPException(status_code=403, detail="invalid or missing X-Twilio-Signature")
    params: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            params.setdefault(name, value)
    if line.account_sid and params.get("AccountSid") != line.account_sid:
        raise HTTPException(status_code=403, detail="the request is for another Twilio account")
    if not params.get("CallSid"):
        raise HTTPException(status_code=400, detail="CallSid is missing")
    return TwilioCall(params)
