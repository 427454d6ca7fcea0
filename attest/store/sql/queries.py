"""Reads of the query tables and the artifact store (mixed into :class:`SqlStore`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from attest.errors import InvalidInput
from attest.store.base import DecisionFilter
from attest.store.sql import tables as t
from attest.store.sql.engine import as_utc, transaction


def _plain(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row as a dict without the tenant, with times in UTC (SQLite keeps no offset)."""
    result = {}
    for column, value in row.items():
        if column == "tenant":
            continue
        result[column] = as_utc(value) if isinstance(value, datetime) else value
    return result


def _utc_bound(moment: datetime) -> datetime:
    """A time to compare with stored times, in UTC: SQLite keeps the wall time without its
    offset, so another offset would compare wrongly (a time without offset is taken as UTC)."""
    return as_utc(moment).astimezone(UTC)


class SqlQueries:
    """:class:`~attest.store.base.QueryStore` over the projection tables."""

    engine: Engine
    _dialect: str

    @staticmethod
    def _table(name: str) -> Table:
        if name not in t.PROJECTION_TABLES:
            raise InvalidInput(f"no query table {name!r}")
        return t.PROJECTION_TABLES[name]

    def table_row(self, tenant: str, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        source = self._table(table)
        query = select(source).where(source.c.tenant == tenant)
        for column, value in key.items():
            query = query.where(source.c[column] == value)
        with transaction(self.engine, write=False) as conn:
            row = conn.execute(query).mappings().first()
        return _plain(row) if row else None

    def table_rows(
        self, tenant: str, table: str, where: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        source = self._table(table)
        query = select(source).where(source.c.tenant == tenant)
        for column, value in (where or {}).items():
            query = query.where(source.c[column] == value)
        query = query.order_by(*source.primary_key.columns)
        with transaction(self.engine, write=False) as conn:
            return [_plain(r) for r in conn.execute(query).mappings().all()]

    def decisions(self, tenant: str, query: DecisionFilter) -> list[dict[str, Any]]:
        d = t.decisions
        statement = select(d).where(d.c.tenant == tenant)
        if query.system is not None:
            statement = statement.where(d.c.system == query.system)
        if query.model_version is not None:
            statement = statement.where(d.c.model_version == query.model_version)
        if query.label is not None:
            statement = statement.where(d.c.label == query.label)
        if query.adverse is not None:
            statement = statement.where(d.c.adverse == query.adverse)
        if query.flagged is not None:
            statement = statement.where(
                d.c.flags.is_not(None) if query.flagged else d.c.flags.is_(None)
            )
        if query.since is not None:
            statement = statement.where(d.c.logged_at >= _utc_bound(query.since))
        if query.until is not None:
            statement = statement.where(d.c.logged_at < _utc_bound(query.until))
        if query.before_index is not None:
            statement = statement.where(d.c.idx < query.before_index)
        statement = statement.order_by(d.c.idx.desc()).limit(query.limit)
        with transaction(self.engine, write=False) as conn:
            return [_plain(r) for r in conn.execute(statement).mappings().all()]

    def put_artifact(
        self, tenant: str, sha256: str, artifact_format: str, content: bytes, now: datetime
    ) -> None:
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        statement = insert(t.artifacts).values(
            tenant=tenant, sha256=sha256, format=artifact_format, content=content, stored_at=now
        )
        with transaction(self.engine, write=True) as conn:
            conn.execute(statement.on_conflict_do_nothing())

    def artifact(self, tenant: str, sha256: str) -> tuple[str, bytes] | None:
        query = select(t.artifacts.c.format, t.artifacts.c.content).where(
            t.artifacts.c.tenant == tenant, t.artifacts.c.sha256 == sha256
        )
        with transaction(self.engine, write=False) as conn:
            row = conn.execute(query).first()
        return (row.format, row.content) if row else None
