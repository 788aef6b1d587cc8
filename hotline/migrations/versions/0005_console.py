"""console: how many chats and calls each operator takes at once

Revision ID: 0005_console
Revises: 0001
Create Date: 2026-12-05 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_console"
down_revision = "0001"
branch_labels = ("console",)
depends_on = None

CAPACITY = {"capacity_chats": 3, "capacity_calls": 1}


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for name, default in CAPACITY.items():
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=str(default)))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for name in CAPACITY:
            batch.drop_column(name)
