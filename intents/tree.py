"""The intent tree as the engine and the matcher see it: immutable, language-aware, no I/O.

A tree is built from the YAML content pack or from a published SQL version; both give the same
`Tree`. Categories have children and a voice prompt; intents carry answers and an action.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from intents.screening.model import Questionnaire

LANGUAGES: tuple[str, ...] = ("uk", "ru")


class NodeKind(StrEnum):
    CATEGORY = "category"
    INTENT = "intent"


class Action(StrEnum):
    ANSWER = "answer"
    HANDOFF = "handoff"
    REGISTRY_CERTIFICATE = "registry_certificate"
    BENEFIT_SCREENING = "benefit_screening"
    EMERGENCY = "emergency"
    REFERRAL = "referral"  # another office's business: the answer names that office and how to reach it
    SMALLTALK = "smalltalk"  # thanks, greetings, "are you a robot?": a brief answer, the citizen keeps their place


class Priority(StrEnum):
    EMERGENCY = "emergency"
    NORMAL = "normal"


@dataclass(frozen=True)
class NodeText:
    """What one node says and understands in one language."""

    title: str
    prompt: str = ""
    short: str = ""
    long: str = ""
    phrases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()  # phrases that must reach this intent before a version is published


@dataclass(frozen=True)
class Node:
    slug: str
    kind: NodeKind
    texts: Mapping[str, NodeText]
    key: int | None = None
    action: Action = Action.ANSWER
    queue: str | None = None
    priority: Priority = Priority.NORMAL
    children: tuple[Node, ...] = ()

    def __hash__(self) -> int:
        # Slugs are unique in a tree; the texts mapping itself cannot be hashed.
        return hash(self.slug)

    def text(self, lang: str) -> NodeText:
        """The node's text in `lang`, falling back to the first language it has."""
        return self.texts.get(lang) or next(iter(self.texts.values()))

    def child_by_key(self, key: int) -> Node | None:
        return next((c for c in self.children if c.key == key), None)

    @property
    def is_intent(self) -> bool:
        return self.kind is NodeKind.INTENT


@dataclass(frozen=True)
class Tree:
    """A whole tree: top-level nodes plus the welcome text; `version` is the published version id.

    `screenings` holds the questionnaires of `benefit_screening` intents, by the intent's slug.
    """

    nodes: tuple[Node, ...]
    welcome: Mapping[str, str] = field(default_factory=dict)
    version: int = 0
    screenings: Mapping[str, Questionnaire] = field(default_factory=dict)

    def walk(self) -> Iterator[tuple[Node, tuple[str, ...]]]:
        """Every node with the slugs of its ancestors (root first), depth first, in menu order."""

        def visit(node: Node, path: tuple[str, ...]) -> Iterator[tuple[Node, tuple[str, ...]]]:
            yield node, path
            for child in node.children:
                yield from visit(child, (*path, node.slug))

        for top in self.nodes:
            yield from visit(top, ())

    @cached_property
    def index(self) -> dict[str, Node]:
        """Slug → node."""
        return {node.slug: node for node, _ in self.walk()}

    @cached_property
    def parents(self) -> dict[str, str | None]:
        """Slug → the slug of its parent (None for a top-level node)."""
        return {node.slug: (path[-1] if path else None) for node, path in self.walk()}

    def intents(self) -> list[Node]:
        return [node for node, _ in self.walk() if node.is_intent]

    def children_of(self, slug: str | None) -> tuple[Node, ...]:
        """The menu under `slug`; None is the top menu."""
        if slug is None:
            return self.nodes
        node = self.index.get(slug)
        return node.children if node else ()
