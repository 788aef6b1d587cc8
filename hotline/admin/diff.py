"""What changed between two trees, field by field: for the version history, publishing and the audit."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import yaml

from intents.screening import spec as screening_spec
from intents.tree import LANGUAGES, Node, NodeText, Tree

NODE_FIELDS = ("kind", "key", "action", "queue", "priority")
TEXT_FIELDS = ("title", "prompt", "short", "long", "phrases", "keywords", "tests")


@dataclass(frozen=True)
class Change:
    slug: str  # "" for the welcome text
    what: str  # added | removed | moved | reordered | changed
    field: str = ""
    lang: str = ""
    old: str = ""
    new: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}


def _value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return "\n".join(str(v) for v in value)
    return str(value)


def _title(node: Node) -> str:
    return next((t.title for t in node.texts.values() if t.title), node.slug)


def diff(old: Tree, new: Tree) -> list[Change]:
    """Changes from `old` to `new`, in the new tree's order (removed nodes last)."""
    changes = [
        Change("", "changed", "welcome", lang, old.welcome.get(lang, ""), new.welcome.get(lang, ""))
        for lang in LANGUAGES
        if old.welcome.get(lang, "") != new.welcome.get(lang, "")
    ]
    for node, _ in new.walk():
        before = old.index.get(node.slug)
        if before is None:
            changes.append(Change(node.slug, "added", new=_title(node)))
            continue
        was, now = old.parents[node.slug] or "", new.parents[node.slug] or ""
        if was != now:
            changes.append(Change(node.slug, "moved", "parent", "", was, now))
        changes.extend(_node_changes(before, node))
    changes.extend(_reorders(old, new))
    changes.extend(Change(n.slug, "removed", old=_title(n)) for n, _ in old.walk() if n.slug not in new.index)
    changes.extend(_screenings(old, new))
    return changes


def _screenings(old: Tree, new: Tree) -> list[Change]:
    """A questionnaire made, changed or removed: the whole of it as the pack writes it, before and after."""
    changes: list[Change] = []
    for slug in sorted({*old.screenings, *new.screenings}):
        before, after = old.screenings.get(slug), new.screenings.get(slug)
        if before != after:
            was = _pack_text(screening_spec.to_data(before)) if before else ""
            now = _pack_text(screening_spec.to_data(after)) if after else ""
            changes.append(Change(slug, "changed", "screening", "", was, now))
    return changes


def _pack_text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _node_changes(old: Node, new: Node) -> list[Change]:
    changes = [
        Change(new.slug, "changed", name, "", _value(getattr(old, name)), _value(getattr(new, name)))
        for name in NODE_FIELDS
        if getattr(old, name) != getattr(new, name)
    ]
    for lang in LANGUAGES:
        before = old.texts.get(lang) or NodeText(title="")
        after = new.texts.get(lang) or NodeText(title="")
        for name in TEXT_FIELDS:
            a, b = getattr(before, name), getattr(after, name)
            if a != b:
                changes.append(Change(new.slug, "changed", name, lang, _value(a), _value(b)))
    return changes


def _reorders(old: Tree, new: Tree) -> list[Change]:
    """A menu whose remaining options now come in another order (additions and moves aside)."""
    changes: list[Change] = []
    menus = {None, *(n.slug for n, _ in new.walk() if n.children)}
    for menu in sorted(menus, key=lambda m: m or ""):
        after = [n.slug for n in new.children_of(menu)]
        before = [n.slug for n in old.children_of(menu) if n.slug in after]
        after = [s for s in after if s in before]
        if before != after:
            changes.append(Change(menu or "", "reordered", "order", "", ", ".join(before), ", ".join(after)))
    return changes
