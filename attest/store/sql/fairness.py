"""Protected group memberships and bias-run sums in SQL (mixed into :class:`SqlStore`).

The sums are computed where the decisions live: the database returns one row per group in the
shape ``attest.core.counts.GroupCounts.from_aggregates`` reads, so no decision reaches Python.
Whole UTC days come from the per-day cache of :mod:`attest.store.sql.group_sums`; the part of a
window that does not fill a day, and queries the cache does not serve, are summed from the
decisions directly by the same SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, delete

from attest.core.counts import AGGREGATE_FIELDS
from attest.store.base import GroupQuery
from attest.store.sql import tables as t
from attest.store.sql.day_cache import cached_days
from attest.store.sql.engine import transaction
from attest.store.sql.group_sums import (
    forget_attribute,
    raw_sums,
    serves,
    sums_from_cache,
)

CHUNK = 2000
RESIDUE = 1e-9  # float residue of cancelled weights, far below any weight BISG gives


class SqlFairness:
    engine: Engine
    _dialect: str

    def replace_groups(
        self,
        tenant: str,
        attribute: str,
        assignment: str,
        decisions: Sequence[str],
        rows: Sequence[tuple[str, str, float]],
    ) -> None:
        g = t.fairness_groups
        decisions = sorted(set(decisions) | {decision_id for decision_id, _g, _w in rows})
        with transaction(self.engine, write=True) as conn:
            forget_attribute(conn, tenant, attribute)
            for start in range(0, len(decisions), CHUNK):
                conn.execute(
                    delete(g).where(
                        g.c.tenant == tenant,
                        g.c.attribute == attribute,
                        g.c.decision_id.in_(decisions[start : start + CHUNK]),
                    )
                )
            if rows:
                conn.execute(
                    g.insert(),
                    [
                        {
                            "tenant": tenant,
                            "attribute": attribute,
                            "decision_id": decision_id,
                            "group_value": group,
                            "weight": weight,
                            "assignment": assignment,
                        }
                        for decision_id, group, weight in rows
                    ],
                )

    def group_aggregates(self, tenant: str, query: GroupQuery) -> list[dict[str, Any]]:
        if not serves(query):
            with transaction(self.engine, write=False) as conn:
                return raw_sums(
                    conn, self._dialect, tenant, query, since=query.since, until=query.until
                )
        days, edges = cached_days(query.since, query.until)
        rows: list[dict[str, Any]] = []
        if days is not None:
            rows += sums_from_cache(self.engine, self._dialect, tenant, query, days)
        with transaction(self.engine, write=False) as conn:
            for since, until in edges:
                rows += raw_sums(conn, self._dialect, tenant, query, since=since, until=until)
        return _merged(rows, query.attributes)


def _merged(rows: list[dict[str, Any]], attributes: Sequence[str]) -> list[dict[str, Any]]:
    """One row per group: the cached days and the window's edges add up."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[a] for a in attributes)
        into = merged.get(key)
        if into is None:
            merged[key] = {a: row[a] for a in attributes} | {
                f: float(row[f] or 0.0) for f in AGGREGATE_FIELDS
            }
        else:
            for f in AGGREGATE_FIELDS:
                into[f] += float(row[f] or 0.0)
    # Weights taken out of a group when an outcome moved and the ones put in are added in
    # different orders: a group whose decisions all moved keeps -1e-16 rather than 0.
    for sums in merged.values():
        for f in AGGREGATE_FIELDS:
            if -RESIDUE < sums[f] < 0:
                sums[f] = 0.0
    return list(merged.values())
