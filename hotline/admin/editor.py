"""Edits of the intent tree as pure functions: each takes a `Tree` and returns the changed one.

The services apply them to the draft in SQL; here nothing is stored, so every rule is testable on
plain trees. Slugs never change (statistics and running conversations refer to them); what a node
says is edited per language.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from hotline.admin.errors import AdminError, Conflict, NotFound
from intents.pack import SLUG
from intents.tree import LANGUAGES, Action, Node, NodeKind, NodeText, Priority, Tree

MAX_TITLE = 120
MAX_PHRASE = 300
KEYS = range(1, 10)


class EditError(AdminError):
    """An edit that cannot be made."""


class UnknownNode(NotFound):
    pass


@dataclass(frozen=True)
class NodeEdit:
    """What the node form sets; the slug and the kind stay as they are."""

    key: int | None
    texts: Mapping[str, NodeText]
    action: Action = Action.ANSWER
    queue: str | None = None
    priority: Priority = Priority.NORMAL


def find(tree: Tree, slug: str) -> Node:
    node = tree.index.get(slug)
    if node is None:
        raise UnknownNode("unknown_node", f"there is no node {slug!r}", slug=slug)
    return node


def fingerprint(node: Node) -> str:
    """A short hash of what a node's form shows, so a save over someone else's newer edit is caught."""
    own = replace(node, children=())
    return hashlib.sha256(repr((own, sorted(node.texts.items()))).encode()).hexdigest()[:16]


def _update(nodes: tuple[Node, ...], slug: str, change: Callable[[Node], Node | None]) -> tuple[Node, ...]:
    """The nodes with `slug` replaced by `change(node)` (dropped when that is None), at any depth."""
    out: list[Node] = []
    for node in nodes:
        if node.slug == slug:
            changed = change(node)
            if changed is not None:
                out.append(changed)
        elif node.children:
            out.append(replace(node, children=_update(node.children, slug, change)))
        else:
            out.append(node)
    return tuple(out)


def _insert(tree: Tree, parent: str | None, index: int, node: Node) -> Tree:
    def put(siblings: tuple[Node, ...]) -> tuple[Node, ...]:
        at = max(0, min(index, len(siblings)))
        return (*siblings[:at], node, *siblings[at:])

    if parent is None:
        return replace(tree, nodes=put(tree.nodes))
    return replace(tree, nodes=_update(tree.nodes, parent, lambda p: replace(p, children=put(p.children))))


def _category(tree: Tree, slug: str | None) -> None:
    if slug is not None and find(tree, slug).kind is not NodeKind.CATEGORY:
        raise EditError("not_category", f"{slug!r} is an intent: only a category holds other nodes", slug=slug)


def _free_key(siblings: tuple[Node, ...]) -> int | None:
    taken = {n.key for n in siblings}
    return next((k for k in KEYS if k not in taken), None)


def add_node(tree: Tree, *, parent: str | None, slug: str, kind: NodeKind, titles: Mapping[str, str]) -> Tree:
    """A new category or intent at the end of `parent`'s menu, on the first free key."""
    if not SLUG.match(slug):
        raise EditError("bad_slug", "a slug is lower-case latin letters, digits and _ (2–63, a letter first)")
    if slug in tree.index:
        raise EditError("slug_taken", f"slug {slug!r} is taken", slug=slug)
    _category(tree, parent)
    clean = {lang: titles.get(lang, "").strip() for lang in LANGUAGES}
    if not any(clean.values()):
        raise EditError("need_title", "give the new node a title")
    _check_titles(clean)
    node = Node(
        slug=slug,
        kind=kind,
        texts={lang: NodeText(title=title) for lang, title in clean.items()},
        key=_free_key(tree.children_of(parent)),
    )
    return _insert(tree, parent, len(tree.children_of(parent)), node)


def _check_titles(titles: Mapping[str, str]) -> None:
    for lang, title in titles.items():
        if len(title) > MAX_TITLE:
            raise EditError(
                "title_too_long", f"the {lang!r} title is over {MAX_TITLE} characters", lang=lang, max=MAX_TITLE
            )


def _clean_text(text: str) -> str:
    """One kind of line break (a browser sends a textarea's as CRLF), no blank space around."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _clean_list(items: tuple[str, ...]) -> tuple[str, ...]:
    """Stripped, without blanks and repeats (compared case-insensitively), in the order given."""
    seen: set[str] = set()
    out: list[str] = []
    for item in (i.strip() for i in items):
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return tuple(out)


def update_node(tree: Tree, slug: str, edit: NodeEdit, *, seen: str | None = None) -> Tree:
    """Set a node's key, texts and (for an intent) action, queue and priority.

    `seen` is the node's fingerprint when the form was opened: if the node has changed since,
    the edit is refused rather than silently overwriting a colleague's work.
    """
    node = find(tree, slug)
    if seen is not None and seen != fingerprint(node):
        raise Conflict("stale", f"{slug!r} was changed by someone else since the form was opened", slug=slug)
    if edit.key is not None and edit.key not in KEYS:
        raise EditError("bad_key", "a key is a digit from 1 to 9 (0, * and # are the robot's own)")
    if edit.queue and not SLUG.match(edit.queue):
        raise EditError("bad_queue", "a queue is named like a slug: lower-case latin letters, digits and _")
    _check_titles({lang: t.title for lang, t in edit.texts.items()})
    texts = {
        lang: replace(
            t,
            title=_clean_text(t.title),
            prompt=_clean_text(t.prompt),
            short=_clean_text(t.short),
            long=_clean_text(t.long),
            phrases=_clean_list(t.phrases),
            keywords=_clean_list(t.keywords),
            tests=_clean_list(t.tests),
        )
        for lang, t in edit.texts.items()
        if lang in LANGUAGES
    }
    intent = node.kind is NodeKind.INTENT
    changed = replace(
        node,
        key=edit.key,
        texts=texts,
        action=edit.action if intent else Action.ANSWER,
        queue=(edit.queue or None) if intent else None,
        priority=edit.priority if intent else Priority.NORMAL,
    )
    return replace(tree, nodes=_update(tree.nodes, slug, lambda _: changed))


def move(tree: Tree, slug: str, *, parent: str | None, index: int) -> Tree:
    """Put a node (with its children) at `index` in `parent`'s menu; its key goes if taken there."""
    node = find(tree, slug)
    _category(tree, parent)
    ancestor = parent
    while ancestor is not None:
        if ancestor == slug:
            raise EditError("into_itself", "a node cannot go inside itself")
        ancestor = tree.parents.get(ancestor)
    without = replace(tree, nodes=_update(tree.nodes, slug, lambda _: None))
    siblings = without.children_of(parent)
    if node.key is not None and any(s.key == node.key for s in siblings):
        node = replace(node, key=None)
    return _insert(without, parent, index, node)


def shift(tree: Tree, slug: str, offset: int) -> Tree:
    """Up (-1) or down (+1) within its own menu; at either end nothing changes."""
    find(tree, slug)
    parent = tree.parents.get(slug)
    siblings = [n.slug for n in tree.children_of(parent)]
    target = siblings.index(slug) + offset
    if not 0 <= target < len(siblings):
        return tree
    return move(tree, slug, parent=parent, index=target)


def delete_node(tree: Tree, slug: str) -> Tree:
    """Remove an intent or an empty category; the tree keeps at least one node."""
    node = find(tree, slug)
    if node.children:
        count = len(node.children)
        raise EditError(
            "not_empty", f"{slug!r} still holds {count} node(s): move or delete them first", slug=slug, count=count
        )
    if len(tree.index) == 1:
        raise EditError("last_node", "the tree needs at least one node")
    return replace(tree, nodes=_update(tree.nodes, slug, lambda _: None))


def add_phrase(tree: Tree, slug: str, lang: str, phrase: str, *, test: bool = False) -> Tree:
    """Teach an intent one more example phrase (what citizens wrote and nothing matched), or make the
    phrase one of its test phrases (publishing then checks that it reaches the intent)."""
    node = find(tree, slug)
    phrase = " ".join(phrase.split())
    if not node.is_intent:
        raise EditError("not_intent", f"{slug!r} is a category: examples belong to intents", slug=slug)
    if lang not in LANGUAGES:
        raise EditError("bad_lang", f"the language is one of {', '.join(LANGUAGES)}")
    if not phrase or len(phrase) > MAX_PHRASE:
        raise EditError("bad_phrase", f"an example phrase has 1 to {MAX_PHRASE} characters", max=MAX_PHRASE)
    text = node.texts.get(lang) or NodeText(title="")
    field = "tests" if test else "phrases"
    if phrase.casefold() in {p.casefold() for p in getattr(text, field)}:
        raise EditError("phrase_exists", f"{slug!r} already has this example", slug=slug)
    grown = replace(text, tests=(*text.tests, phrase)) if test else replace(text, phrases=(*text.phrases, phrase))
    texts = {**node.texts, lang: grown}
    return replace(tree, nodes=_update(tree.nodes, slug, lambda n: replace(n, texts=texts)))


def set_welcome(tree: Tree, welcome: Mapping[str, str]) -> Tree:
    """The first words of every conversation, per language (empty: the robot's standard greeting)."""
    return replace(tree, welcome={lang: _clean_text(welcome[lang]) for lang in LANGUAGES if welcome.get(lang)})
