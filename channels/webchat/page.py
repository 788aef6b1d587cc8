"""The web chat page: one HTML answer that already holds the robot's first question (which language),
so a citizen on a weak connection can answer it as soon as the page's script has arrived; the script
and styles are versioned static files (`hotline.static_files`), kept by the browser for a year."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from starlette.routing import Mount

from hotline.deps import PartsDep
from hotline.static_files import REVALIDATE, VersionedStatic, template_static_url
from intents.engine import T_LANG
from intents.messages import LANGUAGE_LABELS, LANGUAGE_QUESTION
from selfservice import notices

HERE = Path(__file__).parent
STATIC = HERE / "static"
MOUNT = "static"

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["static_url"] = template_static_url
page = APIRouter(include_in_schema=False)


def static_files() -> Mount:
    return Mount("/static", VersionedStatic(STATIC), name=MOUNT)


@page.get("/")
def chat_page(request: Request, parts: PartsDep) -> Response:
    found = notices.active_now(parts.sessions)
    context = {
        # The emergency notice on top, in both languages (the page does not know the citizen's yet), and when it
        # ends: a page left open hides it then by itself (notice.js).
        "notice": {
            "texts": [(lang, notices.words(found, lang)) for lang in notices.LANGS],
            "ends": min(n.ends_at for n in found).isoformat(),
        }
        if found
        else None,
        "question": list(LANGUAGE_QUESTION.items()),
        "choices": [{"lang": lang, "id": f"{T_LANG}{lang}", "label": label} for lang, label in LANGUAGE_LABELS.items()],
    }
    html = templates.get_template("chat.html").render(request=request, **context).encode()
    # The page changes only with a release or a new script: the browser asks again and mostly hears "not modified".
    etag = f'"{hashlib.sha256(html).hexdigest()[:16]}"'
    headers = {"ETag": etag, "Cache-Control": REVALIDATE}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(html, media_type="text/html; charset=utf-8", headers=headers)
