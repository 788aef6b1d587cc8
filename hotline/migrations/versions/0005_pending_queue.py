"""pending queue events: a queue event kept in Redis while the database was away is written back once

Revision ID: 0005_pending_queue
Revises: 0001
Create Date: 2026-12-05 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_pending_queue"
down_revision = "0001"
branch_labels = ("pending_queue",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue_events") as batch:
        batch.add_column(sa.Column("pending_key", sa.String(length=32), nullable=True))
        batch.create_unique_constraint("uq_queue_events_pending_key", ["pending_key"])


def downgrade() -> None:
    with op.batch_alter_table("queue_events") as batch:
        batch.drop_constraint("uq_queue_events_pending_key", type_="unique")
        batch.drop_column("pending_key")
