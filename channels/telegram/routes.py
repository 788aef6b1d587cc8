"""`POST /telegram/webhook`: Bot API updates, authenticated by the secret token Telegram sends with each.

The secret is checked before the body is read; an update is claimed by its `update_id` so a repeat is
answered 200 and changes nothing; the dialogue turn runs before the answer, the sending after it.
While the database is unreachable an update is kept in Redis and answered 200 (the citizen hears one polite
word), then handled in order once it is back (`TelegramLine.take`). When the turn cannot be done now for another
reason (the conversation busy) the claim is given back and the app answers 409: Telegram delivers it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask
from starlette.requests import Request

from channels.telegram import wire
from channels.telegram.line import TelegramLine
from hotline.rate_limits import WEBHOOKS, limited

log = logging.getLogger(__name__)

WEBHOOK = "/telegram/webhook"
MAX_BODY = 256 * 1024  # an update is a few kilobytes
REFUSED = "the Telegram secret token is missing or wrong"


def router(line: Callable[[], TelegramLine]) -> APIRouter:
    found = APIRouter(tags=["telegram"], max_body_size=MAX_BODY)

    @found.post(
        WEBHOOK,
        dependencies=[limited(WEBHOOKS)],
        responses={
            403: {"description": "Missing or wrong X-Telegram-Bot-Api-Secret-Token: nothing read or changed"},
            409: {"description": "The conversation is busy: Telegram sends the update again"},
        },
    )
    async def webhook(
        request: Request,
        secret: Annotated[str | None, Header(alias=wire.SECRET_HEADER, include_in_schema=False)] = None,
    ) -> JSONResponse:
        """One Bot API update; the answers go to Telegram's API after this returns."""
        current = line()
        if not wire.secret_ok(secret, current.secret):
            return JSONResponse({"message": REFUSED}, status_code=403)
        body = await request.body()
        incoming = wire.parse(body)
        if incoming is None:
            # From Telegram (the secret says so) but not a shape we know: a 200, or it would come again.
            log.warning("an unreadable Telegram update (%d bytes) was ignored", len(body))
            return JSONResponse({})
        if not await current.claim(incoming.update_id):
            return JSONResponse({})  # delivered before: handled once
        try:
            calls = await current.take(body, incoming)
        except BaseException:
            await current.release(incoming.update_id)
            raise
        return JSONResponse({}, background=BackgroundTask(current.send, calls) if calls else None)

    return found
