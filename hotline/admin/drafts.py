"""The tree as admins work on it: edit the draft, check it, publish it, look back, roll back.

Every change runs in the caller's transaction with the draft row locked, and is written to the
audit log with the exact field changes. Conversations already running keep the version they
started on (their state carries it); a publish only decides what new conversations get.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.admin import audit
from hotline.admin.diff import Change, diff
from hotline.admin.editor import EditError
from hotline.admin.errors import AdminError, NotFound
from intents import checks, versions
from intents.checks import Problem
from intents.models import DRAFT, PUBLISHED, TreeVersion
from intents.screening import checks as screening_checks
from intents.tree import Tree
from intents.understanding import Understanding
from intents.vectors import Store

MAX_NOTE = 500


class Invalid(AdminError):
    """The draft breaks rules that must hold before it is published."""

    status_code = 422

    def __init__(self, problems: Sequence[Problem]) -> None:
        message = f"{len(problems)} problem(s) must be fixed before publishing: {problems[0].message}"
        super().__init__("invalid", message, count=len(problems))
        self.problems = list(problems)


class UnknownVersion(NotFound):
    pass


def content_key(tree: Tree) -> str:
    """Equal for trees that say and understand the same, whatever their version number."""
    return hashlib.sha256(repr((tree.nodes, sorted(tree.welcome.items()))).encode()).hexdigest()


class MatcherCache:
    """Matchers of the last few draft trees by content: "try it" and checks then cost one build per edit.

    Building one computes the phrase vectors of the second opinion that `stores` lack and keeps them
    there, so by the time a draft is published every worker finds its vectors ready.
    """

    def __init__(self, size: int = 2, *, stores: Sequence[Store] = (), second_opinion: bool = True) -> None:
        self.size = size
        self.stores = list(stores)
        self.second_opinion = second_opinion
        self._built: OrderedDict[str, Understanding] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tree: Tree) -> Understanding:
        key = content_key(tree)
        with self._lock:
            if key in self._built:
                self._built.move_to_end(key)
                return self._built[key]
        # Outside the lock: a build takes a while.
        matcher = Understanding.build(tree, second_opinion=self.second_opinion, stores=self.stores)
        with self._lock:
            self._built[key] = matcher
            while len(self._built) > self.size:
                self._built.popitem(last=False)
        return matcher


def published(session: Session) -> Tree | None:
    version_id = versions.current_version_id(session)
    return versions.load(session, version_id=version_id) if version_id else None


def draft(session: Session, *, author: str = "") -> Tree:
    """The draft; the first time, a copy of the published tree (which must exist)."""
    row = versions.get_draft(session)
    if row is None:
        current_id = versions.current_version_id(session)
        current = session.get(TreeVersion, current_id, with_for_update=True) if current_id else None  # one maker
        if current is None:
            raise NotFound("nothing_published", "nothing is published yet: import a content pack first")
        row = versions.get_draft(session) or versions.save_draft(session, tree=versions.to_tree(current), author=author)
    return versions.to_tree(row)


def _lock_draft(session: Session) -> None:
    """Serialise edits of the draft (PostgreSQL row lock; SQLite serialises writers itself)."""
    session.scalar(select(TreeVersion.id).where(TreeVersion.status == DRAFT).with_for_update())


def edit(
    session: Session, *, actor: audit.Actor, action: str, target: str, change: Callable[[Tree], Tree]
) -> list[Change]:
    """Apply one editor function to the draft and audit what it changed (nothing changed: nothing written)."""
    _lock_draft(session)
    before = draft(session, author=actor.username)
    after = change(before)
    changes = diff(before, after)
    if changes:
        versions.save_draft(session, tree=after, author=actor.username)
        audit.record(
            session, actor=actor, action=action, target=target, detail={"changes": [c.as_dict() for c in changes]}
        )
    return changes


def import_tree(session: Session, *, actor: audit.Actor, tree: Tree, source: str) -> None:
    """Make a whole tree (a content pack) the draft, audited; `publish` then checks it like any draft."""
    _lock_draft(session)
    versions.save_draft(session, tree=tree, author=actor.username)
    audit.record(session, actor=actor, action="tree.import", target=source[:200], detail={"nodes": len(tree.index)})


def problems(tree: Tree, matcher: Understanding | None) -> list[Problem]:
    """Everything that blocks publishing; phrase reachability only when a matcher is given."""
    found = checks.structure(tree) + checks.translations(tree) + screening_checks.structure(tree)
    if matcher is not None:
        found += checks.unreachable(tree, lambda text, lang: matcher.match(text, lang).intent)
        found += checks.failing_tests(tree, lambda text, lang: matcher.match(text, lang).intent)
    return found


def _note(note: str) -> str:
    note = note.strip()
    if not note or len(note) > MAX_NOTE:
        raise EditError("need_note", f"write a note of 1 to {MAX_NOTE} characters for the history", max=MAX_NOTE)
    return note


def publish(session: Session, *, actor: audit.Actor, note: str, matchers: MatcherCache | None) -> TreeVersion:
    """Make the draft the tree every new conversation gets, if it passes every check (`matchers` None: all
    but the phrase checks, for a pack whose phrases were checked where it was made)."""
    note = _note(note)
    _lock_draft(session)
    tree = draft(session, author=actor.username)
    found = problems(tree, matchers.get(tree) if matchers is not None else None)
    if found:
        raise Invalid(found)
    current = published(session)
    changes = diff(current, tree) if current else []
    if current is not None and not changes:
        raise EditError("nothing_to_publish", "the draft is the same as the published tree")
    version = versions.publish(session, author=actor.username, note=note)
    detail = {"note": note, "changes": [c.as_dict() for c in changes]}
    audit.record(session, actor=actor, action="tree.publish", target=f"version {version.id}", detail=detail)
    return version


def rollback(session: Session, *, actor: audit.Actor, version_id: int, note: str) -> TreeVersion:
    """Publish an earlier version's tree again, as a new version (the draft becomes that tree too)."""
    note = _note(note)
    old = session.get(TreeVersion, version_id)
    if old is None or old.status != PUBLISHED:
        raise UnknownVersion("unknown_version", f"there is no published version {version_id}", id=version_id)
    tree = versions.to_tree(old)
    _lock_draft(session)
    versions.save_draft(session, tree=tree, author=actor.username)
    version = versions.publish(session, author=actor.username, note=f"rollback to version {version_id}: {note}")
    detail = {"note": note, "from_version": version_id}
    audit.record(session, actor=actor, action="tree.rollback", target=f"version {version.id}", detail=detail)
    return version


def history(session: Session, *, limit: int = 100) -> list[TreeVersion]:
    query = select(TreeVersion).where(TreeVersion.status == PUBLISHED).order_by(TreeVersion.id.desc())
    return list(session.scalars(query.limit(limit)))


def tree_of(session: Session, version_id: int) -> Tree:
    """A published version's tree; 0 means the draft."""
    if version_id == 0:
        return draft(session)
    row = session.get(TreeVersion, version_id)
    if row is None or row.status != PUBLISHED:
        raise UnknownVersion("unknown_version", f"there is no published version {version_id}", id=version_id)
    return versions.to_tree(row)


def unpublished(session: Session) -> list[Change]:
    """What the draft would change if published now."""
    current = published(session)
    return diff(current, draft(session)) if current else []


@dataclass(frozen=True)
class Tried:
    intent: str | None
    score: float
    ambiguous: bool
    alternatives: list[tuple[str, float]]
    confirm: str | None = None  # no direct answer: the intent the robot would ask about


def try_text(matcher: Understanding, text: str, lang: str) -> Tried:
    """What the draft's matcher makes of a phrase."""
    found = matcher.match(text, lang)
    alternatives = [(c.slug, c.score) for c in found.alternatives]
    return Tried(found.intent, found.score, found.ambiguous, alternatives, found.confirm)
