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
from intents.screening import checks as screening_checks
from intents.screening import spec as screening_spec
from intents.tree import Action, Node, NodeKind, NodeText, Priority, Tree

DEMO_PACK = Path(__file__).parent / "content" / "demo.yaml"
# libyaml's parser where PyYAML has it (its wheels do): the demo pack, which every fresh database loads on the
# service's first start, parses in a tenth of the pure-Python parser's time. Same documents, same line numbers.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SLUG = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


class PackError(ValueError):
    """A pack that cannot be used; `line` is 1-based, 0 when unknown; `file` names an included file."""

    def __init__(self, line: int, reason: str, file: str = "") -> None:
        where = f"{file} line {line}" if file else f"line {line}"
        super().__init__(f"{where}: {reason}" if line else f"{file}: {reason}" if file else reason)
        self.line = line
        self.reason = reason
        self.file = file


class TextSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=120)
    prompt: str = ""
    short: str = ""
    long: str = ""
    phrases: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    tests: list[str] = Field(default_factory=list)

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
    # Questionnaires of benefit_screening intents, by the intent's slug (intents/screening).
    screenings: dict[str, screening_spec.ScreeningSpec] = Field(default_factory=dict)


class IncludedSpec(BaseModel):
    """What a pack may take from an included file."""

    model_config = ConfigDict(extra="forbid")
    screenings: dict[str, screening_spec.ScreeningSpec] = Field(default_factory=dict)


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


def _document(source: str, file: str = "") -> tuple[dict[str, Any], dict[tuple[Any, ...], int]]:
    """A YAML mapping and the line of each of its parts."""
    loader = _LOADER(source)
    try:  # parsed once: the lines come from the nodes the data is built from
        root = loader.get_single_node()
        data = None if root is None else loader.construct_document(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PackError(mark.line + 1 if mark else 0, f"not valid YAML: {exc}", file) from None
    finally:
        loader.dispose()
    if root is None or not isinstance(data, dict):
        raise PackError(1, "a pack is a mapping with 'format', 'welcome' and 'tree'", file)
    lines: dict[tuple[Any, ...], int] = {}
    _line_index(root, (), lines)
    return data, lines


def _validated(data: dict[str, Any], lines: dict[tuple[Any, ...], int], file: str = "") -> PackSpec:
    try:
        return PackSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = ".".join(str(part) for part in loc)
        raise PackError(_closest_line(lines, loc), f"{where}: {first['msg']}", file) from None


def _included(data: dict[str, Any], folder: Path | None) -> dict[str, Any]:
    """The parts a pack takes from its `include:` files (paths beside the pack), each file checked with its
    own lines. Only whole parts come from a file (`screenings`), and only parts the pack leaves out."""
    names = data.pop("include", None) or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise PackError(0, "include: a list of file names")
    if names and folder is None:
        raise PackError(0, "include: only a pack read from a file may include other files")
    parts: dict[str, Any] = {}
    for name in names:
        assert folder is not None
        path = folder / name
        if not path.is_file() or folder.resolve() not in path.resolve().parents:
            raise PackError(0, f"include: there is no file {name!r} beside the pack")
        included, lines = _document(path.read_text(encoding="utf-8"), name)
        for part in included:
            if part in data or part in parts:
                raise PackError(lines.get((part,), 1), f"{part}: the pack has it already", name)
        try:
            IncludedSpec.model_validate(included)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = tuple(first["loc"])
            where = ".".join(str(p) for p in loc)
            raise PackError(_closest_line(lines, loc), f"{where}: {first['msg']}", name) from None
        parts.update(included)
    return parts


def parse_pack(source: str, *, folder: Path | None = None) -> Tree:
    """Validate a pack's YAML text and build its tree; raise PackError with the offending line.

    `folder` is where the pack's `include:` files are (a pack read from a file: its folder)."""
    data, lines = _document(source)
    data.update(_included(data, folder))
    spec = _validated(data, lines)
    tree = Tree(
        nodes=tuple(_build(n) for n in spec.tree),
        welcome=dict(spec.welcome),
        screenings={slug: screening_spec.build(slug, s) for slug, s in spec.screenings.items()},
    )
    # The same rules the admin editor shows before publishing (intents/checks.py, intents/screening/checks.py).
    for problem in checks.structure(tree) + screening_checks.structure(tree):
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
            tests=tuple(p.strip() for p in t.tests if p.strip()),
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
    """Read and validate a pack file (and the files it includes, beside it)."""
    return parse_pack(path.read_text(encoding="utf-8"), folder=path.parent)


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
        if text.tests:
            fields["tests"] = list(text.tests)
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
    document: dict[str, Any] = {
        "format": 1,
        "name": name,
        "welcome": dict(tree.welcome),
        "tree": [_node_dict(n) for n in tree.nodes],
    }
    if tree.screenings:
        document["screenings"] = {slug: screening_spec.to_data(q) for slug, q in tree.screenings.items()}
    return yaml.dump(document, Dumper=_PackDumper, allow_unicode=True, sort_keys=False, width=100)
