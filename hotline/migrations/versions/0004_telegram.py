"""telegram: updates that are not dialogue turns, and sends that did not happen

Revision ID: 0004_telegram
Revises: 0001
Create Date: 2026-12-05 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_telegram"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_events")),
        sa.UniqueConstraint("update_id", "kind", name=op.f("uq_telegram_events_update_id")),
    )
    with op.batch_alter_table("telegram_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_telegram_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_telegram_events_chat_id"), ["chat_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_telegram_events_kind"), ["kind"], unique=False)


def downgrade() -> None:
    op.drop_table("telegram_events")
