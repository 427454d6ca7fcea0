"""Per-bin sums for monitoring, counted where the decisions live (mixed into :class:`SqlStore`).

One ``GROUP BY`` per feature: the database reads the feature out of each decision's logged inputs,
puts it in the reference profile's bin with a ``CASE`` over the bin edges (or categories), and
returns one row per bin in the shape ``attest.core.bins.BinCounts.from_aggregates`` reads.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, text

from attest.core.bins import NUMERIC, Binning
from attest.store.base import BinQuery
from attest.store.sql.engine import transaction
from attest.store.sql.group_sums import window_sql


class SqlBins:
    engine: Engine
    _dialect: str

    def bin_aggregates(self, tenant: str, query: BinQuery) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "tenant": tenant,
            "system": query.system,
            "version": query.version,
        }
        probability = "d.score" if query.score_predicts == "bad" else "(1.0 - d.score)"
        value = probability if query.feature is None else self._value(query, params)
        numeric = query.feature is None or query.binning.kind == NUMERIC
        bin_expr, out_expr = _bins(query.binning, "x.v", params, numeric=numeric)
        good = ", ".join(f":good{i}" for i in range(len(query.good_outcomes)))
        params.update({f"good{i}": json.dumps(v) for i, v in enumerate(query.good_outcomes)})
        outcome = "CAST(d.outcome AS TEXT)"
        event = (
            f"CASE WHEN d.outcome IS NULL OR {outcome} = 'null' THEN NULL "
            + (f"WHEN {outcome} IN ({good}) THEN 0 " if good else "")
            + "ELSE 1 END"
        )
        favourable = ", ".join(f":fav{i}" for i in range(len(query.favourable))) or "NULL"
        params.update({f"fav{i}": v for i, v in enumerate(query.favourable)})
        # Periods and vintages are by decision time: when it was decided, else when logged.
        moment = "COALESCE(d.decided_at, d.logged_at)"
        where = window_sql(self._dialect, query.since, query.until, params, moment)
        inner = (
            f"SELECT {value} AS v, {event} AS y, {probability} AS p, "
            f"CASE WHEN d.label IN ({favourable}) THEN 1 ELSE 0 END AS sel "
            "FROM decisions d WHERE d.tenant = :tenant AND d.system = :system "
            f"AND d.model_version = :version{where}"
        )
        sums = {
            "n": "COUNT(*)",
            "events": "SUM(CASE WHEN x.y = 1 THEN 1 ELSE 0 END)",
            "labelled": "SUM(CASE WHEN x.y IS NOT NULL THEN 1 ELSE 0 END)",
            "scored": "SUM(CASE WHEN x.p IS NOT NULL THEN 1 ELSE 0 END)",
            "score_sum": "SUM(COALESCE(x.p, 0))",
            "score_sq_sum": "SUM(COALESCE(x.p * x.p, 0))",
            "labelled_scored": (
                "SUM(CASE WHEN x.y IS NOT NULL AND x.p IS NOT NULL THEN 1 ELSE 0 END)"
            ),
            "labelled_score_sum": "SUM(CASE WHEN x.y IS NOT NULL THEN COALESCE(x.p, 0) ELSE 0 END)",
            "labelled_score_sq_sum": (
                "SUM(CASE WHEN x.y IS NOT NULL THEN COALESCE(x.p * x.p, 0) ELSE 0 END)"
            ),
            "event_score_sum": "SUM(CASE WHEN x.y = 1 THEN COALESCE(x.p, 0) ELSE 0 END)",
            "out_of_range": f"SUM({out_expr})",
            "selected": "SUM(x.sel)",
        }
        sql = (
            f"SELECT {bin_expr} AS bin, "
            + ", ".join(f"{v} AS {k}" for k, v in sums.items())
            + f" FROM ({inner}) x GROUP BY {bin_expr}"
        )
        with transaction(self.engine, write=False) as conn:
            rows = [dict(r) for r in conn.execute(text(sql), params).mappings().all()]
        for row in rows:  # unit weights: the squared sums equal the counts
            row["n_sq"], row["labelled_sq"] = row["n"], row["labelled"]
        return rows

    def _value(self, query: BinQuery, params: dict[str, Any]) -> str:
        """The feature's value in the logged inputs: a number, or a category as its JSON text."""
        assert query.feature is not None
        numeric = query.binning.kind == NUMERIC
        if self._dialect == "postgresql":
            params["feature"] = query.feature
            raw = "(d.inputs ->> :feature)"
            return f"CAST({raw} AS DOUBLE PRECISION)" if numeric else raw
        params["path"] = '$."' + query.feature.replace('"', '\\"') + '"'
        if numeric:
            return "CAST(json_extract(d.inputs, :path) AS REAL)"
        return (
            "(CASE json_type(d.inputs, :path) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
            "WHEN 'null' THEN NULL ELSE CAST(json_extract(d.inputs, :path) AS TEXT) END)"
        )


def _bins(
    binning: Binning, value: str, params: dict[str, Any], *, numeric: bool
) -> tuple[str, str]:
    """The bin index of ``value`` and whether it is out of the reference range, as SQL."""
    cases = [f"WHEN {value} IS NULL THEN {binning.missing_index}"]
    if numeric:
        for i, edge in enumerate(binning.edges):
            params[f"edge{i}"] = edge
            cases.append(f"WHEN {value} < :edge{i} THEN {i}")
        last = len(binning.edges)
        out = "0"
        if binning.reference_min is not None and binning.reference_max is not None:
            params["low"], params["high"] = binning.reference_min, binning.reference_max
            out = f"(CASE WHEN {value} < :low OR {value} > :high THEN 1 ELSE 0 END)"
        return f"(CASE {' '.join(cases)} ELSE {last} END)", out
    for i, category in enumerate(binning.categories):
        params[f"category{i}"] = category
        cases.append(f"WHEN {value} = :category{i} THEN {i}")
    return f"(CASE {' '.join(cases)} ELSE {binning.unseen_index} END)", "0"
