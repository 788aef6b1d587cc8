"""The block list of every chat channel: who the abuse filter blocked (with a masked sample of what they
wrote), and lifting a block (audited as `chat.block.lift` by `channels.chat.service`, in the same
transaction)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from channels.chat import service
from hotline.admin import staff
from hotline.admin.errors import Conflict, NotFound
from hotline.admin.web import AdminUser, done, page, pages
from hotline.db import RowId, transaction
from hotline.deps import PartsDep


@pages.get("/viber", response_class=HTMLResponse)
def blocks_page(request: Request, parts: PartsDep, user: AdminUser, lifted: bool = False) -> Response:
    with parts.sessions() as session:
        blocks = service.list_blocks(session, include_lifted=lifted)
        names = {person.id: person.username for person in staff.all_users(session)}
    return page(request, user, "admin_viber.html", {"blocks": blocks, "names": names, "lifted": lifted})


@pages.post("/viber/{block_id}/lift")
def lift_block(request: Request, parts: PartsDep, user: AdminUser, block_id: RowId) -> Response:
    try:
        with transaction(parts.sessions) as session:
            block = service.lift(session, block_id=block_id, by=user)
            name = block.name or block.user_id
    except LookupError:
        raise NotFound("unknown_block", f"there is no block {block_id}") from None
    except service.AlreadyLifted:
        raise Conflict("block_lifted_already", f"block {block_id} was lifted already") from None
    return done(request, "/admin/viber", "block_lifted", name=name)
