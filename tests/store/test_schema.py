"""Migrations build exactly the schema the code declares; a missing or stale schema is refused.

In the style of mlflow's migration tests: run the migrations on an empty database, then let
Alembic's autogenerate compare the result with ``attest.store.sql.tables.metadata``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, Integer, MetaData, create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from attest.core.checkpoint import sign_checkpoint
from attest.core.merkle import hash_leaf
from attest.errors import SchemaOutOfDate
from attest.store.base import NewEntry
from attest.store.sql import SqlStore, make_engine, schema
from attest.store.sql import tables as t
from attest.store.sql.schema import (
    _config,
    current_revision,
    head_revision,
    upgrade,
    verify_schema,
)
from tests.conftest import LOG_SIGNER

LEDGER_TABLES = {"logs", "entries", "nodes", "checkpoints", "subject_keys", "vault_values"}
QUERY_TABLES = {
    "tenants",
    "systems",
    "model_versions",
    "decisions",
    "outcomes",
    "artifacts",
    "bias_runs",
    "bias_policies",
    "monitoring_profiles",
    "monitoring_runs",
    "monitoring_alerts",
    "monitoring_plans",
}
ACCESS_TABLES = {"api_keys", "users"}
PROTECTED_TABLES = {"fairness_groups"}
CACHE_TABLES = {"group_sum_sets", "group_sums", "bin_count_sets", "bin_counts"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blank_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no schema at all."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'blank.db'}")
        yield engine
        engine.dispose()
        return
    server = request.getfixturevalue("postgres_url")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"attest_blank_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server).set(database=name).render_as_string(False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def differences(engine: Engine, metadata: MetaData = t.metadata) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def describe(engine: Engine) -> dict[str, Any]:
    """The reflected schema, table by table, in a comparable form."""
    inspector = inspect(engine)
    schema: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        schema[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ],
            "primary key": inspector.get_pk_constraint(table),
            "foreign keys": sorted(map(repr, inspector.get_foreign_keys(table))),
            "indexes": sorted(_describe(index) for index in inspector.get_indexes(table)),
            "unique": sorted(map(repr, inspector.get_unique_constraints(table))),
        }
    return schema


def _describe(index: Any) -> str:
    """An index as text; partial-index conditions are SQL expressions, compared by their SQL."""
    options = {k: str(v) for k, v in index.get("dialect_options", {}).items()}
    return repr({**index, "dialect_options": options})


def set_revision(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_the_migrations_have_exactly_one_head() -> None:
    script = ScriptDirectory.from_config(_config())
    assert script.get_heads() == [head_revision()]
    assert len(script.get_bases()) == 1
    # Every revision lies on the one line from the base to the head.
    revisions = list(script.walk_revisions())
    assert revisions[0].revision == head_revision()
    assert revisions[-1].down_revision is None
    for newer, older in zip(revisions, revisions[1:], strict=False):
        assert newer.down_revision == older.revision


def test_the_migrated_schema_is_the_declared_schema(blank_engine: Engine) -> None:
    upgrade(blank_engine)
    assert current_revision(blank_engine) == head_revision()
    expected = (
        LEDGER_TABLES
        | QUERY_TABLES
        | ACCESS_TABLES
        | PROTECTED_TABLES
        | CACHE_TABLES
        | {"alembic_version"}
    )
    assert set(inspect(blank_engine).get_table_names()) == expected
    assert differences(blank_engine) == []
    verify_schema(blank_engine)


def test_the_shared_test_database_is_at_the_declared_schema(sql_url: str) -> None:
    engine = make_engine(sql_url)
    try:
        assert differences(engine) == []
        verify_schema(engine)
    finally:
        engine.dispose()


def test_the_comparison_notices_a_schema_the_migrations_do_not_build(
    blank_engine: Engine,
) -> None:
    upgrade(blank_engine)
    changed = MetaData(naming_convention=t.metadata.naming_convention)
    for table in t.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["entries"].append_column(Column("extra", Integer, nullable=True))
    found = differences(blank_engine, changed)
    # ("add_column", schema, table, column): that one difference and no other.
    assert [(d[0], d[2], d[3].name) for d in found] == [("add_column", "entries", "extra")]


def test_a_database_without_schema_is_refused_until_init(blank_engine: Engine) -> None:
    assert current_revision(blank_engine) is None
    with pytest.raises(SchemaOutOfDate, match=r"no Attest schema: run `attest init`"):
        verify_schema(blank_engine)
    upgrade(blank_engine)
    verify_schema(blank_engine)


def test_a_database_at_an_older_revision_is_refused_until_db_upgrade(
    blank_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(blank_engine)
    current = current_revision(blank_engine)
    # Pretend this Attest carries one more migration than the database has had.
    monkeypatch.setattr(schema, "head_revision", lambda: "9999")
    with pytest.raises(SchemaOutOfDate) as refused:
        verify_schema(blank_engine)
    message = str(refused.value)
    assert f"revision {current}" in message
    assert "needs 9999" in message
    assert "`attest db upgrade`" in message
    assert "back up the database" in message


def test_a_database_from_a_newer_attest_is_refused(blank_engine: Engine) -> None:
    upgrade(blank_engine)
    set_revision(blank_engine, "0000")
    with pytest.raises(SchemaOutOfDate, match="revision 0000, which this Attest does not know"):
        verify_schema(blank_engine)


def test_a_database_stamped_back_to_base_is_refused(blank_engine: Engine) -> None:
    upgrade(blank_engine)
    config = _config()
    with blank_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, "base")
    assert current_revision(blank_engine) is None
    with pytest.raises(SchemaOutOfDate, match="Attest tables but no schema revision"):
        verify_schema(blank_engine)


def test_upgrading_twice_changes_nothing(blank_engine: Engine) -> None:
    upgrade(blank_engine)
    store = SqlStore(blank_engine)
    data = b'{"id":"a"}'
    store.append(
        "bank",
        origin="attest.test/attest/bank",
        entries=[NewEntry("a", hash_leaf(data), data, b"fingerprint")],
        sign=lambda checkpoint: sign_checkpoint(checkpoint, LOG_SIGNER),
        now=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
    )
    schema = describe(blank_engine)
    with blank_engine.connect() as connection:
        rows = connection.execute(select(t.entries)).all()
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()

    upgrade(blank_engine)

    assert describe(blank_engine) == schema
    with blank_engine.connect() as connection:
        assert connection.execute(select(t.entries)).all() == rows
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == (
            versions
        )
    assert versions == [(head_revision(),)]
    assert store.latest_checkpoint("bank") is not None
    verify_schema(blank_engine)


def test_downgrading_to_base_and_upgrading_again_rebuilds_the_schema(
    blank_engine: Engine,
) -> None:
    upgrade(blank_engine)
    schema = describe(blank_engine)
    config = _config()
    with blank_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(blank_engine).get_table_names()) <= {"alembic_version"}
    assert current_revision(blank_engine) is None
    upgrade(blank_engine)
    assert describe(blank_engine) == schema
    assert differences(blank_engine) == []
