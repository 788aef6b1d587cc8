"""Every admin route the app has (read from the app itself, so a new page or API is covered by the
access tests without anyone adding it to a list)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

PREFIXES = ("/admin", "/api/admin")
SAMPLE_PATH = {
    "slug": "office_hours",
    "version_id": "1",
    "user_id": "1",
    "day_id": "1",
    "block_id": "1",
    "entry_id": "1",
    "notice_id": "1",
    "topic_id": "1",
    "announcement_id": "1",
    "reply_id": "1",
}


def _routes(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """(full path, route) of every API route, also inside included routers (which newer FastAPI keeps nested)."""
    found: list[tuple[str, APIRoute]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif (included := getattr(route, "original_router", None)) is not None:
            found.extend(_routes(included.routes, prefix + route.include_context.prefix))
    return found


def admin_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every admin page and API route, with sample path parameters filled in."""
    found = []
    for full, route in _routes(app.routes):
        if full.startswith(PREFIXES):
            path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PATH[m.group(1)], full)
            found.extend((method, path) for method in sorted(route.methods))
    return found
