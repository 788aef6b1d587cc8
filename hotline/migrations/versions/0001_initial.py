"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 01:15:45.509714
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("tree_version", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handoff_queue", sa.String(length=63), nullable=True),
        sa.Column("ended", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversations_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_external_id"), ["external_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_started_at"), ["started_at"], unique=False)

    op.create_table(
        "tree_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("welcome", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tree_versions")),
    )
    with op.batch_alter_table("tree_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tree_versions_status"), ["status"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "conversation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=63), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_events_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_events")),
        sa.UniqueConstraint("conversation_id", "step", "seq", name=op.f("uq_conversation_events_conversation_id")),
    )
    with op.batch_alter_table("conversation_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversation_events_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversation_events_intent"), ["intent"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversation_events_kind"), ["kind"], unique=False)

    op.create_table(
        "queue_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("queue", sa.String(length=63), nullable=True),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("wait_seconds", sa.Double(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_queue_events_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["operator_id"], ["users.id"], name=op.f("fk_queue_events_operator_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_events")),
    )
    with op.batch_alter_table("queue_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queue_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_queue_events_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_queue_events_event"), ["event"], unique=False)
        batch_op.create_index(batch_op.f("ix_queue_events_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_queue_events_queue"), ["queue"], unique=False)

    op.create_table(
        "tree_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("parent_slug", sa.String(length=63), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("queue", sa.String(length=63), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["tree_versions.id"],
            name=op.f("fk_tree_nodes_version_id_tree_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tree_nodes")),
        sa.UniqueConstraint("version_id", "slug", name=op.f("uq_tree_nodes_version_id")),
    )
    with op.batch_alter_table("tree_nodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tree_nodes_version_id"), ["version_id"], unique=False)

    op.create_table(
        "tree_node_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("short", sa.Text(), nullable=False),
        sa.Column("long", sa.Text(), nullable=False),
        sa.Column("phrases", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["tree_nodes.id"], name=op.f("fk_tree_node_texts_node_id_tree_nodes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tree_node_texts")),
        sa.UniqueConstraint("node_id", "lang", name=op.f("uq_tree_node_texts_node_id")),
    )
    with op.batch_alter_table("tree_node_texts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tree_node_texts_node_id"), ["node_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tree_node_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tree_node_texts_node_id"))

    op.drop_table("tree_node_texts")
    with op.batch_alter_table("tree_nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tree_nodes_version_id"))

    op.drop_table("tree_nodes")
    with op.batch_alter_table("queue_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_events_queue"))
        batch_op.drop_index(batch_op.f("ix_queue_events_operator_id"))
        batch_op.drop_index(batch_op.f("ix_queue_events_event"))
        batch_op.drop_index(batch_op.f("ix_queue_events_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_queue_events_at"))

    op.drop_table("queue_events")
    with op.batch_alter_table("conversation_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_events_kind"))
        batch_op.drop_index(batch_op.f("ix_conversation_events_intent"))
        batch_op.drop_index(batch_op.f("ix_conversation_events_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_conversation_events_at"))

    op.drop_table("conversation_events")
    op.drop_table("users")
    with op.batch_alter_table("tree_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tree_versions_status"))

    op.drop_table("tree_versions")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_started_at"))
        batch_op.drop_index(batch_op.f("ix_conversations_external_id"))
        batch_op.drop_index(batch_op.f("ix_conversations_channel"))

    op.drop_table("conversations")
