"""Writes projection rows inside the append transaction, in as few statements as it can."""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from sqlalchemy import JSON, Connection, Table, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite

from attest.core.projections import ProjectionRow
from attest.store.sql.tables import PROJECTION_TABLES

# Parents before children, so foreign keys hold whatever order the entries came in.
_RANK = {name: rank for rank, name in enumerate(PROJECTION_TABLES)}


def _shape(row: ProjectionRow) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    return row.table, row.mode, tuple(row.key), tuple(row.values)


def apply_projections(
    conn: Connection, dialect: str, tenant: str, rows: Sequence[ProjectionRow]
) -> None:
    """Apply rows in entry order within each table; runs of one shape go as one executemany."""
    ordered = sorted(rows, key=lambda r: _RANK[r.table])  # stable: entry order kept per table
    for (name, mode, keys, values), run in groupby(ordered, key=_shape):
        table = PROJECTION_TABLES[name]
        batch = list(run)
        if mode == "insert" and dialect == "postgresql":
            _copy(conn, table, tenant, (*keys, *values), batch)
        elif mode in ("insert", "upsert"):
            _upsert(conn, dialect, table, tenant, keys, values, batch)
        else:
            _update(conn, table, tenant, keys, values, batch)


def _copy(
    conn: Connection,
    table: Table,
    tenant: str,
    columns: tuple[str, ...],
    batch: list[ProjectionRow],
) -> None:
    """New rows through PostgreSQL's COPY (JSON columns as JSON text), the fastest way in."""
    as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
    names = ", ".join(("tenant", *columns))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in batch:
            merged = {**row.key, **row.values}
            copy.write_row(
                [tenant]
                + [
                    json.dumps(merged[c]) if c in as_json and merged[c] is not None else merged[c]
                    for c in columns
                ]
            )


def _upsert(
    conn: Connection,
    dialect: str,
    table: Table,
    tenant: str,
    keys: tuple[str, ...],
    values: tuple[str, ...],
    batch: list[ProjectionRow],
) -> None:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    if values:
        statement = statement.on_conflict_do_update(
            index_elements=["tenant", *keys],
            set_={column: statement.excluded[column] for column in values},
        )
    else:
        statement = statement.on_conflict_do_nothing()
    conn.execute(statement, [{"tenant": tenant, **r.key, **r.values} for r in batch])


def _update(
    conn: Connection,
    table: Table,
    tenant: str,
    keys: tuple[str, ...],
    values: tuple[str, ...],
    batch: list[ProjectionRow],
) -> None:
    statement = (
        update(table)
        .where(table.c.tenant == bindparam("k_tenant"))
        .where(*[table.c[k] == bindparam(f"k_{k}") for k in keys])
        .values({column: bindparam(f"v_{column}") for column in values})
    )
    params: list[dict[str, Any]] = [
        {
            "k_tenant": tenant,
            **{f"k_{k}": v for k, v in r.key.items()},
            **{f"v_{c}": v for c, v in r.values.items()},
        }
        for r in batch
    ]
    conn.execute(statement, params)


def delete_projections(conn: Connection, tenant: str) -> None:
    """Remove a tenant's projection rows, children first."""
    for table in reversed(list(PROJECTION_TABLES.values())):
        conn.execute(table.delete().where(table.c.tenant == tenant))
