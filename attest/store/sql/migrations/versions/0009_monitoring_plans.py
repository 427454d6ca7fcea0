"""monitoring plans

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 14:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitoring_plans",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("set_by", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_id", sa.String(length=128), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["logs.tenant"], name=op.f("fk_monitoring_plans_tenant_logs")
        ),
        sa.PrimaryKeyConstraint("tenant", "system", "version", name=op.f("pk_monitoring_plans")),
    )


def downgrade() -> None:
    op.drop_table("monitoring_plans")
