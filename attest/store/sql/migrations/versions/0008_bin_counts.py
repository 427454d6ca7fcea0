"""per-day bin counts cache for monitoring

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 13:12:16.135577
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bin_count_sets",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("feature", sa.Text(), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("binning", sa.String(length=64), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.Column("built_rows", sa.BigInteger(), nullable=False),
        sa.Column("delta_rows", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["logs.tenant"], name=op.f("fk_bin_count_sets_tenant_logs")
        ),
        sa.PrimaryKeyConstraint(
            "tenant",
            "system",
            "version",
            "feature",
            "segment",
            "binning",
            name=op.f("pk_bin_count_sets"),
        ),
    )
    op.create_table(
        "bin_counts",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("feature", sa.Text(), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("binning", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("bin", sa.Integer(), nullable=False),
        sa.Column("segment_bin", sa.Integer(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("n", sa.Float(), nullable=False),
        sa.Column("scored", sa.Float(), nullable=False),
        sa.Column("p_sum", sa.Float(), nullable=False),
        sa.Column("p_sq_sum", sa.Float(), nullable=False),
        sa.Column("out_of_range", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["logs.tenant"], name=op.f("fk_bin_counts_tenant_logs")
        ),
    )
    with op.batch_alter_table("bin_counts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bin_counts_set_day",
            ["tenant", "system", "version", "feature", "segment", "binning", "day"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("bin_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_bin_counts_set_day")

    op.drop_table("bin_counts")
    op.drop_table("bin_count_sets")
