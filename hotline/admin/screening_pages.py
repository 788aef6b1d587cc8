"""The questionnaire of a benefit screening intent, in the tree editor: edit it, try it on sample answers.

Every change goes to the draft through `drafts.edit` (one transaction, audited as `tree.screening`) and
is published with the tree. Trying it runs the real engine on the saved draft (`screening_preview`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from hotline.admin import drafts, screening_form
from hotline.admin.screening_preview import try_answers
from hotline.admin.web import AdminUser, done, page, pages
from hotline.db import transaction
from hotline.deps import Parts, PartsDep, StaffUser
from hotline.pages import staff_lang
from intents.screening import checks
from intents.screening.model import MAX_CHOICES, QuestionKind, Questionnaire
from intents.tree import LANGUAGES, Action, Tree

SAMPLE = "s_"  # the query's sample answers: s_<question id>=<answer>
MAX_FORM_FIELDS = 4000


def _save(parts: Parts, user: StaffUser, slug: str, questionnaire: Questionnaire | None) -> None:
    with transaction(parts.sessions) as session:
        change = lambda tree: screening_form.put(tree, slug, questionnaire)  # noqa: E731
        drafts.edit(session, actor=user, action="tree.screening", target=slug, change=change)


def _draft(parts: Parts, user: StaffUser) -> Tree:
    with transaction(parts.sessions) as session:
        return drafts.draft(session, author=user.username)


@pages.get("/tree/screening", response_class=HTMLResponse)
def screening_page(
    request: Request, parts: PartsDep, user: AdminUser, node: Annotated[str, Query(max_length=63)] = ""
) -> Response:
    tree = _draft(parts, user)
    owner = tree.index.get(node)
    if owner is None or owner.action is not Action.BENEFIT_SCREENING:
        owners = [n for n in tree.intents() if n.action is Action.BENEFIT_SCREENING]
        listed: dict[str, Any] = {"owner": None, "owners": owners, "tree": tree}
        return page(request, user, "admin_screening.html", listed, status_code=404 if node else 200)
    questionnaire = tree.screenings.get(node)
    samples = {k.removeprefix(SAMPLE): v[:100] for k, v in request.query_params.items() if k.startswith(SAMPLE)}
    lang = staff_lang(request)
    tried = try_answers(tree, questionnaire, lang, samples) if questionnaire and samples else None
    context = {
        "tree": tree,
        "owner": owner,
        "questionnaire": questionnaire,
        "problems": [p for p in checks.structure(tree) if p.slug == node],
        "intents": [n for n in tree.intents() if n.action is not Action.BENEFIT_SCREENING],
        "kinds": list(QuestionKind),
        "languages": LANGUAGES,
        "max_choices": MAX_CHOICES,
        "samples": samples,
        "tried": tried,
    }
    return page(request, user, "admin_screening.html", context)


@pages.post("/tree/screening/{slug}")
async def save_screening(request: Request, parts: PartsDep, user: AdminUser, slug: str) -> Response:
    """The whole form, then the operation its button names (add, delete or move a row, or just save)."""
    form = await request.form(max_fields=MAX_FORM_FIELDS)
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    questionnaire = screening_form.apply(screening_form.read(slug, fields), fields.get("op", "save"))
    await run_in_threadpool(_save, parts, user, slug, questionnaire)
    return done(request, f"/admin/tree/screening?node={slug}", "screening_saved")


@pages.post("/tree/screening/{slug}/create")
def create_screening(request: Request, parts: PartsDep, user: AdminUser, slug: str) -> Response:
    _save(parts, user, slug, screening_form.empty(slug))
    return done(request, f"/admin/tree/screening?node={slug}", "screening_created")


@pages.post("/tree/screening/{slug}/delete")
def delete_screening(request: Request, parts: PartsDep, user: AdminUser, slug: str) -> Response:
    _save(parts, user, slug, None)
    return done(request, f"/admin/tree/screening?node={slug}", "screening_deleted")
