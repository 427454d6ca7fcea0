"""Protected group memberships and bias-run sums in SQL (mixed into :class:`SqlStore`).

The sums are computed where the decisions live: one ``GROUP BY`` returns a row per group in the
shape ``attest.core.counts.GroupCounts.from_aggregates`` reads, so no decision reaches Python.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, delete, text

from attest.store.base import GroupQuery
from attest.store.sql import tables as t
from attest.store.sql.engine import transaction

CHUNK = 2000


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
        params: dict[str, Any] = {"tenant": tenant, "system": query.system}
        joins, groups, weights = [], [], []
        for number, attribute in enumerate(query.attributes):
            alias = f"g{number}"
            params[f"attribute{number}"] = attribute
            joins.append(
                f"LEFT JOIN fairness_groups {alias} ON {alias}.tenant = d.tenant "
                f"AND {alias}.decision_id = d.decision_id "
                f"AND {alias}.attribute = :attribute{number}"
            )
            groups.append(f'{alias}.group_value AS "{attribute}"')
            weights.append(f"COALESCE({alias}.weight, 1.0)")
        weight = " * ".join(weights) or "1.0"
        favourable = ", ".join(f":favourable{i}" for i in range(len(query.favourable))) or "NULL"
        params.update({f"favourable{i}": v for i, v in enumerate(query.favourable)})
        good = ", ".join(f":good{i}" for i in range(len(query.good_outcomes))) or "NULL"
        params.update({f"good{i}": json.dumps(v) for i, v in enumerate(query.good_outcomes)})
        outcome = "CAST(d.outcome AS TEXT)"
        selected = f"(CASE WHEN d.label IN ({favourable}) THEN 1 ELSE 0 END)"
        is_good = f"(d.outcome IS NOT NULL AND {outcome} IN ({good}))"
        is_bad = f"(d.outcome IS NOT NULL AND {outcome} NOT IN ({good}))"
        where = ["d.tenant = :tenant", "d.system = :system"]
        if query.since is not None:
            where.append("d.logged_at >= :since")
            params["since"] = query.since
        if query.until is not None:
            where.append("d.logged_at < :until")
            params["until"] = query.until
        w = f"({weight})"
        sums = {
            "n": f"SUM({w})",
            "n_sq": f"SUM({w} * {w})",
            "selected": f"SUM({w} * {selected})",
            "tp": f"SUM(CASE WHEN {is_good} AND {selected} = 1 THEN {w} ELSE 0 END)",
            "fp": f"SUM(CASE WHEN {is_bad} AND {selected} = 1 THEN {w} ELSE 0 END)",
            "tn": f"SUM(CASE WHEN {is_bad} AND {selected} = 0 THEN {w} ELSE 0 END)",
            "fn": f"SUM(CASE WHEN {is_good} AND {selected} = 0 THEN {w} ELSE 0 END)",
            "good_sq": f"SUM(CASE WHEN {is_good} THEN {w} * {w} ELSE 0 END)",
            "bad_sq": f"SUM(CASE WHEN {is_bad} THEN {w} * {w} ELSE 0 END)",
            "scored": f"SUM(CASE WHEN d.score IS NOT NULL THEN {w} ELSE 0 END)",
            "scored_sq": f"SUM(CASE WHEN d.score IS NOT NULL THEN {w} * {w} ELSE 0 END)",
            "score_sum": f"SUM(CASE WHEN d.score IS NOT NULL THEN {w} * d.score ELSE 0 END)",
            "score_sq_sum": (
                f"SUM(CASE WHEN d.score IS NOT NULL THEN {w} * d.score * d.score ELSE 0 END)"
            ),
            "above": "SUM(0)"
            if query.score_threshold is None
            else f"SUM(CASE WHEN d.score > :threshold THEN {w} ELSE 0 END)",
        }
        if query.score_threshold is not None:
            params["threshold"] = query.score_threshold
        group_columns = [f"g{i}.group_value" for i in range(len(query.attributes))]
        sql = (
            f"SELECT {', '.join([*groups, *(f'{v} AS {k}' for k, v in sums.items())])} "
            f"FROM decisions d {' '.join(joins)} WHERE {' AND '.join(where)}"
            + (f" GROUP BY {', '.join(group_columns)}" if group_columns else "")
        )
        with transaction(self.engine, write=False) as conn:
            return [dict(row) for row in conn.execute(text(sql), params).mappings().all()]
