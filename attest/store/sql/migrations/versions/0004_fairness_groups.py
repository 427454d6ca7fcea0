"""fairness groups

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 09:07:45.009630
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "fairness_groups",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("attribute", sa.String(length=63), nullable=False),
        sa.Column("decision_id", sa.String(length=128), nullable=False),
        sa.Column("group_value", sa.String(length=63), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("assignment", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "decision_id"],
            ["decisions.tenant", "decisions.decision_id"],
            name=op.f("fk_fairness_groups_tenant_decisions"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant", "attribute", "decision_id", "group_value", name=op.f("pk_fairness_groups")
        ),
    )


def downgrade() -> None:

    op.drop_table("fairness_groups")
