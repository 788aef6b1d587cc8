"""`/api/chat/blocks`: the block list of every chat channel, for admins (the abuse filter fills it,
`channels.chat.guard`; an admin lifts a block)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from channels.chat import service
from hotline.csrf import csrf_token, verify_csrf
from hotline.db import RowId, transaction
from hotline.deps import PartsDep, StaffUser, require
from hotline.users import Role

admin_router = APIRouter(prefix="/api/chat/blocks", tags=["chat"])


class Block(BaseModel):
    id: int
    channel: str
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
    """Blocked citizens of every chat channel (a masked sample of what they wrote), newest first; the CSRF token
    for lifting."""
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
