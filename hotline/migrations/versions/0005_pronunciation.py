"""pronunciation: how the phone's voice says a written form, per language (the admins' rows)

Revision ID: 0005_pronunciation
Revises: 0001
Create Date: 2026-12-05 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_pronunciation"
down_revision = "0001"
branch_labels = ("pronunciation",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pronunciations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("written", sa.String(length=60), nullable=False),
        sa.Column("spoken", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pronunciations")),
        sa.UniqueConstraint("lang", "written", name="uq_pronunciations_lang_written"),
    )


def downgrade() -> None:
    op.drop_table("pronunciations")
