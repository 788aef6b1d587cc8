"""wallboard: the thresholds at which the supervisor's wallboard raises an alarm

Revision ID: 0004_wallboard
Revises: 0002_admin
Create Date: 2026-12-05 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_wallboard"
down_revision = "0002_admin"
branch_labels = ("wallboard",)
depends_on = None

COLUMNS = {"alert_waiting": 5, "alert_wait_seconds": 120, "alert_service_level_percent": 80}


def upgrade() -> None:
    with op.batch_alter_table("office_settings") as batch:
        for name, default in COLUMNS.items():
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=str(default)))


def downgrade() -> None:
    with op.batch_alter_table("office_settings") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
