"""bias runs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:13:22.035993
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "bias_runs",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("run_id", sa.String(length=128), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("review", sa.String(length=16), nullable=True),
        sa.Column("reviewed_by", sa.Text(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("review_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["tenant"], ["logs.tenant"], name=op.f("fk_bias_runs_tenant_logs")),
        sa.PrimaryKeyConstraint("tenant", "run_id", name=op.f("pk_bias_runs")),
    )
    with op.batch_alter_table("bias_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bias_runs_tenant_system_run_at", ["tenant", "system", "run_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("bias_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_bias_runs_tenant_system_run_at")

    op.drop_table("bias_runs")
