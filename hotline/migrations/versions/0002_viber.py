"""viber: callbacks and send outcomes, abuse, block list, satisfaction ratings

Revision ID: 0002_viber
Revises: 0001
Create Date: 2026-11-23 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_viber"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "viber_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("message_token", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viber_events")),
        sa.UniqueConstraint("event", "message_token", name=op.f("uq_viber_events_event")),
    )
    with op.batch_alter_table("viber_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_viber_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_viber_events_event"), ["event"], unique=False)
        batch_op.create_index(batch_op.f("ix_viber_events_user_id"), ["user_id"], unique=False)
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


def downgrade() -> None:
    op.drop_table("viber_ratings")
    op.drop_table("viber_blocks")
    op.drop_table("viber_abuse")
    op.drop_table("viber_events")
