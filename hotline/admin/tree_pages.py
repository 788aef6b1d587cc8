"""The tree editor, "try it", previews, publishing, version history, diffs and rollback.

Forms post to `/admin/tree/...`, change the draft through `drafts.edit` (one transaction, audited)
and come back to the editor. The JSON API (`/api/admin/...`) serves the page's script.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from hotline.admin import drafts, editor, staff
from hotline.admin.diff import diff
from hotline.admin.editor import MAX_PHRASE, MAX_TITLE, NodeEdit
from hotline.admin.errors import AdminError
from hotline.admin.preview import preview
from hotline.admin.web import AdminUser, Matchers, api, complete_form, done, page, pages
from hotline.db import RowId, RowIdOrZero, transaction
from hotline.deps import Parts, PartsDep, StaffUser
from hotline.pages import staff_lang
from intents.checks import Problem
from intents.pack import dump_pack
from intents.tree import LANGUAGES, Action, Node, NodeKind, NodeText, Priority, Tree
from privacy.masking import mask

MAX_TEXT = 20_000
MAX_WELCOME = 2000
MAX_LIST = 50_000
Text = Annotated[str | None, Field(max_length=MAX_TEXT)]
Lines = Annotated[str | None, Field(max_length=MAX_LIST)]
Title = Annotated[str | None, Field(max_length=MAX_TITLE)]


class NodeForm(BaseModel):
    """The node form's fields (also what the page's script sends for a preview).

    A text field the form does not show (an intent has no voice prompt field) is not sent and
    keeps its value.
    """

    model_config = ConfigDict(extra="ignore")
    fingerprint: str = Field(default="", max_length=64)
    key: str = Field(default="", max_length=2)
    action: Action = Action.ANSWER
    queue: str = Field(default="", max_length=63)
    priority: Priority = Priority.NORMAL
    uk_title: Title = None
    uk_prompt: Text = None
    uk_short: Text = None
    uk_long: Text = None
    uk_phrases: Lines = None
    uk_keywords: Lines = None
    uk_tests: Lines = None
    ru_title: Title = None
    ru_prompt: Text = None
    ru_short: Text = None
    ru_long: Text = None
    ru_phrases: Lines = None
    ru_keywords: Lines = None
    ru_tests: Lines = None

    def edit(self, node: Node) -> NodeEdit:
        key = self.key.strip()
        if key and not (key.isdigit() and len(key) == 1):
            raise editor.EditError("bad_key", "a key is a digit from 1 to 9")
        texts = {lang: self._text(lang, node.texts.get(lang) or NodeText(title="")) for lang in LANGUAGES}
        return NodeEdit(int(key) if key else None, texts, self.action, self.queue.strip() or None, self.priority)

    def _text(self, lang: str, old: NodeText) -> NodeText:
        def value(name: str) -> str:
            sent = getattr(self, f"{lang}_{name}")
            return str(getattr(old, name) if sent is None else sent).strip()

        def lines(name: str) -> tuple[str, ...]:
            sent = getattr(self, f"{lang}_{name}")
            return tuple(getattr(old, name)) if sent is None else tuple(sent.splitlines())

        return NodeText(
            title=value("title"),
            prompt=value("prompt"),
            short=value("short"),
            long=value("long"),
            phrases=lines("phrases"),
            keywords=lines("keywords"),
            tests=lines("tests"),
        )


def _node_form(data: Any) -> NodeForm:
    try:
        return NodeForm.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AdminError("bad_form", f"{where}: {first['msg']}", field=where) from None


def _by_slug(problems: list[Problem]) -> dict[str, list[Problem]]:
    found: dict[str, list[Problem]] = {}
    for problem in problems:
        found.setdefault(problem.slug, []).append(problem)
    return found


def _categories(tree: Tree, moving: str | None = None) -> list[tuple[Node, int]]:
    """Every category (with its depth) a node may go into: not `moving` itself or inside it."""
    return [
        (node, len(path))
        for node, path in tree.walk()
        if node.kind is NodeKind.CATEGORY and moving not in (node.slug, *path)
    ]


@pages.get("/tree", response_class=HTMLResponse)
def tree_page(request: Request, parts: PartsDep, user: AdminUser, node: str = "") -> Response:
    with transaction(parts.sessions) as session:
        tree = drafts.draft(session, author=user.username)
        pending = len(drafts.unpublished(session))
        skills = [s for person in staff.all_users(session) for s in person.skills]
    selected = tree.index.get(node) if node else None
    queues = staff.queues(tree, skills)
    if selected and selected.queue and selected.queue not in queues:
        queues.append(selected.queue)  # kept as it is: the admin sees it and may choose another
    context = {
        "tree": tree,
        "selected": selected,
        "parent": tree.parents.get(selected.slug) if selected else None,
        "fingerprint": editor.fingerprint(selected) if selected else "",
        "problems": _by_slug(drafts.problems(tree, None)),
        "pending": pending,
        "categories": _categories(tree),
        "targets": _categories(tree, selected.slug if selected else None),
        "languages": LANGUAGES,
        "actions": list(Action),
        "priorities": list(Priority),
        "queues": queues,
        "queue_titles": staff.queue_titles(tree, staff_lang(request)),
    }
    return page(request, user, "admin_tree.html", context)


def _edit(parts: Parts, user: StaffUser, action: str, target: str, change: Callable[[Tree], Tree]) -> None:
    """One editor function applied to the draft, audited, in its own transaction."""
    with transaction(parts.sessions) as session:
        drafts.edit(session, actor=user, action=action, target=target, change=change)


@pages.post("/tree/nodes")
def add_node(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    slug: Annotated[str, Form(max_length=63)],
    kind: Annotated[NodeKind, Form()],
    parent: Annotated[str, Form(max_length=63)] = "",
    uk_title: Annotated[str, Form(max_length=MAX_TITLE)] = "",
    ru_title: Annotated[str, Form(max_length=MAX_TITLE)] = "",
) -> Response:
    slug = slug.strip()
    titles = {"uk": uk_title, "ru": ru_title}
    change = lambda tree: editor.add_node(tree, parent=parent or None, slug=slug, kind=kind, titles=titles)  # noqa: E731
    _edit(parts, user, "tree.add", slug, change)
    return done(request, f"/admin/tree?node={slug}", "added", slug=slug)


@pages.post("/tree/nodes/{slug}")
async def save_node(request: Request, parts: PartsDep, user: AdminUser, slug: str) -> Response:
    form = _node_form(dict(await request.form()))
    seen = form.fingerprint or None
    change = lambda tree: editor.update_node(tree, slug, form.edit(editor.find(tree, slug)), seen=seen)  # noqa: E731
    await run_in_threadpool(_edit, parts, user, "tree.update", slug, change)
    return done(request, f"/admin/tree?node={slug}", "saved", slug=slug)


@pages.post("/tree/nodes/{slug}/move")
def move_node(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    slug: str,
    offset: Annotated[int | None, Form(ge=-1, le=1)] = None,
    parent: Annotated[str | None, Form(max_length=63)] = None,
    index: Annotated[int, Form(ge=0, le=10_000)] = 10_000,
) -> Response:
    if offset is not None:
        change = lambda tree: editor.shift(tree, slug, offset)  # noqa: E731
    else:
        change = lambda tree: editor.move(tree, slug, parent=parent or None, index=index)  # noqa: E731
    _edit(parts, user, "tree.move", slug, change)
    return done(request, f"/admin/tree?node={slug}", "moved", slug=slug)


@pages.post("/tree/nodes/{slug}/delete")
def delete_node(request: Request, parts: PartsDep, user: AdminUser, slug: str) -> Response:
    _edit(parts, user, "tree.delete", slug, lambda tree: editor.delete_node(tree, slug))
    return done(request, "/admin/tree", "deleted", slug=slug)


@pages.post("/tree/welcome")
async def save_welcome(request: Request, parts: PartsDep, user: AdminUser) -> Response:
    """Both languages' welcome, as the page sends them (an empty one: the robot's standard greeting)."""
    form = await complete_form(request, *(f"{lang}_welcome" for lang in LANGUAGES))
    welcome = {lang: str(form[f"{lang}_welcome"]) for lang in LANGUAGES}
    if any(len(text) > MAX_WELCOME for text in welcome.values()):
        raise AdminError("bad_form", f"a welcome is at most {MAX_WELCOME} characters", field="welcome")
    change = lambda tree: editor.set_welcome(tree, welcome)  # noqa: E731
    await run_in_threadpool(_edit, parts, user, "tree.welcome", "welcome", change)
    return done(request, "/admin/tree", "saved_welcome")


@pages.post("/tree/examples")
def add_example(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    slug: Annotated[str, Form(max_length=63)],
    phrase_lang: Annotated[str, Form(max_length=2)],
    phrase: Annotated[str, Form(max_length=MAX_PHRASE * 2)],
    back: Annotated[str, Form(max_length=500)] = "/admin/tree",
    as_: Annotated[Literal["example", "test"], Form(alias="as")] = "example",
) -> Response:
    phrase = mask(phrase, phrase_lang)  # a citizen's words become the office's example: never with their data
    test = as_ == "test"
    action = "tree.add_test_phrase" if test else "tree.add_example"
    _edit(parts, user, action, slug, lambda tree: editor.add_phrase(tree, slug, phrase_lang, phrase, test=test))
    return done(request, back, "test_phrase_added" if test else "example_added", slug=slug, phrase=phrase[:80])


# -- publishing and versions ------------------------------------------------------------------


@pages.get("/publish", response_class=HTMLResponse)
def publish_page(request: Request, parts: PartsDep, user: AdminUser, cache: Matchers) -> Response:
    with transaction(parts.sessions) as session:
        tree = drafts.draft(session, author=user.username)
        changes = drafts.unpublished(session)
    problems = drafts.problems(tree, cache.get(tree))
    return page(request, user, "admin_publish.html", {"problems": problems, "changes": changes, "tree": tree})


@pages.post("/publish")
def publish(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    cache: Matchers,
    note: Annotated[str, Form(max_length=drafts.MAX_NOTE)] = "",
) -> Response:
    with transaction(parts.sessions) as session:
        version = drafts.publish(session, actor=user, note=note, matchers=cache)
    return done(request, "/admin/versions", "published_version", id=version.id)


@pages.get("/versions", response_class=HTMLResponse)
def versions_page(
    request: Request, parts: PartsDep, user: AdminUser, a: RowIdOrZero | None = None, b: RowIdOrZero | None = None
) -> Response:
    with transaction(parts.sessions) as session:
        history = drafts.history(session)
        newest = history[0].id if history else 0
        older = history[1].id if len(history) > 1 else newest
        a, b = (a if a is not None else older), (b if b is not None else newest)
        changes = diff(drafts.tree_of(session, a), drafts.tree_of(session, b)) if history else []
    return page(request, user, "admin_versions.html", {"history": history, "a": a, "b": b, "changes": changes})


@pages.post("/versions/{version_id}/rollback")
def rollback(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    version_id: RowId,
    note: Annotated[str, Form(max_length=drafts.MAX_NOTE)] = "",
) -> Response:
    with transaction(parts.sessions) as session:
        version = drafts.rollback(session, actor=user, version_id=version_id, note=note)
    return done(request, "/admin/versions", "rolled_back", id=version.id, old=version_id)


# -- JSON for the page's script ---------------------------------------------------------------


class TryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)
    lang: str = Field(pattern="^(uk|ru)$")


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(max_length=63)
    lang: str = Field(pattern="^(uk|ru)$")
    form: dict[str, str] | None = Field(default=None, description="Unsaved node form fields to preview instead.")


def _title(tree: Tree, slug: str | None, lang: str) -> str | None:
    node = tree.index.get(slug or "")
    return node.text(lang).title if node else None


@api.post("/try")
def try_it(body: TryBody, parts: PartsDep, user: AdminUser, cache: Matchers) -> dict[str, Any]:
    """Which intent of the draft a phrase reaches, with its score and the runners-up."""
    with transaction(parts.sessions) as session:
        tree = drafts.draft(session, author=user.username)
    tried = drafts.try_text(cache.get(tree), body.text, body.lang)
    alternatives = [{"intent": s, "title": _title(tree, s, body.lang), "score": sc} for s, sc in tried.alternatives]
    return {
        "intent": tried.intent,
        "title": _title(tree, tried.intent, body.lang),
        "score": tried.score,
        "ambiguous": tried.ambiguous,
        "confirm": tried.confirm,
        "confirm_title": _title(tree, tried.confirm, body.lang),
        "alternatives": alternatives,
    }


@api.post("/preview")
def preview_node(request: Request, body: PreviewBody, parts: PartsDep, user: AdminUser) -> dict[str, Any]:
    """How a node of the draft (or the unsaved form for it) reads on each channel that is on."""
    with transaction(parts.sessions) as session:
        tree = drafts.draft(session, author=user.username)
    if body.form is not None:
        tree = editor.update_node(tree, body.slug, _node_form(body.form).edit(editor.find(tree, body.slug)))
    shown = preview(tree, editor.find(tree, body.slug).slug, body.lang, parts.channels.channels, staff_lang(request))
    return asdict(shown)


@pages.get("/tree.yaml")
def tree_yaml(parts: PartsDep, user: AdminUser) -> Response:
    """The draft as a content pack, to keep or to load elsewhere with `hotline tree import`."""
    with transaction(parts.sessions) as session:
        tree = drafts.draft(session, author=user.username)
    headers = {"Content-Disposition": 'attachment; filename="hotline-draft.yaml"'}
    return Response(dump_pack(tree), media_type="application/yaml; charset=utf-8", headers=headers)


@api.get("/tree")
def tree_json(parts: PartsDep, user: AdminUser) -> dict[str, Any]:
    """The draft as a content pack (YAML) with its problems (without the slower reachability check)."""
    with transaction(parts.sessions) as session:
        tree = drafts.draft(session, author=user.username)
    problems = [asdict(p) for p in drafts.problems(tree, None)]
    return {"pack": dump_pack(tree), "problems": problems}


@api.get("/versions")
def versions_json(parts: PartsDep, user: AdminUser) -> list[dict[str, Any]]:
    with parts.sessions() as session:
        history = drafts.history(session)
    return [{"id": v.id, "published_at": v.published_at, "by": v.created_by, "note": v.note} for v in history]


@api.get("/versions/diff")
def versions_diff(parts: PartsDep, user: AdminUser, a: RowIdOrZero, b: RowIdOrZero = 0) -> list[dict[str, Any]]:
    """What changed from version `a` to version `b` (0: the draft)."""
    with transaction(parts.sessions) as session:
        changes = diff(drafts.tree_of(session, a), drafts.tree_of(session, b))
    return [c.as_dict() for c in changes]
