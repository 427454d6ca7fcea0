"""The ledger's tables. The tenant leads every key so the schema shards by tenant."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
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


# -- projections of the log (rebuilt from it by `attest rebuild`) --------------------------------

tenants = Table(
    "tenants",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("name", Text, nullable=False),
    Column("registered_index", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
)

systems = Table(
    "systems",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("system", String(63), nullable=False),
    Column("name", Text, nullable=False),
    Column("domain", String(63), nullable=False),
    Column("lifecycle", String(16), nullable=False),
    Column("risk_tier", String(16), nullable=False),
    Column("record", JSON, nullable=False),
    Column("updated_index", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant", "system"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("system", String(63), nullable=False),
    Column("version", String(64), nullable=False),
    Column("lifecycle", String(16), nullable=False),
    Column("artifact_sha256", String(64), nullable=False),
    Column("record", JSON, nullable=False),
    Column("updated_index", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant", "system", "version"),
    ForeignKeyConstraint(["tenant", "system"], ["systems.tenant", "systems.system"]),
)

decisions = Table(
    "decisions",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("decision_id", String(128), nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("system", String(63), nullable=True),
    Column("model_version", String(64), nullable=False),
    Column("subject", String(128), nullable=True),
    Column("logged_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("label", Text, nullable=False),
    Column("score", Float, nullable=True),
    Column("adverse", Boolean, nullable=True),
    Column("flags", Text, nullable=True),
    Column("inputs", JSON, nullable=False),
    Column("explanation", JSON, nullable=True),
    Column("outcome", JSON, nullable=True),
    Column("outcome_index", BigInteger, nullable=True),
    PrimaryKeyConstraint("tenant", "decision_id"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
    Index("ix_decisions_tenant_system_logged_at", "tenant", "system", "logged_at"),
    Index("ix_decisions_tenant_idx", "tenant", "idx"),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("outcome_id", String(128), nullable=False),
    Column("decision_id", String(128), nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("outcome", JSON, nullable=False),
    Column("observed_at", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("tenant", "outcome_id"),
    ForeignKeyConstraint(["tenant", "decision_id"], ["decisions.tenant", "decisions.decision_id"]),
    Index("ix_outcomes_tenant_decision_id", "tenant", "decision_id"),
    Index("ix_outcomes_tenant_idx", "tenant", "idx"),
)

# Model artifacts, addressed by their SHA-256 (the model version entry records the hash).
artifacts = Table(
    "artifacts",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("format", String(16), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant", "sha256"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
)

PROJECTION_TABLES = {t.name: t for t in (tenants, systems, model_versions, decisions, outcomes)}


# -- who may do what (deployment-wide, not per tenant) -------------------------------------------

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), nullable=False),
    Column("name", Text, nullable=False),
    # SHA-256 of the key's 256-bit random secret; the secret itself is shown once, never stored.
    Column("secret_hash", LargeBinary, nullable=False),
    Column("roles", Text, nullable=False),
    Column("tenants", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("key_id"),
)

users = Table(
    "users",
    metadata,
    Column("username", String(64), nullable=False),
    # argon2id hash (the encoded string carries its parameters and salt).
    Column("password_hash", Text, nullable=False),
    Column("roles", Text, nullable=False),
    Column("tenants", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("username"),
)


# -- protected analysis data ---------------------------------------------------------------------
# Group membership derived from vault values (self-reported attributes, BISG probabilities) for
# bias testing. Personal data: never read by the scoring path, cleared when the subject is erased,
# and each derivation is logged in the ledger (a `fairness.groups_assigned` entry).

fairness_groups = Table(
    "fairness_groups",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("attribute", String(63), nullable=False),
    Column("decision_id", String(128), nullable=False),
    Column("group_value", String(63), nullable=False),
    Column("weight", Float, nullable=False),
    Column("assignment", String(128), nullable=False),
    PrimaryKeyConstraint("tenant", "attribute", "decision_id", "group_value"),
    ForeignKeyConstraint(["tenant", "decision_id"], ["decisions.tenant", "decisions.decision_id"]),
)


bias_runs = Table(
    "bias_runs",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("run_id", String(128), nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("system", String(63), nullable=False),
    Column("run_at", DateTime(timezone=True), nullable=False),
    Column("window_from", DateTime(timezone=True), nullable=True),
    Column("window_to", DateTime(timezone=True), nullable=True),
    Column("attributes", Text, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("by", Text, nullable=False),
    Column("review", String(16), nullable=True),  # accepted / finding, once signed off
    Column("reviewed_by", Text, nullable=True),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
    Column("review_note", Text, nullable=True),
    Column("review_index", BigInteger, nullable=True),
    PrimaryKeyConstraint("tenant", "run_id"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
    Index("ix_bias_runs_tenant_system_run_at", "tenant", "system", "run_at"),
)

PROJECTION_TABLES["bias_runs"] = bias_runs

bias_policies = Table(
    "bias_policies",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("system", String(63), nullable=False),
    Column("air_threshold", Float, nullable=False),
    Column("alpha", Float, nullable=False),
    Column("min_n_eff", Float, nullable=False),
    Column("set_by", Text, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=True),
    Column("idx", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant", "system"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
)

PROJECTION_TABLES["bias_policies"] = bias_policies

monitoring_profiles = Table(
    "monitoring_profiles",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("system", String(63), nullable=False),
    Column("version", String(64), nullable=False),
    Column("profile", JSON, nullable=False),
    Column("set_by", Text, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
    Column("idx", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant", "system", "version"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
)

monitoring_runs = Table(
    "monitoring_runs",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("run_id", String(128), nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("system", String(63), nullable=False),
    Column("version", String(64), nullable=False),
    Column("run_at", DateTime(timezone=True), nullable=False),
    Column("window_from", DateTime(timezone=True), nullable=True),
    Column("window_to", DateTime(timezone=True), nullable=True),
    Column("status", String(16), nullable=False),
    Column("alerts", Integer, nullable=False),
    Column("by", Text, nullable=False),
    PrimaryKeyConstraint("tenant", "run_id"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
    Index("ix_monitoring_runs_tenant_system_run_at", "tenant", "system", "run_at"),
)

monitoring_alerts = Table(
    "monitoring_alerts",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("run_id", String(128), nullable=False),
    Column("number", Integer, nullable=False),  # the alert's place in the run's list, from 1
    Column("system", String(63), nullable=False),
    Column("metric", String(32), nullable=True),
    Column("feature", Text, nullable=True),
    Column("status", String(16), nullable=True),
    Column("value", Float, nullable=True),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("state", String(16), nullable=False),  # open, acknowledged, finding, incident
    Column("acted_by", Text, nullable=True),
    Column("acted_at", DateTime(timezone=True), nullable=True),
    Column("note", Text, nullable=True),
    Column("reference", Text, nullable=True),
    Column("act_index", BigInteger, nullable=True),
    PrimaryKeyConstraint("tenant", "run_id", "number"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
    Index("ix_monitoring_alerts_tenant_system_state", "tenant", "system", "state"),
)

PROJECTION_TABLES["monitoring_profiles"] = monitoring_profiles
PROJECTION_TABLES["monitoring_runs"] = monitoring_runs
PROJECTION_TABLES["monitoring_alerts"] = monitoring_alerts

# A cache of per-day group sums for bias runs (attest/store/sql/group_sums.py): not evidence, and
# not a projection; dropped and rebuilt whenever what it sums may have changed.
GROUP_SUM_COLUMNS = ("g0", "g1", "g2", "g3")

group_sum_sets = Table(
    "group_sum_sets",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("system", String(63), nullable=False),
    Column("attributes", Text, nullable=False),  # comma-separated, in the order grouped by
    Column("watermark", BigInteger, nullable=False),  # the log size the rows are complete for
    Column("built_rows", BigInteger, nullable=False),  # rows written by the last full build
    Column("delta_rows", BigInteger, nullable=False),  # rows added by updates since
    PrimaryKeyConstraint("tenant", "system", "attributes"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
)

group_sums = Table(
    "group_sums",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("system", String(63), nullable=False),
    Column("attributes", Text, nullable=False),
    Column("day", Integer, nullable=False),  # UTC days since 1970-01-01
    Column("label", Text, nullable=False),
    Column("outcome", Text, nullable=True),  # the outcome's JSON text; NULL: none yet
    *(Column(name, String(63), nullable=True) for name in GROUP_SUM_COLUMNS),
    Column("n", Float, nullable=False),
    Column("n_sq", Float, nullable=False),
    Column("scored", Float, nullable=False),
    Column("scored_sq", Float, nullable=False),
    Column("score_sum", Float, nullable=False),
    Column("score_sq_sum", Float, nullable=False),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
    Index("ix_group_sums_tenant_system_attributes_day", "tenant", "system", "attributes", "day"),
)

# A cache of per-day bin counts for monitoring runs (attest/store/sql/bin_sums.py): like the group
# sums, not evidence, and kept in step with the log by attest/store/sql/day_cache.py. A set is one
# feature (or the score: feature '') of one model version counted into one binning, named by the
# SHA-256 of the binning and the score's orientation.
bin_count_sets = Table(
    "bin_count_sets",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("system", String(63), nullable=False),
    Column("version", String(64), nullable=False),
    Column("feature", Text, nullable=False),
    Column("segment", Text, nullable=False),  # '' when not split by a segment feature
    Column("binning", String(64), nullable=False),
    Column("watermark", BigInteger, nullable=False),
    Column("built_rows", BigInteger, nullable=False),
    Column("delta_rows", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant", "system", "version", "feature", "segment", "binning"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
)

bin_counts = Table(
    "bin_counts",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("system", String(63), nullable=False),
    Column("version", String(64), nullable=False),
    Column("feature", Text, nullable=False),
    Column("segment", Text, nullable=False),
    Column("binning", String(64), nullable=False),
    Column("day", Integer, nullable=False),  # UTC days since 1970-01-01 of the decision time
    Column("bin", Integer, nullable=False),
    Column("segment_bin", Integer, nullable=True),  # the segment feature's bin
    Column("label", Text, nullable=False),
    Column("outcome", Text, nullable=True),  # the outcome's JSON text; NULL: none yet
    Column("n", Float, nullable=False),
    Column("scored", Float, nullable=False),
    Column("p_sum", Float, nullable=False),  # sums of the event probability
    Column("p_sq_sum", Float, nullable=False),
    Column("out_of_range", Float, nullable=False),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
    Index(
        "ix_bin_counts_set_day",
        "tenant",
        "system",
        "version",
        "feature",
        "segment",
        "binning",
        "day",
    ),
)

# The monitoring plan in force per model version (the newest `monitoring.plan` entry).
monitoring_plans = Table(
    "monitoring_plans",
    metadata,
    Column("tenant", String(63), nullable=False),
    Column("system", String(63), nullable=False),
    Column("version", String(64), nullable=False),
    Column("plan", JSON, nullable=False),
    Column("cadence", String(16), nullable=False),
    Column("set_by", Text, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
    Column("entry_id", String(128), nullable=False),
    Column("idx", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant", "system", "version"),
    ForeignKeyConstraint(["tenant"], ["logs.tenant"]),
)

PROJECTION_TABLES["monitoring_plans"] = monitoring_plans
