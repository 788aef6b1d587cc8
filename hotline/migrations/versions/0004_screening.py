"""screening: questionnaires kept with each tree version, and their counts for the statistics

Revision ID: 0004_screening
Revises: 0001
Create Date: 2026-12-05 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_screening"
down_revision = "0001"
branch_labels = ("screening",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tree_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("screenings", sa.JSON(), nullable=True))
    op.create_table(
        "screening_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=63), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_counts")),
        sa.UniqueConstraint("hour", "channel", "what", "intent", name=op.f("uq_screening_counts_hour")),
    )


def downgrade() -> None:
    op.drop_table("screening_counts")
    with op.batch_alter_table("tree_versions", schema=None) as batch_op:
        batch_op.drop_column("screenings")
