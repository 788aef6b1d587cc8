"""chat: abuse, block list and ratings shared by every chat channel; Viber's rows move over, nothing lost

Revision ID: 0005_chat_shared
Revises: 0002_viber
Create Date: 2026-12-05 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_chat_shared"
down_revision = "0002_viber"
branch_labels = None
depends_on = None

MOVED = ("abuse", "blocks", "ratings")


def upgrade() -> None:
    _create_shared()
    op.execute(
        "INSERT INTO chat_abuse (id, at, channel, user_id, conversation_id, message_id, masked, action) "
        "SELECT id, at, 'viber', user_id, conversation_id, CAST(message_token AS VARCHAR(128)), masked, action "
        "FROM viber_abuse"
    )
    op.execute(
        "INSERT INTO chat_blocks (id, channel, user_id, name, reason, sample, blocked_at, lifted_at, lifted_by) "
        "SELECT id, 'viber', user_id, name, reason, sample, blocked_at, lifted_at, lifted_by FROM viber_blocks"
    )
    op.execute(
        "INSERT INTO chat_ratings (conversation_id, channel, user_id, score, at) "
        "SELECT conversation_id, 'viber', user_id, score, at FROM viber_ratings"
    )
    _follow_ids(("chat_abuse", "chat_blocks"))  # block ids stay as admins saw them; new rows count on
    for table in MOVED:
        op.drop_table(f"viber_{table}")


def downgrade() -> None:
    """Back to Viber's own tables: Viber's rows return; other channels' rows (new since) are dropped."""
    _create_viber()
    op.execute(
        "INSERT INTO viber_abuse (id, at, user_id, conversation_id, message_token, masked, action) "
        "SELECT id, at, user_id, conversation_id, CAST(message_id AS BIGINT), masked, action "
        "FROM chat_abuse WHERE channel = 'viber'"
    )
    op.execute(
        "INSERT INTO viber_blocks (id, user_id, name, reason, sample, blocked_at, lifted_at, lifted_by) "
        "SELECT id, user_id, name, reason, sample, blocked_at, lifted_at, lifted_by FROM chat_blocks "
        "WHERE channel = 'viber'"
    )
    op.execute(
        "INSERT INTO viber_ratings (conversation_id, user_id, score, at) "
        "SELECT conversation_id, user_id, score, at FROM chat_ratings WHERE channel = 'viber'"
    )
    _follow_ids(("viber_abuse", "viber_blocks"))
    for table in MOVED:
        op.drop_table(f"chat_{table}")


def _follow_ids(tables: tuple[str, ...]) -> None:
    """PostgreSQL's sequences start past the ids copied in (SQLite takes the largest id + 1 by itself)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def _create_shared() -> None:
    op.create_table(
        "chat_abuse",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=True),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("masked", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_abuse")),
        sa.UniqueConstraint("channel", "message_id", name=op.f("uq_chat_abuse_channel")),
    )
    with op.batch_alter_table("chat_abuse", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_abuse_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_chat_abuse_user_id"), ["user_id"], unique=False)
    op.create_table(
        "chat_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("sample", sa.Text(), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["lifted_by"], ["users.id"], name=op.f("fk_chat_blocks_lifted_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_blocks")),
    )
    with op.batch_alter_table("chat_blocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_blocks_blocked_at"), ["blocked_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_chat_blocks_user_id"), ["user_id"], unique=False)
    op.create_table(
        "chat_ratings",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_chat_ratings_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_chat_ratings")),
    )
    with op.batch_alter_table("chat_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_ratings_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_chat_ratings_user_id"), ["user_id"], unique=False)


def _create_viber() -> None:
    op.create_table(
        "viber_abuse",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=True),
        sa.Column("message_token", sa.BigInteger(), nullable=False),
        sa.Column("masked", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viber_abuse")),
        sa.UniqueConstraint("message_token", name=op.f("uq_viber_abuse_message_token")),
    )
    with op.batch_alter_table("viber_abuse", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_viber_abuse_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_viber_abuse_user_id"), ["user_id"], unique=False)
    op.create_table(
        "viber_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("sample", sa.Text(), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["lifted_by"], ["users.id"], name=op.f("fk_viber_blocks_lifted_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viber_blocks")),
    )
    with op.batch_alter_table("viber_blocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_viber_blocks_blocked_at"), ["blocked_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_viber_blocks_user_id"), ["user_id"], unique=False)
    op.create_table(
        "viber_ratings",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_viber_ratings_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_viber_ratings")),
    )
    with op.batch_alter_table("viber_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_viber_ratings_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_viber_ratings_user_id"), ["user_id"], unique=False)
