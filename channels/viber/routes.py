"""`POST /viber/webhook`: Viber's callbacks (the block list of every chat channel: `channels.chat.routes`)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

from channels.viber import wire
from channels.viber.line import ViberLine
from hotline.deps import PartsDep
from hotline.rate_limits import CONVERSATION_WEBHOOKS, WEBHOOKS, limited

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # Viber's callbacks are a few kilobytes

WEBHOOK = "/viber/webhook"
router = APIRouter(tags=["viber"], max_body_size=MAX_BODY)  # counted while read, chunked too


@router.post(
    WEBHOOK,
    dependencies=[limited(WEBHOOKS)],
    responses={
        403: {"description": "Missing or wrong X-Viber-Content-Signature"},
        429: {"description": "Too many callbacks from this address or about this user: Viber sends it again later"},
    },
)
async def webhook(request: Request, parts: PartsDep) -> JSONResponse:
    """Viber's callbacks, signed with the bot's token; the welcome goes back in the answer's body."""
    line = parts.channels.part(ViberLine)
    body = await request.body()
    if not wire.signature_ok(body, request.headers.get(wire.SIGNATURE_HEADER), line.token):
        raise HTTPException(status_code=403, detail="the Viber signature is missing or wrong")
    event = wire.parse(body)
    if event is None:
        # Signed by Viber but not a shape we know: a 200, or Viber would repeat it for an hour.
        log.warning("an unreadable Viber callback (%d bytes) was ignored", len(body))
        return JSONResponse({"status": 0})
    if parts.limits is not None and event.who:
        await parts.limits.check(CONVERSATION_WEBHOOKS, f"viber:{event.who}")
    handled = await run_in_threadpool(line.take, body, event)
    later = BackgroundTask(line.outbox.deliver, handled.outgoing) if handled.outgoing else None
    return JSONResponse(handled.answer or {"status": 0}, background=later)
