"""The ledger's tables. The tenant leads every key so the schema shards by tenant."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

logs = Table(
    "logs",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("origin", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant"),
)

entries = Table(
    "entries",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("entry_id", String(128), nullable=False),
    Column("leaf_hash", LargeBinary, nullable=False),
    Column("data", LargeBinary, nullable=False),
    # Keyed hash of the submission, for idempotent retries; cleared when the subject is erased.
    Column("fingerprint", LargeBinary, nullable=True),
    Column("subject", String(128), nullable=True),
    PrimaryKeyConstraint("tenant", "idx"),
    UniqueConstraint("tenant", "entry_id"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
    # Partial: only entries with a subject. A full index here tempts PostgreSQL, before it has
    # statistics, to look ids up through it instead of through (tenant, entry_id).
    Index(
        "ix_entries_tenant_subject",
        "tenant",
        "subject",
        postgresql_where=text("subject IS NOT NULL"),
        sqlite_where=text("subject IS NOT NULL"),
    ),
)

nodes = Table(
    "nodes",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    PrimaryKeyConstraint("tenant", "level", "idx"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant", "size"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
)

subject_keys = Table(
    "subject_keys",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("subject", String(128), nullable=False),
    # The subject's data key, encrypted under the master key; NULL once erased.
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
    Column("erasure_reason", Text, nullable=True),
    Column("erasure_entry", String(128), nullable=True),
    PrimaryKeyConstraint("tenant", "subject"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
)

vault_values = Table(
    "vault_values",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("entry_id", String(128), nullable=False),
    Column("pointer", Text, nullable=False),
    Column("subject", String(128), nullable=False),
    # AES-GCM nonce || ciphertext of {salt, value}; NULL once the subject is erased.
    Column("sealed", LargeBinary, nullable=True),
    PrimaryKeyConstraint("tenant", "entry_id", "pointer"),
    ForeignKeyConstraint(["tenant", "subject"], ["subject_keys.tenant", "subject_keys.subject"]),
    Index("ix_vault_values_tenant_subject", "tenant", "subject"),
)
