"""inventory, decisions and outcomes projections; artifacts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 07:52:56.677259
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "artifacts",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant"], ["logs.tenant"], name=op.f("fk_artifacts_tenant_logs")),
        sa.PrimaryKeyConstraint("tenant", "sha256", name=op.f("pk_artifacts")),
    )
    op.create_table(
        "decisions",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("decision_id", sa.String(length=128), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=True),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("adverse", sa.Boolean(), nullable=True),
        sa.Column("flags", sa.Text(), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("outcome_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["tenant"], ["logs.tenant"], name=op.f("fk_decisions_tenant_logs")),
        sa.PrimaryKeyConstraint("tenant", "decision_id", name=op.f("pk_decisions")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index("ix_decisions_tenant_idx", ["tenant", "idx"], unique=False)
        batch_op.create_index(
            "ix_decisions_tenant_system_logged_at", ["tenant", "system", "logged_at"], unique=False
        )

    op.create_table(
        "systems",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("domain", sa.String(length=63), nullable=False),
        sa.Column("lifecycle", sa.String(length=16), nullable=False),
        sa.Column("risk_tier", sa.String(length=16), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("updated_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["tenant"], ["logs.tenant"], name=op.f("fk_systems_tenant_logs")),
        sa.PrimaryKeyConstraint("tenant", "system", name=op.f("pk_systems")),
    )
    op.create_table(
        "tenants",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("registered_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["tenant"], ["logs.tenant"], name=op.f("fk_tenants_tenant_logs")),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_tenants")),
    )
    op.create_table(
        "model_versions",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("lifecycle", sa.String(length=16), nullable=False),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("updated_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "system"],
            ["systems.tenant", "systems.system"],
            name=op.f("fk_model_versions_tenant_systems"),
        ),
        sa.PrimaryKeyConstraint("tenant", "system", "version", name=op.f("pk_model_versions")),
    )
    op.create_table(
        "outcomes",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("outcome_id", sa.String(length=128), nullable=False),
        sa.Column("decision_id", sa.String(length=128), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant", "decision_id"],
            ["decisions.tenant", "decisions.decision_id"],
            name=op.f("fk_outcomes_tenant_decisions"),
        ),
        sa.PrimaryKeyConstraint("tenant", "outcome_id", name=op.f("pk_outcomes")),
    )
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outcomes_tenant_decision_id", ["tenant", "decision_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.drop_index("ix_outcomes_tenant_decision_id")

    op.drop_table("outcomes")
    op.drop_table("model_versions")
    op.drop_table("tenants")
    op.drop_table("systems")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_tenant_system_logged_at")
        batch_op.drop_index("ix_decisions_tenant_idx")

    op.drop_table("decisions")
    op.drop_table("artifacts")
