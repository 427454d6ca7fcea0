"""monitoring profiles, runs and alerts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 10:27:46.598811
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitoring_profiles",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("set_by", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["logs.tenant"], name=op.f("fk_monitoring_profiles_tenant_logs")
        ),
        sa.PrimaryKeyConstraint("tenant", "system", "version", name=op.f("pk_monitoring_profiles")),
    )
    op.create_table(
        "monitoring_runs",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("run_id", sa.String(length=128), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["logs.tenant"], name=op.f("fk_monitoring_runs_tenant_logs")
        ),
        sa.PrimaryKeyConstraint("tenant", "run_id", name=op.f("pk_monitoring_runs")),
    )
    with op.batch_alter_table("monitoring_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_monitoring_runs_tenant_system_run_at", ["tenant", "system", "run_at"], unique=False
        )

    op.create_table(
        "monitoring_alerts",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("run_id", sa.String(length=128), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=True),
        sa.Column("feature", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("acted_by", sa.Text(), nullable=True),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("act_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"], ["logs.tenant"], name=op.f("fk_monitoring_alerts_tenant_logs")
        ),
        sa.PrimaryKeyConstraint("tenant", "run_id", "number", name=op.f("pk_monitoring_alerts")),
    )
    with op.batch_alter_table("monitoring_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_monitoring_alerts_tenant_system_state", ["tenant", "system", "state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("monitoring_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_alerts_tenant_system_state")

    op.drop_table("monitoring_alerts")
    with op.batch_alter_table("monitoring_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_runs_tenant_system_run_at")

    op.drop_table("monitoring_runs")
    op.drop_table("monitoring_profiles")
