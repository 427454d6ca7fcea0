"""ledger: logs, entries, nodes, checkpoints, vault

Revision ID: 0001
Revises:
Create Date: 2026-11-27 06:49:14.356709
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "logs",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_logs")),
    )
    op.create_table(
        "checkpoints",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["logs.tenant"], name=op.f("fk_checkpoints_tenant_logs")
        ),
        sa.PrimaryKeyConstraint("tenant", "size", name=op.f("pk_checkpoints")),
    )
    op.create_table(
        "entries",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.String(length=128), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=True),
        sa.Column("subject", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["tenant"], ["logs.tenant"], name=op.f("fk_entries_tenant_logs")),
        sa.PrimaryKeyConstraint("tenant", "idx", name=op.f("pk_entries")),
        sa.UniqueConstraint("tenant", "entry_id", name=op.f("uq_entries_tenant_entry_id")),
    )
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_entries_tenant_subject",
            ["tenant", "subject"],
            unique=False,
            postgresql_where=sa.text("subject IS NOT NULL"),
            sqlite_where=sa.text("subject IS NOT NULL"),
        )

    op.create_table(
        "nodes",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["tenant"], ["logs.tenant"], name=op.f("fk_nodes_tenant_logs")),
        sa.PrimaryKeyConstraint("tenant", "level", "idx", name=op.f("pk_nodes")),
    )
    op.create_table(
        "subject_keys",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erasure_reason", sa.Text(), nullable=True),
        sa.Column("erasure_entry", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"], ["logs.tenant"], name=op.f("fk_subject_keys_tenant_logs")
        ),
        sa.PrimaryKeyConstraint("tenant", "subject", name=op.f("pk_subject_keys")),
    )
    op.create_table(
        "vault_values",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("entry_id", sa.String(length=128), nullable=False),
        sa.Column("pointer", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant", "subject"],
            ["subject_keys.tenant", "subject_keys.subject"],
            name=op.f("fk_vault_values_tenant_subject_keys"),
        ),
        sa.PrimaryKeyConstraint("tenant", "entry_id", "pointer", name=op.f("pk_vault_values")),
    )
    with op.batch_alter_table("vault_values", schema=None) as batch_op:
        batch_op.create_index("ix_vault_values_tenant_subject", ["tenant", "subject"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("vault_values", schema=None) as batch_op:
        batch_op.drop_index("ix_vault_values_tenant_subject")

    op.drop_table("vault_values")
    op.drop_table("subject_keys")
    op.drop_table("nodes")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_tenant_subject")

    op.drop_table("entries")
    op.drop_table("checkpoints")
    op.drop_table("logs")
