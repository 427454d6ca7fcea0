"""Per-group sums for bias runs, from the decisions or from a per-day cache of them.

Every sum a run needs (``attest.core.counts``) is linear in the decisions, so sums add across
days. For each (system, attribute set) a run asks for, the ``group_sums`` table keeps one row per
UTC day, label, outcome and group values, holding the weighted count, the squared weights and the
score moments. Favourable labels and good outcomes are applied when a run reads the rows, so one
cache serves every policy, and a run over a year sums a few thousand rows instead of every
decision and membership (a million decisions with BISG weights are six million memberships).

Freshness: ``group_sum_sets`` records the log size each set covers (its watermark); before a read,
``attest.store.sql.day_cache`` adds the decisions logged since and moves those whose outcome
changed. A new group assignment drops every set naming its attribute, and an erasure or a rebuild
of the query tables drops the tenant's sets; the next run builds them again. The cache is not
evidence and holds nothing the decisions and ``fairness_groups`` tables do not: the store
contract tests compare its answers with the in-memory store's after ingest, outcomes,
assignments and erasures.

Not served by the cache (summed from the decisions directly): a score threshold (the LL144
scoring rate), more than ``MAX_ATTRIBUTES`` attributes, and windows shorter than a whole day; a
window's partial first and last days are summed directly and added to the cached whole days.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, select, text

from attest.store.base import GroupQuery
from attest.store.sql import tables as t
from attest.store.sql.day_cache import (
    DayRange,
    day_sql,
    days_sql,
    decisions_for,
    refresh,
    sign,
    window_sql,
)
from attest.store.sql.engine import transaction

MAX_ATTRIBUTES = len(t.GROUP_SUM_COLUMNS)


def serves(query: GroupQuery) -> bool:
    """Whether the per-day cache can answer ``query`` (see the module docstring)."""
    return query.score_threshold is None and 1 <= len(query.attributes) <= MAX_ATTRIBUTES


def forget_attribute(conn: Connection, tenant: str, attribute: str) -> None:
    """Drop every cached set of ``tenant`` that groups by ``attribute`` (its groups changed)."""
    sets = t.group_sum_sets
    stale = [
        (system, attributes)
        for system, attributes in conn.execute(
            select(sets.c.system, sets.c.attributes).where(sets.c.tenant == tenant)
        )
        if attribute in attributes.split(",")
    ]
    for system, attributes in stale:
        _drop(conn, tenant, system, attributes)


def forget_tenant(conn: Connection, tenant: str) -> None:
    """Drop all of ``tenant``'s cached sums (erasure, rebuild of the query tables)."""
    conn.execute(delete(t.group_sums).where(t.group_sums.c.tenant == tenant))
    conn.execute(delete(t.group_sum_sets).where(t.group_sum_sets.c.tenant == tenant))


def raw_sums(
    conn: Connection,
    dialect: str,
    tenant: str,
    query: GroupQuery,
    *,
    since: datetime | None,
    until: datetime | None,
) -> list[dict[str, Any]]:
    """The sums straight from the decisions and their memberships, one row per group."""
    params: dict[str, Any] = {"tenant": tenant, "system": query.system}
    joins, columns, weight = _memberships(query.attributes, params)
    selected = _selected("d.label", query.favourable, params)
    good, bad = _truth("CAST(d.outcome AS TEXT)", "d.outcome", query.good_outcomes, params)
    w = f"({weight})"
    sums = {
        "n": f"SUM({w})",
        "n_sq": f"SUM({w} * {w})",
        "selected": f"SUM({w} * {selected})",
        "tp": f"SUM(CASE WHEN {good} AND {selected} = 1 THEN {w} ELSE 0 END)",
        "fp": f"SUM(CASE WHEN {bad} AND {selected} = 1 THEN {w} ELSE 0 END)",
        "tn": f"SUM(CASE WHEN {bad} AND {selected} = 0 THEN {w} ELSE 0 END)",
        "fn": f"SUM(CASE WHEN {good} AND {selected} = 0 THEN {w} ELSE 0 END)",
        "good_sq": f"SUM(CASE WHEN {good} THEN {w} * {w} ELSE 0 END)",
        "bad_sq": f"SUM(CASE WHEN {bad} THEN {w} * {w} ELSE 0 END)",
        **_score_sums(w),
        "above": "SUM(0)"
        if query.score_threshold is None
        else f"SUM(CASE WHEN d.score > :threshold THEN {w} ELSE 0 END)",
    }
    if query.score_threshold is not None:
        params["threshold"] = query.score_threshold
    where = window_sql(dialect, since, until, params)
    named = [f'{c} AS "{a}"' for c, a in zip(columns, query.attributes, strict=True)]
    sql = (
        f"SELECT {', '.join([*named, *(f'{v} AS {k}' for k, v in sums.items())])} "
        f"FROM decisions d {' '.join(joins)} "
        f"WHERE d.tenant = :tenant AND d.system = :system{where}"
        + (f" GROUP BY {', '.join(columns)}" if columns else "")
    )
    return [dict(row) for row in conn.execute(text(sql), params).mappings().all()]


def sums_from_cache(
    engine: Engine, dialect: str, tenant: str, query: GroupQuery, days: DayRange
) -> list[dict[str, Any]]:
    """Bring the query's set up to date, then sum its cached days, one row per group."""
    # One set serves every order of the same attributes: it is kept in sorted order.
    kept = sorted(query.attributes)
    refresh(engine, tenant, _GroupSumSet(tenant, query.system, tuple(kept), dialect))
    params: dict[str, Any] = {
        "tenant": tenant,
        "system": query.system,
        "attributes": ",".join(kept),
    }
    selected = _selected("s.label", query.favourable, params)
    good, bad = _truth("s.outcome", "s.outcome", query.good_outcomes, params)
    sums = {
        "n": "SUM(s.n)",
        "n_sq": "SUM(s.n_sq)",
        "selected": f"SUM(s.n * {selected})",
        "tp": f"SUM(CASE WHEN {good} AND {selected} = 1 THEN s.n ELSE 0 END)",
        "fp": f"SUM(CASE WHEN {bad} AND {selected} = 1 THEN s.n ELSE 0 END)",
        "tn": f"SUM(CASE WHEN {bad} AND {selected} = 0 THEN s.n ELSE 0 END)",
        "fn": f"SUM(CASE WHEN {good} AND {selected} = 0 THEN s.n ELSE 0 END)",
        "good_sq": f"SUM(CASE WHEN {good} THEN s.n_sq ELSE 0 END)",
        "bad_sq": f"SUM(CASE WHEN {bad} THEN s.n_sq ELSE 0 END)",
        "scored": "SUM(s.scored)",
        "scored_sq": "SUM(s.scored_sq)",
        "score_sum": "SUM(s.score_sum)",
        "score_sq_sum": "SUM(s.score_sq_sum)",
        "above": "SUM(0)",
    }
    columns = [f"s.{t.GROUP_SUM_COLUMNS[kept.index(a)]}" for a in query.attributes]
    named = [f'{c} AS "{a}"' for c, a in zip(columns, query.attributes, strict=True)]
    where = days_sql(days, params)
    sql = (
        f"SELECT {', '.join([*named, *(f'{v} AS {k}' for k, v in sums.items())])} "
        "FROM group_sums s WHERE s.tenant = :tenant AND s.system = :system "
        f"AND s.attributes = :attributes{where} GROUP BY {', '.join(columns)}"
    )
    with transaction(engine, write=False) as conn:
        return [dict(row) for row in conn.execute(text(sql), params).mappings().all()]


# -- keeping the cache ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _GroupSumSet:
    """The cached sums of one system grouped by one sorted set of attributes."""

    tenant: str
    system: str
    attributes: tuple[str, ...]
    dialect: str
    header: Table = t.group_sum_sets

    @property
    def key(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "system": self.system,
            "attributes": ",".join(self.attributes),
        }

    def fill(self, conn: Connection, which: str, watermark: int) -> int:
        params: dict[str, Any] = {
            "tenant": self.tenant,
            "system": self.system,
            "watermark": watermark,
        }
        # The inserted copies get their own names: PostgreSQL types each parameter once.
        params |= {"v_tenant": self.tenant, "v_system": self.system}
        params["v_key"] = ",".join(self.attributes)
        joins, columns, weight = _memberships(self.attributes, params)
        day = day_sql(self.dialect)
        w = f"({sign(which)} * {weight})"
        decisions = decisions_for(
            which,
            "d.tenant, d.decision_id, d.logged_at, d.label, d.score",
            " AND d.system = :system",
            self.dialect,
        )
        targets = ["tenant", "system", "attributes", "day", "label", "outcome"]
        values = [":v_tenant", ":v_system", ":v_key", day, "d.label", "d.outcome_key"]
        targets += list(t.GROUP_SUM_COLUMNS)
        values += columns + ["NULL"] * (MAX_ATTRIBUTES - len(columns))
        sums = {"n": f"SUM({w})", "n_sq": f"SUM({w} * ABS({w}))", **_score_sums(w)}
        targets += list(sums)
        values += list(sums.values())
        result = conn.execute(
            text(
                f"INSERT INTO group_sums ({', '.join(targets)}) SELECT {', '.join(values)} "
                f"FROM {decisions} {' '.join(joins)} "
                f"GROUP BY {', '.join([day, 'd.label', 'd.outcome_key', *columns])}"
            ),
            params,
        )
        return int(result.rowcount or 0)

    def drop(self, conn: Connection) -> None:
        _drop(conn, self.tenant, self.system, ",".join(self.attributes))


def _drop(conn: Connection, tenant: str, system: str, attributes: str) -> None:
    for table in (t.group_sums, t.group_sum_sets):
        conn.execute(
            delete(table).where(
                table.c.tenant == tenant,
                table.c.system == system,
                table.c.attributes == attributes,
            )
        )


# -- SQL pieces shared by both paths -------------------------------------------------------------


def _memberships(
    attributes: Sequence[str], params: dict[str, Any]
) -> tuple[list[str], list[str], str]:
    """LEFT JOINs to each attribute's memberships, their group columns, and the row weight (a
    decision without a membership counts once, under no group)."""
    joins, columns, weights = [], [], []
    for number, attribute in enumerate(attributes):
        alias = f"g{number}"
        params[f"attribute{number}"] = attribute
        joins.append(
            f"LEFT JOIN fairness_groups {alias} ON {alias}.tenant = d.tenant "
            f"AND {alias}.decision_id = d.decision_id "
            f"AND {alias}.attribute = :attribute{number}"
        )
        columns.append(f"{alias}.group_value")
        weights.append(f"COALESCE({alias}.weight, 1.0)")
    return joins, columns, " * ".join(weights) or "1.0"


def _selected(label: str, favourable: Sequence[str], params: dict[str, Any]) -> str:
    names = ", ".join(f":favourable{i}" for i in range(len(favourable))) or "NULL"
    params.update({f"favourable{i}": v for i, v in enumerate(favourable)})
    return f"(CASE WHEN {label} IN ({names}) THEN 1 ELSE 0 END)"


def _truth(
    outcome_text: str, outcome: str, good_outcomes: Sequence[Any], params: dict[str, Any]
) -> tuple[str, str]:
    """SQL conditions for a labelled decision whose outcome is good, and bad. Outcomes are
    compared as their JSON text; a decision without one holds SQL NULL or the JSON ``null``
    (how the JSON column writes Python's None), and both mean "not known yet"."""
    known = f"{outcome} IS NOT NULL AND {outcome_text} <> 'null'"
    if not good_outcomes:  # no outcome is good: every known one is bad
        return "(1 = 0)", f"({known})"
    names = ", ".join(f":good{i}" for i in range(len(good_outcomes)))
    params.update({f"good{i}": json.dumps(v) for i, v in enumerate(good_outcomes)})
    return (
        f"({known} AND {outcome_text} IN ({names}))",
        f"({known} AND {outcome_text} NOT IN ({names}))",
    )


def _score_sums(w: str) -> dict[str, str]:
    return {
        "scored": f"SUM(CASE WHEN d.score IS NOT NULL THEN {w} ELSE 0 END)",
        "scored_sq": f"SUM(CASE WHEN d.score IS NOT NULL THEN {w} * ABS({w}) ELSE 0 END)",
        "score_sum": f"SUM(CASE WHEN d.score IS NOT NULL THEN {w} * d.score ELSE 0 END)",
        "score_sq_sum": (
            f"SUM(CASE WHEN d.score IS NOT NULL THEN {w} * d.score * d.score ELSE 0 END)"
        ),
    }
