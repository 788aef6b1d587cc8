"""understanding: test phrases per intent and language; the phrase-vector cache of the second opinion

Revision ID: 0004_understanding
Revises: 0001
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_understanding"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tree_node_texts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tests", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "phrase_vectors",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_phrase_vectors")),
    )


def downgrade() -> None:
    op.drop_table("phrase_vectors")
    with op.batch_alter_table("tree_node_texts", schema=None) as batch_op:
        batch_op.drop_column("tests")
