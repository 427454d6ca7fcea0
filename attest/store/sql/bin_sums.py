"""Per-bin sums for monitoring, counted where the decisions live (mixed into :class:`SqlStore`).

A run asks for one feature's counts in the reference profile's bins (or the score's). Whole UTC days
of the window come from a per-day cache (``bin_counts``, one row per day, bin, label and outcome,
kept in step with the log by :mod:`attest.store.sql.day_cache`), so a run over a year sums a few
thousand rows per feature instead of reading every decision's inputs; the window's partial first
and last days are counted from the decisions by the same bin expressions. Good outcomes and
favourable labels are applied when the rows are read, so one cache serves every reading of them.

The database reads the feature out of each decision's logged inputs and puts it in a bin with a
``CASE`` over the bin edges (or categories); rows come back in the shape
``attest.core.bins.BinCounts.from_aggregates`` reads. The in-memory store counts row by row and is
the oracle the store tests compare with.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, select, text

from attest.core.bins import NUMERIC, Binning
from attest.store.base import BinQuery
from attest.store.sql import tables as t
from attest.store.sql.day_cache import (
    DayRange,
    bound,
    cached_days,
    day_sql,
    days_sql,
    decisions_for,
    refresh,
    sign,
    window_sql,
)
from attest.store.sql.engine import transaction

# Periods and vintages are by decision time: when it was decided, else when logged.
MOMENT = "COALESCE(d.decided_at, d.logged_at)"
SUMS = (
    "n",
    "events",
    "labelled",
    "scored",
    "score_sum",
    "score_sq_sum",
    "labelled_scored",
    "labelled_score_sum",
    "labelled_score_sq_sum",
    "event_score_sum",
    "out_of_range",
    "selected",
)
_EPOCH_DAY = date(1970, 1, 1)
_OUT = {"bin": "bin", "day": "day", "segment_bin": "segment"}  # cache column: row key
# Keeps the value subquery from being merged into the grouping query: merged, the database reads
# the feature out of the JSON once per bin edge the CASE compares it with (twice as slow here).
_FENCE = {False: " LIMIT -1 OFFSET 0", True: " OFFSET 0"}  # SQLite, PostgreSQL


class SqlBins:
    engine: Engine
    _dialect: str

    def reference_rows(
        self, tenant: str, system: str, version: str, since: datetime, until: datetime
    ) -> list[tuple[Any, Any, Any]]:
        d = t.decisions
        moment = func.coalesce(d.c.decided_at, d.c.logged_at)
        statement = (
            select(d.c.inputs, d.c.score, d.c.outcome)
            .where(d.c.tenant == tenant, d.c.system == system, d.c.model_version == version)
            .where(moment >= bound(self._dialect, since), moment < bound(self._dialect, until))
            .order_by(d.c.idx)
        )
        with transaction(self.engine, write=False) as conn:
            return [(row.inputs, row.score, row.outcome) for row in conn.execute(statement)]

    def bin_aggregates(self, tenant: str, query: BinQuery) -> list[dict[str, Any]]:
        days, edges = cached_days(query.since, query.until)
        rows: list[dict[str, Any]] = []
        if days is not None:
            cached = _BinCountSet.of(tenant, query, self._dialect)
            refresh(self.engine, tenant, cached)
            rows += _from_cache(self.engine, cached, query, days)
        if edges:
            with transaction(self.engine, write=False) as conn:
                for since, until in edges:
                    rows += _from_decisions(conn, self._dialect, tenant, query, since, until)
        return _merged(rows, query)


def forget_tenant(conn: Connection, tenant: str) -> None:
    """Drop all of ``tenant``'s cached bin counts (a rebuild of the query tables)."""
    conn.execute(delete(t.bin_counts).where(t.bin_counts.c.tenant == tenant))
    conn.execute(delete(t.bin_count_sets).where(t.bin_count_sets.c.tenant == tenant))


@dataclass(frozen=True)
class _BinCountSet:
    """One feature (or the score) of one model version counted into one binning, by day."""

    tenant: str
    system: str
    version: str
    feature: str  # '' for the score
    segment: str  # '' when not split by a segment feature
    binning_key: str
    query: BinQuery
    dialect: str
    header: Table = t.bin_count_sets

    @classmethod
    def of(cls, tenant: str, query: BinQuery, dialect: str) -> _BinCountSet:
        # The score's bins hold the event probability, so its orientation is part of the key.
        named = {
            "binning": query.binning.to_json(),
            "score_predicts": query.score_predicts,
            "segment": None if query.segment_binning is None else query.segment_binning.to_json(),
        }
        digest = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()
        return cls(
            tenant,
            query.system,
            query.version,
            query.feature or "",
            _segment_name(query),
            digest,
            query,
            dialect,
        )

    @property
    def key(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "system": self.system,
            "version": self.version,
            "feature": self.feature,
            "segment": self.segment,
            "binning": self.binning_key,
        }

    def fill(self, conn: Connection, which: str, watermark: int) -> int:
        query = self.query
        params: dict[str, Any] = {
            "tenant": self.tenant,
            "system": self.system,
            "version": self.version,
            "watermark": watermark,
        }
        # The inserted copies get their own names: PostgreSQL types each parameter once.
        params |= {f"v_{name}": value for name, value in self.key.items()}
        value, probability = _value_and_probability(query, params, self.dialect)
        bin_expr, out_expr = _bins(query, "x.v", params)
        segment_value, segment_bin = _segment_sql(query, params, self.dialect)
        w = sign(which)
        decisions = decisions_for(
            which,
            "d.tenant, d.decision_id, d.inputs, d.score, d.label, d.decided_at, d.logged_at",
            " AND d.system = :system AND d.model_version = :version",
            self.dialect,
        )
        inner = (
            f"SELECT {value} AS v, {probability} AS p, {segment_value} AS sv, "
            f"d.label AS label, d.outcome_key AS outcome_key, "
            f"{day_sql(self.dialect, MOMENT)} AS day "
            f"FROM {decisions}{_FENCE[self.dialect == 'postgresql']}"
        )
        sums = {
            "n": f"SUM({w})",
            "scored": f"SUM(CASE WHEN x.p IS NOT NULL THEN {w} ELSE 0 END)",
            "p_sum": f"SUM({w} * COALESCE(x.p, 0))",
            "p_sq_sum": f"SUM({w} * COALESCE(x.p * x.p, 0))",
            "out_of_range": f"SUM({w} * {out_expr})",
        }
        targets = [*self.key, "day", "bin", "segment_bin", "label", "outcome", *sums]
        values = [
            *(f":v_{name}" for name in self.key),
            "x.day",
            bin_expr,
            segment_bin,
            "x.label",
            "x.outcome_key",
            *sums.values(),
        ]
        result = conn.execute(
            text(
                f"INSERT INTO bin_counts ({', '.join(targets)}) SELECT {', '.join(values)} "
                f"FROM ({inner}) x "
                f"GROUP BY x.day, {bin_expr}, "
                + ("" if query.segment is None else f"{segment_bin}, ")
                + "x.label, x.outcome_key"
            ),
            params,
        )
        return int(result.rowcount or 0)

    def drop(self, conn: Connection) -> None:
        """Drop the feature's rows under every binning: an older profile's go with them."""
        for table in (t.bin_counts, t.bin_count_sets):
            conn.execute(
                delete(table).where(
                    table.c.tenant == self.tenant,
                    table.c.system == self.system,
                    table.c.version == self.version,
                    table.c.feature == self.feature,
                    table.c.segment == self.segment,
                )
            )


def _from_cache(
    engine: Engine, cached: _BinCountSet, query: BinQuery, days: DayRange
) -> list[dict[str, Any]]:
    params: dict[str, Any] = dict(cached.key)
    event = _event("s.outcome", query.good_outcomes, params)
    selected = _selected("s.label", query.favourable, params)
    labelled = "s.outcome IS NOT NULL"
    sums = {
        "n": "SUM(s.n)",
        "events": f"SUM(CASE WHEN {event} THEN s.n ELSE 0 END)",
        "labelled": f"SUM(CASE WHEN {labelled} THEN s.n ELSE 0 END)",
        "scored": "SUM(s.scored)",
        "score_sum": "SUM(s.p_sum)",
        "score_sq_sum": "SUM(s.p_sq_sum)",
        "labelled_scored": f"SUM(CASE WHEN {labelled} THEN s.scored ELSE 0 END)",
        "labelled_score_sum": f"SUM(CASE WHEN {labelled} THEN s.p_sum ELSE 0 END)",
        "labelled_score_sq_sum": f"SUM(CASE WHEN {labelled} THEN s.p_sq_sum ELSE 0 END)",
        "event_score_sum": f"SUM(CASE WHEN {event} THEN s.p_sum ELSE 0 END)",
        "out_of_range": "SUM(s.out_of_range)",
        "selected": f"SUM({selected} * s.n)",
    }
    keys = [
        "s.bin",
        *(["s.day"] if query.per_day else []),
        *(["s.segment_bin"] if query.segment is not None else []),
    ]
    where = " AND ".join(f"s.{name} = :{name}" for name in cached.key)
    sql = (
        f"SELECT {', '.join(f'{k} AS {_OUT[k[2:]]}' for k in keys)}, "
        + ", ".join(f"{v} AS {k}" for k, v in sums.items())
        + f" FROM bin_counts s WHERE {where}{days_sql(days, params)} GROUP BY {', '.join(keys)}"
    )
    with transaction(engine, write=False) as conn:
        rows = [dict(r) for r in conn.execute(text(sql), params).mappings().all()]
    for row in rows:
        if query.per_day:
            row["day"] = _day_text(int(row["day"]))
    return rows


def _from_decisions(
    conn: Connection,
    dialect: str,
    tenant: str,
    query: BinQuery,
    since: Any,
    until: Any,
) -> list[dict[str, Any]]:
    """The sums straight from the decisions of [since, until), one row per bin (and day)."""
    params: dict[str, Any] = {
        "tenant": tenant,
        "system": query.system,
        "version": query.version,
    }
    value, probability = _value_and_probability(query, params, dialect)
    bin_expr, out_expr = _bins(query, "x.v", params)
    segment_value, segment_bin = _segment_sql(query, params, dialect)
    outcome = "NULLIF(CAST(d.outcome AS TEXT), 'null')"
    event = _event("x.o", query.good_outcomes, params)
    selected = _selected("x.label", query.favourable, params)
    where = window_sql(dialect, since, until, params, MOMENT)
    inner = (
        f"SELECT {value} AS v, {probability} AS p, {segment_value} AS sv, {outcome} AS o, "
        f"d.label AS label, {day_sql(dialect, MOMENT)} AS day "
        "FROM decisions d WHERE d.tenant = :tenant AND d.system = :system "
        f"AND d.model_version = :version{where}{_FENCE[dialect == 'postgresql']}"
    )
    labelled = "x.o IS NOT NULL"
    sums = {
        "n": "COUNT(*)",
        "events": f"SUM(CASE WHEN {event} THEN 1 ELSE 0 END)",
        "labelled": f"SUM(CASE WHEN {labelled} THEN 1 ELSE 0 END)",
        "scored": "SUM(CASE WHEN x.p IS NOT NULL THEN 1 ELSE 0 END)",
        "score_sum": "SUM(COALESCE(x.p, 0))",
        "score_sq_sum": "SUM(COALESCE(x.p * x.p, 0))",
        "labelled_scored": f"SUM(CASE WHEN {labelled} AND x.p IS NOT NULL THEN 1 ELSE 0 END)",
        "labelled_score_sum": f"SUM(CASE WHEN {labelled} THEN COALESCE(x.p, 0) ELSE 0 END)",
        "labelled_score_sq_sum": (
            f"SUM(CASE WHEN {labelled} THEN COALESCE(x.p * x.p, 0) ELSE 0 END)"
        ),
        "event_score_sum": f"SUM(CASE WHEN {event} THEN COALESCE(x.p, 0) ELSE 0 END)",
        "out_of_range": f"SUM({out_expr})",
        "selected": f"SUM({selected})",
    }
    keys = [
        bin_expr,
        *(["x.day"] if query.per_day else []),
        *([segment_bin] if query.segment is not None else []),
    ]
    names = [
        "bin",
        *(["day"] if query.per_day else []),
        *(["segment"] if query.segment is not None else []),
    ]
    sql = (
        f"SELECT {', '.join(f'{k} AS {n}' for k, n in zip(keys, names, strict=True))}, "
        + ", ".join(f"{v} AS {k}" for k, v in sums.items())
        + f" FROM ({inner}) x GROUP BY {', '.join(keys)}"
    )
    rows = [dict(r) for r in conn.execute(text(sql), params).mappings().all()]
    for row in rows:
        if query.per_day:
            row["day"] = _day_text(int(row["day"]))
    return rows


def _merged(rows: Iterable[dict[str, Any]], query: BinQuery) -> list[dict[str, Any]]:
    """One row per bin (and day, and segment): the cached days and the window's edges add up.
    Unit weights: the squared sums equal the counts."""
    names = [
        *(["day"] if query.per_day else []),
        *(["segment"] if query.segment is not None else []),
        "bin",
    ]
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        split = {name: row[name] if name == "day" else int(row[name]) for name in names}
        into = merged.setdefault(tuple(split.values()), split | dict.fromkeys(SUMS, 0.0))
        for name in SUMS:
            into[name] += float(row[name] or 0.0)
    kept = [row for row in merged.values() if row["n"] > 0]
    for row in kept:
        row["n_sq"], row["labelled_sq"] = row["n"], row["labelled"]
        _settle(row)
    return sorted(kept, key=lambda r: tuple(r[name] for name in names))


# The probability sums beside the count of the rows they sum over.
_PROBABILITY_SUMS = (
    ("scored", ("score_sum", "score_sq_sum")),
    ("labelled_scored", ("labelled_score_sum", "labelled_score_sq_sum")),
    ("events", ("event_score_sum",)),
)


def _settle(row: dict[str, Any]) -> None:
    """Undo float residue of moved outcomes. Counts are whole numbers and cancel exactly, but a
    probability sum taken out (negative rows) and the one it was put in with are added in
    different orders, so a bin whose events all moved can keep ±1e-16 instead of 0."""
    for count, sums in _PROBABILITY_SUMS:
        for name in sums:
            if row[count] <= 0 or row[name] < 0:
                row[name] = 0.0


def _segment_name(query: BinQuery) -> str:
    if (query.segment is None) != (query.segment_binning is None):
        raise ValueError("a segment needs its binning, and a binning its segment")
    return query.segment or ""


def _segment_sql(query: BinQuery, params: dict[str, Any], dialect: str) -> tuple[str, str]:
    """The segment feature's value over decisions ``d`` and its bin over the subquery ``x``
    (both NULL when the query is not split)."""
    if query.segment is None or query.segment_binning is None:
        return "NULL", "CAST(NULL AS INTEGER)"
    binning = query.segment_binning
    value = _feature_value(query.segment, binning, params, dialect, "segment")
    segment_bin, _out = _bin_sql(binning, "x.sv", params, numeric=binning.kind == NUMERIC, key="s")
    return value, segment_bin


def _day_text(day: int) -> str:
    return (_EPOCH_DAY + timedelta(days=day)).isoformat()


def _value_and_probability(
    query: BinQuery, params: dict[str, Any], dialect: str
) -> tuple[str, str]:
    """SQL for the binned value (the feature, or the score's event probability) and the event
    probability, over decisions ``d``."""
    probability = "d.score" if query.score_predicts == "bad" else "(1.0 - d.score)"
    if query.feature is None:
        return probability, probability
    return _feature_value(query.feature, query.binning, params, dialect, "feature"), probability


def _feature_value(
    feature: str, binning: Binning, params: dict[str, Any], dialect: str, name: str
) -> str:
    """A feature's value in the logged inputs: a number, or a category as its JSON text. A
    numeric feature whose logged value is not a JSON number (a decision of a version logged
    before its schema was known) counts as missing, on every store."""
    numeric = binning.kind == NUMERIC
    if dialect == "postgresql":
        params[name] = feature
        raw = f"(d.inputs ->> :{name})"
        if numeric:
            return (
                f"(CASE WHEN json_typeof(d.inputs -> :{name}) = 'number' "
                f"THEN CAST({raw} AS DOUBLE PRECISION) END)"
            )
        return raw
    params[name] = '$."' + feature.replace('"', '\\"') + '"'
    if numeric:
        return (
            f"(CASE WHEN json_type(d.inputs, :{name}) IN ('integer', 'real') "
            f"THEN CAST(json_extract(d.inputs, :{name}) AS REAL) END)"
        )
    return (
        f"(CASE json_type(d.inputs, :{name}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
        f"WHEN 'null' THEN NULL ELSE CAST(json_extract(d.inputs, :{name}) AS TEXT) END)"
    )


def _event(outcome: str, good_outcomes: tuple[Any, ...], params: dict[str, Any]) -> str:
    """A labelled row whose outcome is the event (not a good one); ``outcome`` is the JSON
    text, NULL when not known yet."""
    if not good_outcomes:
        return f"({outcome} IS NOT NULL)"
    names = ", ".join(f":good{i}" for i in range(len(good_outcomes)))
    params.update({f"good{i}": json.dumps(v) for i, v in enumerate(good_outcomes)})
    return f"({outcome} IS NOT NULL AND {outcome} NOT IN ({names}))"


def _selected(label: str, favourable: tuple[str, ...], params: dict[str, Any]) -> str:
    names = ", ".join(f":fav{i}" for i in range(len(favourable))) or "NULL"
    params.update({f"fav{i}": v for i, v in enumerate(favourable)})
    return f"(CASE WHEN {label} IN ({names}) THEN 1 ELSE 0 END)"


def _bins(query: BinQuery, value: str, params: dict[str, Any]) -> tuple[str, str]:
    """The bin index of ``value`` and whether it is out of the reference range, as SQL."""
    numeric = query.feature is None or query.binning.kind == NUMERIC
    return _bin_sql(query.binning, value, params, numeric=numeric, key="b")


def _bin_sql(
    binning: Binning, value: str, params: dict[str, Any], *, numeric: bool, key: str
) -> tuple[str, str]:
    """``_bins`` for any binning; ``key`` keeps its parameters apart from another binning's."""
    cases = [f"WHEN {value} IS NULL THEN {binning.missing_index}"]
    if numeric:
        for i, edge in enumerate(binning.edges):
            params[f"{key}edge{i}"] = edge
            cases.append(f"WHEN {value} < :{key}edge{i} THEN {i}")
        last = len(binning.edges)
        out = "0"
        if binning.reference_min is not None and binning.reference_max is not None:
            params[f"{key}low"], params[f"{key}high"] = binning.reference_min, binning.reference_max
            out = f"(CASE WHEN {value} < :{key}low OR {value} > :{key}high THEN 1 ELSE 0 END)"
        return f"(CASE {' '.join(cases)} ELSE {last} END)", out
    for i, category in enumerate(binning.categories):
        params[f"{key}category{i}"] = category
        cases.append(f"WHEN {value} = :{key}category{i} THEN {i}")
    return f"(CASE {' '.join(cases)} ELSE {binning.unseen_index} END)", "0"
