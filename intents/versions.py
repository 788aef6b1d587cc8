"""Draft and published versions of the tree in SQL: save, publish, load."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intents.models import DRAFT, PUBLISHED, TreeNode, TreeNodeText, TreeVersion
from intents.screening import spec as screening_spec
from intents.tree import Action, Node, NodeKind, NodeText, Priority, Tree


def _rows(tree: Tree) -> list[TreeNode]:
    rows: list[TreeNode] = []
    for position, (node, path) in enumerate(tree.walk()):
        rows.append(
            TreeNode(
                slug=node.slug,
                parent_slug=path[-1] if path else None,
                position=position,
                kind=node.kind.value,
                key=node.key,
                action=node.action.value,
                queue=node.queue,
                priority=node.priority.value,
                texts=[
                    TreeNodeText(
                        lang=lang,
                        title=t.title,
                        prompt=t.prompt,
                        short=t.short,
                        long=t.long,
                        phrases=list(t.phrases),
                        keywords=list(t.keywords),
                        tests=list(t.tests),
                    )
                    for lang, t in node.texts.items()
                ],
            )
        )
    return rows


def get_draft(session: Session) -> TreeVersion | None:
    return session.scalar(select(TreeVersion).where(TreeVersion.status == DRAFT))


def save_draft(session: Session, *, tree: Tree, author: str = "") -> TreeVersion:
    """Replace the draft with `tree` (creating the draft if there is none)."""
    draft = get_draft(session)
    if draft is None:
        draft = TreeVersion(status=DRAFT, created_by=author)
        session.add(draft)
    draft.welcome = dict(tree.welcome)
    draft.screenings = _screenings(tree)
    draft.nodes.clear()
    session.flush()  # the old rows go before the new ones arrive: slugs are unique per version
    draft.nodes = _rows(tree)
    session.flush()
    return draft


def publish(session: Session, *, author: str = "", note: str = "") -> TreeVersion:
    """Copy the draft into a new published version, in the caller's transaction."""
    draft = get_draft(session)
    if draft is None:
        raise LookupError("there is no draft to publish")
    tree = to_tree(draft)
    version = TreeVersion(
        status=PUBLISHED,
        note=note,
        welcome=dict(tree.welcome),
        screenings=_screenings(tree),
        created_by=author,
        published_at=func.now(),
        nodes=_rows(tree),
    )
    session.add(version)
    session.flush()
    return version


def current_version_id(session: Session) -> int | None:
    """The id of the tree every conversation starting now uses."""
    return session.scalar(select(func.max(TreeVersion.id)).where(TreeVersion.status == PUBLISHED))


def load(session: Session, *, version_id: int) -> Tree | None:
    version = session.get(TreeVersion, version_id)
    return to_tree(version) if version else None


def to_tree(version: TreeVersion) -> Tree:
    """Rebuild the immutable tree from a version's rows."""
    children: dict[str | None, list[TreeNode]] = {}
    for row in sorted(version.nodes, key=lambda r: r.position):
        children.setdefault(row.parent_slug, []).append(row)

    def build(row: TreeNode) -> Node:
        return Node(
            slug=row.slug,
            kind=NodeKind(row.kind),
            texts={
                t.lang: NodeText(
                    title=t.title,
                    prompt=t.prompt,
                    short=t.short,
                    long=t.long,
                    phrases=tuple(t.phrases),
                    keywords=tuple(t.keywords),
                    tests=tuple(t.tests or ()),
                )
                for t in sorted(row.texts, key=lambda t: t.lang != "uk")
            },
            key=row.key,
            action=Action(row.action),
            queue=row.queue,
            priority=Priority(row.priority),
            children=tuple(build(c) for c in children.get(row.slug, [])),
        )

    return Tree(
        nodes=tuple(build(r) for r in children.get(None, [])),
        welcome=dict(version.welcome or {}),
        version=version.id if version.status == PUBLISHED else 0,
        screenings={slug: screening_spec.from_data(slug, data) for slug, data in (version.screenings or {}).items()},
    )


def _screenings(tree: Tree) -> dict[str, object]:
    return {slug: screening_spec.to_data(questionnaire) for slug, questionnaire in tree.screenings.items()}
