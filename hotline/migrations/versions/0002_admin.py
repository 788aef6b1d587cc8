"""admin: audit log, office calendar, queue settings

Revision ID: 0002_admin
Revises: 0001
Create Date: 2026-11-23 01:22:41.669283
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_admin"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_days")),
        sa.UniqueConstraint("day", name=op.f("uq_office_days_day")),
    )
    op.create_table(
        "office_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("custom_week", sa.Boolean(), nullable=False),
        sa.Column("wrap_up_seconds", sa.Integer(), nullable=False),
        sa.Column("service_level_seconds", sa.Integer(), nullable=False),
        sa.Column("callback_enabled", sa.Boolean(), nullable=False),
        sa.Column("callback_offer_after_seconds", sa.Integer(), nullable=False),
        sa.Column("callback_when_closed", sa.Boolean(), nullable=False),
        sa.Column("callback_max_attempts", sa.Integer(), nullable=False),
        sa.Column("callback_retry_minutes", sa.Integer(), nullable=False),
        sa.Column("holiday_years", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_settings")),
    )
    op.create_table(
        "office_week",
        sa.Column("weekday", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.PrimaryKeyConstraint("weekday", name=op.f("pk_office_week")),
    )
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_admin_audit_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit")),
    )
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_audit_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_admin_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_admin_audit_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_audit_user_id"))
        batch_op.drop_index(batch_op.f("ix_admin_audit_at"))
        batch_op.drop_index(batch_op.f("ix_admin_audit_action"))

    op.drop_table("admin_audit")
    op.drop_table("office_week")
    op.drop_table("office_settings")
    op.drop_table("office_days")
