"""The admins' page of canned replies at `/admin/canned`: add one (language, title, text, queue), delete one.
Every change is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from hotline.admin import audit, drafts, staff
from hotline.admin.errors import AdminError, NotFound
from hotline.admin.web import AdminUser, done, page, pages
from hotline.db import RowId, transaction
from hotline.deps import PartsDep
from hotline.pages import staff_lang
from intents.tree import LANGUAGES
from specialist_queue import canned


@pages.get("/canned", response_class=HTMLResponse)
def canned_page(request: Request, parts: PartsDep, user: AdminUser) -> Response:
    with parts.sessions() as session:
        replies = canned.all_replies(session)
        tree = drafts.published(session)
    queues = staff.queues(tree, ())
    context = {
        "replies": replies,
        "queues": queues,
        "titles": staff.queue_titles(tree, staff_lang(request)),
        "languages": LANGUAGES,
    }
    return page(request, user, "admin_canned.html", context)


@pages.post("/canned")
def add_reply(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    lang: Annotated[str, Form(max_length=8)],
    title: Annotated[str, Form(max_length=120)],
    text: Annotated[str, Form(max_length=2000)],
    queue: Annotated[str, Form(max_length=63)] = "",
) -> Response:
    title, text = " ".join(title.split()), text.strip()
    if lang not in LANGUAGES or not title or not text:
        raise AdminError("bad_canned", "a canned reply needs a language, a title and a text")
    with transaction(parts.sessions) as session:
        reply = canned.create(session, lang=lang, title=title, text=text, queue=queue.strip() or None)
        detail = {"lang": lang, "title": title, "queue": reply.queue or ""}
        audit.record(session, actor=user, action="canned.create", target=title, detail=detail)
    return done(request, "/admin/canned", "canned_added", title=title)


@pages.post("/canned/{reply_id}/delete")
def delete_reply(request: Request, parts: PartsDep, user: AdminUser, reply_id: RowId) -> Response:
    with transaction(parts.sessions) as session:
        reply = canned.delete(session, reply_id)
        if reply is None:
            raise NotFound("unknown_canned", f"there is no canned reply {reply_id}")
        audit.record(session, actor=user, action="canned.delete", target=reply.title, detail={"lang": reply.lang})
    return done(request, "/admin/canned", "canned_deleted", title=reply.title)
