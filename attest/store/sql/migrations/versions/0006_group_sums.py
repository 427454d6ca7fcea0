"""per-day group sums cache and bias policies

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:45:46.443279
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bias_policies",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("air_threshold", sa.Float(), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column("min_n_eff", sa.Float(), nullable=False),
        sa.Column("set_by", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["logs.tenant"], name=op.f("fk_bias_policies_tenant_logs")
        ),
        sa.PrimaryKeyConstraint("tenant", "system", name=op.f("pk_bias_policies")),
    )
    op.create_table(
        "group_sum_sets",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.Column("built_rows", sa.BigInteger(), nullable=False),
        sa.Column("delta_rows", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["logs.tenant"], name=op.f("fk_group_sum_sets_tenant_logs")
        ),
        sa.PrimaryKeyConstraint("tenant", "system", "attributes", name=op.f("pk_group_sum_sets")),
    )
    op.create_table(
        "group_sums",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("g0", sa.String(length=63), nullable=True),
        sa.Column("g1", sa.String(length=63), nullable=True),
        sa.Column("g2", sa.String(length=63), nullable=True),
        sa.Column("g3", sa.String(length=63), nullable=True),
        sa.Column("n", sa.Float(), nullable=False),
        sa.Column("n_sq", sa.Float(), nullable=False),
        sa.Column("scored", sa.Float(), nullable=False),
        sa.Column("scored_sq", sa.Float(), nullable=False),
        sa.Column("score_sum", sa.Float(), nullable=False),
        sa.Column("score_sq_sum", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["logs.tenant"], name=op.f("fk_group_sums_tenant_logs")
        ),
    )
    with op.batch_alter_table("group_sums", schema=None) as batch_op:
        batch_op.create_index(
            "ix_group_sums_tenant_system_attributes_day",
            ["tenant", "system", "attributes", "day"],
            unique=False,
        )

    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.create_index("ix_outcomes_tenant_idx", ["tenant", "idx"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.drop_index("ix_outcomes_tenant_idx")

    with op.batch_alter_table("group_sums", schema=None) as batch_op:
        batch_op.drop_index("ix_group_sums_tenant_system_attributes_day")

    op.drop_table("bias_policies")
    op.drop_table("group_sums")
    op.drop_table("group_sum_sets")
