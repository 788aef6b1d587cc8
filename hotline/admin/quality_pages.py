"""The understanding page: per intent its phrases and test phrases, precision, recall and confusions."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from hotline.admin import drafts, quality
from hotline.admin.recent import Recent
from hotline.admin.web import AdminUser, Matchers, page, pages
from hotline.db import transaction
from hotline.deps import PartsDep
from hotline.pages import staff_lang

KEEP_SECONDS = 600.0  # the same draft measured again within this time is not measured twice
_measured: Recent[list[quality.IntentQuality]] = Recent(seconds=KEEP_SECONDS, size=2)


@pages.get("/quality", response_class=HTMLResponse)
def quality_page(request: Request, parts: PartsDep, user: AdminUser, cache: Matchers) -> Response:
    with transaction(parts.sessions) as session:
        tree = drafts.draft(session, author=user.username)
    matcher = cache.get(tree)
    found = _measured.get(
        drafts.content_key(tree), lambda: quality.measure(tree, lambda text, lang: matcher.match(text, lang).intent)
    )
    lang = staff_lang(request)
    titles = {n.slug: n.text(lang).title for n in tree.intents()}
    measured = [q for q in found if q.own]
    context = {
        "intents": sorted(found, key=lambda q: (q.recall if q.recall is not None else 101.0, q.slug)),
        "titles": titles,
        "few_below": quality.FEW_PHRASES,
        "folds": quality.FOLDS,
        "recall": 100.0 * sum(q.found for q in measured) / max(1, sum(q.own for q in measured)),
        "failing": sum(len(q.failing) for q in found),
    }
    return page(request, user, "admin_quality.html", context)
