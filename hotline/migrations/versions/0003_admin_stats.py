"""admin: covering indexes for the statistics page's queries

Revision ID: 0003_admin_stats
Revises: 0002_admin
Create Date: 2026-11-23 04:05:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0003_admin_stats"
down_revision = "0002_admin"
branch_labels = ("admin_stats",)
depends_on = None

# The statistics read these columns over a date range; with every column in the index the
# database answers from the index alone (hotline/admin/models.py declares the same).
INDEXES = {
    "ix_stats_conversations": ("conversations", ["started_at", "channel", "handoff_queue", "id"]),
    "ix_stats_conversation_events": ("conversation_events", ["kind", "at", "intent", "conversation_id"]),
    "ix_stats_queue_events": ("queue_events", ["at", "event", "channel", "wait_seconds", "conversation_id"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
