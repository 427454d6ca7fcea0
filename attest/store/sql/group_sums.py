"""Per-group sums for bias runs, from the decisions or from a per-day cache of them.

Every sum a run needs (``attest.core.counts``) is linear in the decisions, so sums add across
days. For each (system, attribute set) a run asks for, the ``group_sums`` table keeps one row per
UTC day, label, outcome and group values, holding the weighted count, the squared weights and the
score moments. Favourable labels and good outcomes are applied when a run reads the rows, so one
cache serves every policy, and a run over a year sums a few thousand rows instead of every
decision and membership (a million decisions with BISG weights are six million memberships).

Freshness: ``group_sum_sets`` records the log size each set covers (its watermark). Before a read,
the days touched since then are recomputed from the decisions by the same SQL the uncached path
runs: the days of decisions logged at or after the watermark and of decisions whose outcome was.
A recomputation replaces whole days, so repeating one is harmless. A new group assignment drops
every set naming its attribute, and an erasure or a rebuild of the query tables drops the
tenant's sets; the next run builds them again. The cache is not evidence and holds nothing the
decisions and ``fairness_groups`` tables do not: the store contract tests compare its answers
with the in-memory store's after ingest, outcomes, assignments and erasures.

Not served by the cache (summed from the decisions directly): a score threshold (the LL144
scoring rate), more than ``MAX_ATTRIBUTES`` attributes, and windows shorter than a whole day; a
window's partial first and last days are summed directly and added to the cached whole days.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from attest.store.base import GroupQuery
from attest.store.sql import tables as t
from attest.store.sql.engine import as_utc, transaction

MAX_ATTRIBUTES = len(t.GROUP_SUM_COLUMNS)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
DayRange = tuple[int | None, int | None]  # first day, day after the last (None: unbounded)
RETRIES = 3
WORK_MEM = "256MB"
# Rebuild a set from scratch once the rows added by updates outnumber those of its last build.
COMPACT_AFTER = 10_000


def serves(query: GroupQuery) -> bool:
    """Whether the per-day cache can answer ``query`` (see the module docstring)."""
    return query.score_threshold is None and 1 <= len(query.attributes) <= MAX_ATTRIBUTES


def cached_days(
    query: GroupQuery,
) -> tuple[DayRange | None, list[tuple[datetime | None, datetime | None]]]:
    """The whole days of the window (None when it holds none) and the partial edges around them."""
    first = None if query.since is None else _day_on_or_after(query.since)
    stop = None if query.until is None else _day_of(query.until)
    if first is not None and stop is not None and first >= stop:
        return None, [(query.since, query.until)]
    edges: list[tuple[datetime | None, datetime | None]] = []
    if first is not None and query.since is not None and _start(first) != as_utc(query.since):
        edges.append((query.since, _start(first)))
    if stop is not None and query.until is not None and _start(stop) != as_utc(query.until):
        edges.append((_start(stop), query.until))
    return (first, stop), edges


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
    _refresh(engine, dialect, tenant, query.system, kept)
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
    where = ""
    first, stop = days
    if first is not None:
        where += " AND s.day >= :first"
        params["first"] = first
    if stop is not None:
        where += " AND s.day < :stop"
        params["stop"] = stop
    sql = (
        f"SELECT {', '.join([*named, *(f'{v} AS {k}' for k, v in sums.items())])} "
        "FROM group_sums s WHERE s.tenant = :tenant AND s.system = :system "
        f"AND s.attributes = :attributes{where} GROUP BY {', '.join(columns)}"
    )
    with transaction(engine, write=False) as conn:
        return [dict(row) for row in conn.execute(text(sql), params).mappings().all()]


# -- keeping the cache ---------------------------------------------------------------------------


def _refresh(
    engine: Engine, dialect: str, tenant: str, system: str, attributes: Sequence[str]
) -> None:
    key = ",".join(attributes)
    sets = t.group_sum_sets
    this_set = (sets.c.tenant == tenant, sets.c.system == system, sets.c.attributes == key)
    with transaction(engine, write=False) as conn:
        size = conn.scalar(select(t.logs.c.size).where(t.logs.c.tenant == tenant)) or 0
        if conn.scalar(select(sets.c.watermark).where(*this_set)) == size:
            return
    for attempt in range(RETRIES):
        try:
            with _snapshot(engine) as conn:
                _bring_up_to_date(conn, dialect, tenant, system, attributes)
            return
        except (IntegrityError, OperationalError) as error:
            # Another run refreshed the same set at the same moment (PostgreSQL refuses the
            # second writer of the header row, or of its first insert): its work is ours.
            if attempt == RETRIES - 1 or not _lost_race(error):
                raise


def _bring_up_to_date(
    conn: Connection, dialect: str, tenant: str, system: str, attributes: Sequence[str]
) -> None:
    key = ",".join(attributes)
    sets = t.group_sum_sets
    this_set = (sets.c.tenant == tenant, sets.c.system == system, sets.c.attributes == key)
    size = conn.scalar(select(t.logs.c.size).where(t.logs.c.tenant == tenant)) or 0
    header = conn.execute(
        select(sets.c.watermark, sets.c.built_rows, sets.c.delta_rows)
        .where(*this_set)
        .with_for_update()
    ).first()
    if header is not None and header.watermark == size:
        return
    if header is None or header.delta_rows > max(header.built_rows, COMPACT_AFTER):
        _drop(conn, tenant, system, key)
        rows = _fill(conn, dialect, tenant, system, attributes, _ALL)
        conn.execute(
            insert(sets).values(
                tenant=tenant,
                system=system,
                attributes=key,
                watermark=size,
                built_rows=rows,
                delta_rows=0,
            )
        )
        return
    watermark = header.watermark
    # Decisions logged since: added with their outcome as it stands.
    rows = _fill(conn, dialect, tenant, system, attributes, _NEW, watermark=watermark)
    # Older decisions whose outcome was logged since: taken out under the outcome they had at
    # the watermark, put back under the one they have now.
    rows += _fill(conn, dialect, tenant, system, attributes, _MOVED_OUT, watermark=watermark)
    rows += _fill(conn, dialect, tenant, system, attributes, _MOVED_IN, watermark=watermark)
    conn.execute(
        update(sets).where(*this_set).values(watermark=size, delta_rows=header.delta_rows + rows)
    )


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A write transaction whose statements all see one snapshot of the log: the log size read
    first and the decisions and outcomes summed afterwards agree. SQLite's writer holds the
    only write lock, so nothing is appended meanwhile; PostgreSQL needs REPEATABLE READ."""
    if engine.dialect.name != "postgresql":
        with transaction(engine, write=True) as conn:
            yield conn
        return
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # Grouping millions of memberships by day and group fits in memory with room to
            # spare; at the 4 MB default PostgreSQL sorts them on disk (several times slower).
            conn.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
            yield conn


def _lost_race(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlstate", None)
    return code in ("40001", "23505")  # serialization failure, unique violation


# What ``_fill`` sums: every decision, those logged at or after the watermark, and those logged
# before it with an outcome logged at or after it (out: as of the watermark; in: as now).
_ALL, _NEW, _MOVED_OUT, _MOVED_IN = "all", "new", "moved_out", "moved_in"
_OUTCOME_NOW = "NULLIF(CAST(d.outcome AS TEXT), 'null')"
_OUTCOME_AT_WATERMARK = (
    "(SELECT NULLIF(CAST(o.outcome AS TEXT), 'null') FROM outcomes o WHERE o.tenant = d.tenant "
    "AND o.decision_id = d.decision_id AND o.idx < :watermark ORDER BY o.idx DESC LIMIT 1)"
)
# Driven from the few new outcomes (by their log index), not from every older decision.
_MOVED = (
    "(SELECT DISTINCT o.decision_id FROM outcomes o WHERE o.tenant = :tenant "
    "AND o.idx >= :watermark) m JOIN decisions d ON d.tenant = :tenant "
    "AND d.decision_id = m.decision_id AND d.idx < :watermark"
)


def _fill(
    conn: Connection,
    dialect: str,
    tenant: str,
    system: str,
    attributes: Sequence[str],
    which: str,
    *,
    watermark: int = 0,
) -> int:
    """Insert the set's rows for the decisions ``which`` names; return how many rows."""
    params: dict[str, Any] = {"tenant": tenant, "system": system, "watermark": watermark}
    # The inserted copies get their own names: PostgreSQL types each parameter once.
    params |= {"v_tenant": tenant, "v_system": system, "v_key": ",".join(attributes)}
    joins, columns, weight = _memberships(attributes, params)
    day = _day_sql(dialect)
    w = f"({weight})" if which != _MOVED_OUT else f"(-1.0 * {weight})"
    outcome = "d.outcome_key"
    source = {
        _ALL: "decisions d",
        _NEW: "decisions d",
        _MOVED_OUT: _MOVED,
        _MOVED_IN: _MOVED,
    }[which]
    condition = " AND d.idx >= :watermark" if which == _NEW else ""
    outcome_key = _OUTCOME_AT_WATERMARK if which == _MOVED_OUT else _OUTCOME_NOW
    decisions = (
        f"(SELECT d.tenant, d.decision_id, d.logged_at, d.label, d.score, "
        f"{outcome_key} AS outcome_key FROM {source} "
        f"WHERE d.tenant = :tenant AND d.system = :system{condition}) d"
    )
    targets = ["tenant", "system", "attributes", "day", "label", "outcome"]
    values = [":v_tenant", ":v_system", ":v_key", day, "d.label", outcome]
    targets += list(t.GROUP_SUM_COLUMNS)
    values += columns + ["NULL"] * (MAX_ATTRIBUTES - len(columns))
    sums = {"n": f"SUM({w})", "n_sq": f"SUM({w} * ABS({w}))", **_score_sums(w)}
    targets += list(sums)
    values += list(sums.values())
    result = conn.execute(
        text(
            f"INSERT INTO group_sums ({', '.join(targets)}) SELECT {', '.join(values)} "
            f"FROM {decisions} {' '.join(joins)} "
            f"GROUP BY {', '.join([day, 'd.label', outcome, *columns])}"
        ),
        params,
    )
    return int(result.rowcount or 0)


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


def window_sql(
    dialect: str,
    since: datetime | None,
    until: datetime | None,
    params: dict[str, Any],
    column: str = "d.logged_at",
) -> str:
    """``AND column`` bounds for a window (since included, until not), bound right."""
    where = ""
    if since is not None:
        where += f" AND {column} >= :since"
        params["since"] = _bound(dialect, since)
    if until is not None:
        where += f" AND {column} < :until"
        params["until"] = _bound(dialect, until)
    return where


def _bound(dialect: str, moment: datetime) -> datetime | str:
    """A time to compare with stored ones. SQLite compares text: its times are stored as UTC
    wall time with six decimals, so the bound is written the same way (an offset suffix would
    make an equal time compare as smaller)."""
    utc = as_utc(moment).astimezone(UTC)
    return utc if dialect == "postgresql" else utc.strftime("%Y-%m-%d %H:%M:%S.%f")


def _day_sql(dialect: str) -> str:
    """The UTC day number (days since 1970-01-01) of ``d.logged_at``, exactly: no float
    rounding can move a time just before midnight into the next day."""
    if dialect == "postgresql":
        return "(CAST((d.logged_at AT TIME ZONE 'UTC') AS DATE) - DATE '1970-01-01')"
    return "CAST(julianday(date(d.logged_at)) - 2440587.5 AS INTEGER)"


def _day_of(moment: datetime) -> int:
    return (as_utc(moment).astimezone(UTC) - EPOCH) // DAY


def _day_on_or_after(moment: datetime) -> int:
    day = _day_of(moment)
    return day if _start(day) == as_utc(moment) else day + 1


def _start(day: int) -> datetime:
    return EPOCH + day * DAY
