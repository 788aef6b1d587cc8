"""The phone's pronunciation table: how the voice says abbreviations, words and short numbers, per language.

Each change is audited (`voice.pronunciation.save`, `voice.pronunciation.delete`) in the transaction that
makes it; every worker's phone line hears it within `PronunciationSource.recheck` seconds. The built-in
forms (`hotline.pronunciation.DEFAULTS`) are listed beside the office's own; a row of the same written
form overrides one, and deleting that row brings it back. "Try it" shows how a text would be said.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from hotline import pronunciation
from hotline.admin import audit
from hotline.admin.errors import NotFound
from hotline.admin.web import AdminUser, done, page, pages
from hotline.db import RowId, transaction
from hotline.deps import PartsDep
from hotline.pronunciation import DEFAULTS, LANGUAGES, MAX_SPOKEN, MAX_WRITTEN, Entry, Pronouncer

MAX_TRY = 1000


@pages.get("/pronunciation", response_class=HTMLResponse)
def pronunciation_page(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    text: Annotated[str, Query(max_length=MAX_TRY)] = "",
    lang: Annotated[str, Query(pattern="^(uk|ru)$")] = "uk",
) -> Response:
    with parts.sessions() as session:
        rows = pronunciation.entries(session)
    own = {(row.lang, row.written): row for row in rows}
    built_in = [(language, written, spoken) for language in LANGUAGES for written, spoken in DEFAULTS[language].items()]
    said = Pronouncer(Entry(r.lang, r.written, r.spoken) for r in rows).say(text, lang) if text.strip() else ""
    context = {
        "rows": rows,
        "built_in": built_in,
        "own": own,
        "languages": LANGUAGES,
        "text": text,
        "lang": lang,
        "said": said,
        "max_written": MAX_WRITTEN,
        "max_spoken": MAX_SPOKEN,
        "max_try": MAX_TRY,
    }
    return page(request, user, "admin_pronunciation.html", context)


@pages.post("/pronunciation")
def save_pronunciation(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    lang: Annotated[str, Form(pattern="^(uk|ru)$")],
    written: Annotated[str, Form(max_length=MAX_WRITTEN * 2)],
    spoken: Annotated[str, Form(max_length=MAX_SPOKEN * 2)],
) -> Response:
    with transaction(parts.sessions) as session:
        row, before = pronunciation.save(session, lang=lang, written=written, spoken=spoken)
        detail = {"lang": lang, "written": row.written, "old": before, "new": row.spoken}
        audit.record(
            session, actor=user, action="voice.pronunciation.save", target=f"{lang}:{row.written}", detail=detail
        )
    return done(request, "/admin/pronunciation", "saved_pronunciation", written=row.written)


@pages.post("/pronunciation/{entry_id}/delete")
def delete_pronunciation(request: Request, parts: PartsDep, user: AdminUser, entry_id: RowId) -> Response:
    with transaction(parts.sessions) as session:
        try:
            row = pronunciation.remove(session, entry_id=entry_id)
        except LookupError:
            raise NotFound("unknown_pronunciation", f"there is no pronunciation {entry_id}") from None
        detail = {"lang": row.lang, "written": row.written, "old": row.spoken}
        target = f"{row.lang}:{row.written}"
        audit.record(session, actor=user, action="voice.pronunciation.delete", target=target, detail=detail)
    return done(request, "/admin/pronunciation", "deleted_pronunciation", written=row.written)
