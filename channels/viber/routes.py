"""`POST /viber/webhook` (Viber's callbacks) and `/api/viber/blocks` (the block list, for admins)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

from channels.viber import service, wire
from channels.viber.line import ViberLine
from hotline.csrf import csrf_token, verify_csrf
from hotline.db import RowId, transaction
from hotline.deps import PartsDep, StaffUser, require
from hotline.rate_limits import CONVERSATION_WEBHOOKS, WEBHOOKS, limited
from hotline.users import Role

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # Viber's callbacks are a few kilobytes

WEBHOOK = "/viber/webhook"
router = APIRouter(tags=["viber"], max_body_size=MAX_BODY)  # counted while read, chunked too
admin_router = APIRouter(prefix="/api/viber/blocks", tags=["viber"])


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
    handled = await run_in_threadpool(line.flows.handle, event)
    later = BackgroundTask(line.outbox.deliver, handled.outgoing) if handled.outgoing else None
    return JSONResponse(handled.answer or {"status": 0}, background=later)


class Block(BaseModel):
    id: int
    user_id: str
    name: str
    reason: str
    sample: str
    blocked_at: datetime
    lifted_at: datetime | None
    lifted_by: int | None


class BlockList(BaseModel):
    blocks: list[Block]
    csrf_token: str


AdminUser = Annotated[StaffUser, require(Role.ADMIN)]


@admin_router.get("", response_model=BlockList)
def list_blocks(request: Request, parts: PartsDep, _: AdminUser, include_lifted: bool = False) -> BlockList:
    """Blocked Viber users (masked sample of what they wrote), newest first; the CSRF token for lifting."""
    with parts.sessions() as session:
        found = service.list_blocks(session, include_lifted=include_lifted)
        blocks = [Block.model_validate(b, from_attributes=True) for b in found]
    return BlockList(blocks=blocks, csrf_token=csrf_token(request))


@admin_router.post(
    "/{block_id}/lift",
    response_model=Block,
    responses={404: {"description": "No such block"}, 409: {"description": "Lifted already"}},
)
def lift_block(block_id: RowId, parts: PartsDep, admin: AdminUser, _: Annotated[None, Depends(verify_csrf)]) -> Block:
    """Lift a block: the user may write again and starts with a clean slate (one warning before a block)."""
    try:
        with transaction(parts.sessions) as session:
            block = service.lift(session, block_id=block_id, by=admin)
            return Block.model_validate(block, from_attributes=True)
    except LookupError:
        raise HTTPException(status_code=404, detail=f"there is no block {block_id}") from None
    except service.AlreadyLifted:
        raise HTTPException(status_code=409, detail=f"block {block_id} was lifted already") from None
