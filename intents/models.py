"""SQL records of the intent tree: a version row, its nodes and their texts per language.

There is at most one draft; publishing copies it into a new, immutable published version. The
current tree is the published version with the highest id, so a rollback is a new version too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, utcnow

DRAFT = "draft"
PUBLISHED = "published"


class TreeVersion(Base):
    __tablename__ = "tree_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    welcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Questionnaires of benefit_screening intents by slug (intents/screening/spec.py); None in older rows.
    screenings: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    nodes: Mapped[list[TreeNode]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="TreeNode.position"
    )


class TreeNode(Base):
    __tablename__ = "tree_nodes"
    __table_args__ = (UniqueConstraint("version_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("tree_versions.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(63))
    parent_slug: Mapped[str | None] = mapped_column(String(63), default=None)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[int | None] = mapped_column(default=None)
    action: Mapped[str] = mapped_column(String(32), default="answer")
    queue: Mapped[str | None] = mapped_column(String(63), default=None)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    version: Mapped[TreeVersion] = relationship(back_populates="nodes")
    texts: Mapped[list[TreeNodeText]] = relationship(
        back_populates="node", cascade="all, delete-orphan", lazy="selectin"
    )


class TreeNodeText(Base):
    __tablename__ = "tree_node_texts"
    __table_args__ = (UniqueConstraint("node_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("tree_nodes.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(120))
    prompt: Mapped[str] = mapped_column(Text, default="")
    short: Mapped[str] = mapped_column(Text, default="")
    long: Mapped[str] = mapped_column(Text, default="")
    phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    tests: Mapped[list[str]] = mapped_column(JSON, default=list)  # phrases that must reach this intent to publish
    node: Mapped[TreeNode] = relationship(back_populates="texts")


class PhraseVector(Base):
    """A phrase's sentence vector (float16) by a hash of the model and the text: computed once, for every version."""

    __tablename__ = "phrase_vectors"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
