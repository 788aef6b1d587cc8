"""Content packs: the intent tree as a YAML file, validated with the line of every mistake.

A pack is read whole and checked before anything is written anywhere, so a bad file is refused
with its line and reason and never half-imported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from intents import checks
from intents.tree import Action, Node, NodeKind, NodeText, Priority, Tree

DEMO_PACK = Path(__file__).parent / "content" / "demo.yaml"
SLUG = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


class PackError(ValueError):
    """A pack that cannot be used; `line` is 1-based, 0 when unknown."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.line = line
        self.reason = reason


class TextSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=120)
    prompt: str = ""
    short: str = ""
    long: str = ""
    phrases: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)

    @field_validator("title", "prompt", "short", "long")
    @classmethod
    def strip(cls, value: str) -> str:
        return value.strip()


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str
    kind: NodeKind
    key: int | None = Field(default=None, ge=1, le=9)
    action: Action = Action.ANSWER
    queue: str | None = None
    priority: Priority = Priority.NORMAL
    uk: TextSpec
    ru: TextSpec
    children: list[NodeSpec] = Field(default_factory=list)

    @field_validator("slug")
    @classmethod
    def slug_shape(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("a slug is lower-case latin letters, digits and _ (2–63 characters)")
        return value


class PackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal[1] = 1
    name: str = ""
    welcome: dict[str, str] = Field(default_factory=dict)
    tree: list[NodeSpec] = Field(min_length=1)


def _line_index(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    """Record the line of every mapping key and sequence item, keyed by its path in the document."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_path = (*path, key_node.value)
            _line_index(value_node, key_path, out)
            out[key_path] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_index(item, (*path, index), out)


def _closest_line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 0


def parse_pack(source: str) -> Tree:
    """Validate a pack's YAML text and build its tree; raise PackError with the offending line."""
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PackError(mark.line + 1 if mark else 0, f"not valid YAML: {exc}") from None
    if root is None or not isinstance(data, dict):
        raise PackError(1, "a pack is a mapping with 'format', 'welcome' and 'tree'")
    lines: dict[tuple[Any, ...], int] = {}
    _line_index(root, (), lines)
    try:
        spec = PackSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = ".".join(str(part) for part in loc)
        raise PackError(_closest_line(lines, loc), f"{where}: {first['msg']}") from None
    tree = Tree(nodes=tuple(_build(n) for n in spec.tree), welcome=dict(spec.welcome))
    # The same rules the admin editor shows before publishing (intents/checks.py).
    for problem in checks.structure(tree):
        raise PackError(_closest_line(lines, _pack_location(problem)), problem.message)
    return tree


def _pack_location(problem: checks.Problem) -> tuple[Any, ...]:
    """Where a problem's node and field sit in the pack document: ('tree', 0, 'children', 2, 'key')."""
    location: tuple[Any, ...] = ("tree",)
    for depth, index in enumerate(problem.path):
        location += (index,) if depth == 0 else ("children", index)
    return location + tuple(part for part in (problem.lang, problem.field) if part)


def _build(spec: NodeSpec) -> Node:
    texts = {
        lang: NodeText(
            title=t.title,
            prompt=t.prompt,
            short=t.short,
            long=t.long,
            phrases=tuple(p.strip() for p in t.phrases if p.strip()),
            keywords=tuple(k.strip() for k in t.keywords if k.strip()),
        )
        for lang, t in (("uk", spec.uk), ("ru", spec.ru))
    }
    return Node(
        slug=spec.slug,
        kind=spec.kind,
        texts=texts,
        key=spec.key,
        action=spec.action,
        queue=spec.queue,
        priority=spec.priority,
        children=tuple(_build(c) for c in spec.children),
    )


def load_pack(path: Path) -> Tree:
    """Read and validate a pack file."""
    return parse_pack(path.read_text(encoding="utf-8"))


def _node_dict(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"slug": node.slug, "kind": node.kind.value}
    if node.key is not None:
        out["key"] = node.key
    if node.kind is NodeKind.INTENT:
        out["action"] = node.action.value
        if node.queue:
            out["queue"] = node.queue
        if node.priority is not Priority.NORMAL:
            out["priority"] = node.priority.value
    for lang, text in node.texts.items():
        fields: dict[str, Any] = {"title": text.title}
        for name in ("prompt", "short", "long"):
            if value := getattr(text, name):
                fields[name] = value
        fields["phrases"] = list(text.phrases)
        fields["keywords"] = list(text.keywords)
        out[lang] = fields
    if node.children:
        out["children"] = [_node_dict(c) for c in node.children]
    return out


class _PackDumper(yaml.SafeDumper):
    """Multi-line answers as block scalars, so exported packs stay readable and diffable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_PackDumper.add_representer(str, _str)


def dump_pack(tree: Tree, name: str = "") -> str:
    """The tree as pack YAML; `parse_pack(dump_pack(t))` gives back an equal tree."""
    document = {
        "format": 1,
        "name": name,
        "welcome": dict(tree.welcome),
        "tree": [_node_dict(n) for n in tree.nodes],
    }
    return yaml.dump(document, Dumper=_PackDumper, allow_unicode=True, sort_keys=False, width=100)
