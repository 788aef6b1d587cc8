"""Rules a tree must keep before it is published, shared by pack import and the admin editor. Pure.

Every problem names its node by slug and by position (`path`: indexes from the top menu down), plus
the field and language where that helps, so a pack can point at a line and the editor at a field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from intents.tree import LANGUAGES, Action, Node, NodeKind, Tree

Path = tuple[int, ...]
# Another office's business and small talk are understood from words; a menu key would offer them.
_NEVER_ON_A_KEY = frozenset({Action.REFERRAL, Action.SMALLTALK})


@dataclass(frozen=True)
class Problem:
    code: str  # duplicate_slug, duplicate_key, empty_category, intent_children, empty_answer, ...
    message: str
    slug: str
    path: Path
    field: str = ""
    lang: str = ""
    detail: str = ""  # the key used twice, the language written, where a phrase went instead


def with_paths(tree: Tree) -> Iterator[tuple[Node, Path]]:
    """Every node with its position, depth first in menu order."""

    def visit(nodes: Sequence[Node], path: Path) -> Iterator[tuple[Node, Path]]:
        for index, node in enumerate(nodes):
            yield node, (*path, index)
            yield from visit(node.children, (*path, index))

    return visit(tree.nodes, ())


def structure(tree: Tree) -> list[Problem]:
    """Slugs unique, keys unique per menu, categories with children, intents with answers."""
    problems: list[Problem] = []
    seen: set[str] = set()
    menus: dict[Path, set[int]] = {}
    for node, path in with_paths(tree):
        if node.slug in seen:
            problems.append(Problem("duplicate_slug", f"slug {node.slug!r} is used twice", node.slug, path, "slug"))
        seen.add(node.slug)
        keys = menus.setdefault(path[:-1], set())
        if node.key is not None:
            if node.key in keys:
                message = f"key {node.key} is used twice in one menu"
                problems.append(Problem("duplicate_key", message, node.slug, path, "key", detail=str(node.key)))
            keys.add(node.key)
        problems.extend(_kind_problems(node, path))
    return problems


def _kind_problems(node: Node, path: Path) -> Iterator[Problem]:
    if node.action in _NEVER_ON_A_KEY and node.key is not None:
        message = f"{node.slug!r}: a {node.action.value} node is reached by words, never on a phone menu key"
        yield Problem("referral_key", message, node.slug, path, "key", detail=str(node.key))
    if node.kind is NodeKind.CATEGORY and not node.children:
        yield Problem("empty_category", f"category {node.slug!r} has no children", node.slug, path)
    if node.kind is NodeKind.INTENT:
        if node.children:
            yield Problem("intent_children", f"intent {node.slug!r} cannot have children", node.slug, path)
        for lang in LANGUAGES:
            text = node.texts.get(lang)
            if text is not None and (not text.short.strip() or not text.long.strip()):
                field = "long" if text.short.strip() else "short"
                message = f"intent {node.slug!r} needs a short and a long answer in {lang!r}"
                yield Problem("empty_answer", message, node.slug, path, field, lang)


# What each kind of node must say in every language once it says it in one.
_TRANSLATED = {NodeKind.CATEGORY: ("title", "prompt"), NodeKind.INTENT: ("title", "short", "long")}


def translations(tree: Tree, languages: Sequence[str] = LANGUAGES) -> list[Problem]:
    """Every node has every language, and no text is written in one language but not another."""
    problems: list[Problem] = []
    for node, path in with_paths(tree):
        for lang in languages:
            text = node.texts.get(lang)
            if text is None:
                message = f"{node.slug!r} has no {lang!r} version"
                problems.append(Problem("missing_translation", message, node.slug, path, "title", lang))
                continue
            for field in _TRANSLATED[node.kind]:
                written = [o for o in languages if o != lang and getattr(node.texts.get(o), field, "").strip()]
                if written and not getattr(text, field).strip():
                    message = f"{node.slug!r}: the {field} is written in {written[0]!r} but not in {lang!r}"
                    problems.append(
                        Problem("missing_translation", message, node.slug, path, field, lang, detail=written[0])
                    )
    return problems


def unreachable(
    tree: Tree, match: Callable[[str, str], str | None], languages: Sequence[str] = LANGUAGES
) -> list[Problem]:
    """Intents that none of their own example phrases in a language reaches through `match`."""
    problems: list[Problem] = []
    for node, path in with_paths(tree):
        if not node.is_intent:
            continue
        for lang in languages:
            phrases = node.texts[lang].phrases if lang in node.texts else ()
            # The first phrase that reaches the intent settles it: the others need not be matched.
            found = (match(phrase, lang) for phrase in phrases)
            first = next(found, None)
            if first == node.slug or node.slug in found:
                continue
            went = first or ""
            if phrases:
                where = went or "nothing"
                message = f"no {lang!r} example phrase reaches {node.slug!r} ({phrases[0]!r} goes to {where})"
            else:
                message = f"{node.slug!r} has no {lang!r} example phrases, so free text never reaches it"
            problems.append(Problem("unreachable", message, node.slug, path, "phrases", lang, detail=went))
    return problems


def failing_tests(tree: Tree, match: Callable[[str, str], str | None]) -> list[Problem]:
    """Every test phrase that does not reach its own intent, with what it reached instead."""
    problems: list[Problem] = []
    for node, path in with_paths(tree):
        for lang, text in node.texts.items() if node.is_intent else ():
            for phrase in text.tests:
                went = match(phrase, lang)
                if went == node.slug:
                    continue
                message = f"test phrase {phrase!r} ({lang}) of {node.slug!r} reaches {went or 'nothing'}"
                detail = f"«{phrase}» → {went or '—'}"
                problems.append(Problem("test_phrase", message, node.slug, path, "tests", lang, detail=detail))
    return problems
