"""Keeping a per-day cache of sums in step with the log: what the bias group sums and the
monitoring bin counts share.

A cached *set* is a header row (its key, the log size its rows are complete for — the
watermark — and how many rows its last build and later updates wrote) and rows of sums by UTC day.
Every sum is linear in the decisions, so bringing a set up to date only adds rows:

- decisions logged at or after the watermark, with their outcome as it stands (``NEW``);
- older decisions whose outcome was logged since, taken out under the outcome they had at the
  watermark (``MOVED_OUT``, negative weights) and put back under the one they have now
  (``MOVED_IN``).

Once the rows added by updates outnumber those of the last build (and ``COMPACT_AFTER``), the set
is dropped and built again from every decision (``ALL``). Each set says how it fills and drops its
rows (:class:`CachedSet`); this module runs the refresh in one snapshot of the log, and when two
runs refresh the same set at once, the loser's work is already done by the winner.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from attest.store.sql import tables as t
from attest.store.sql.engine import as_utc, transaction

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
DayRange = tuple[int | None, int | None]  # first day, day after the last (None: unbounded)
RETRIES = 3
WORK_MEM = "256MB"
# Rebuild a set from scratch once the rows added by updates outnumber those of its last build.
COMPACT_AFTER = 10_000

# Which decisions a fill sums: every one, those logged at or after the watermark, and those logged
# before it with an outcome logged at or after it (out: as of the watermark; in: as now).
ALL, NEW, MOVED_OUT, MOVED_IN = "all", "new", "moved_out", "moved_in"
_OUTCOME_NOW = "NULLIF(CAST(d.outcome AS TEXT), 'null')"
_OUTCOME_AT_WATERMARK = (
    "(SELECT NULLIF(CAST(o.outcome AS TEXT), 'null') FROM outcomes o WHERE o.tenant = d.tenant "
    "AND o.decision_id = d.decision_id AND o.idx < :watermark ORDER BY o.idx DESC LIMIT 1)"
)
# Driven from the few new outcomes (by their log index), not from every older decision. SQLite
# would rather read every outcome of the tenant in decision order (for the DISTINCT) than look
# up the few new ones by their index: it is told which index to use.
_MOVED = (
    "(SELECT DISTINCT o.decision_id FROM outcomes o{hint} WHERE o.tenant = :tenant "
    "AND o.idx >= :watermark) m JOIN decisions d ON d.tenant = :tenant "
    "AND d.decision_id = m.decision_id AND d.idx < :watermark"
)
_BY_LOG_INDEX = {"sqlite": " INDEXED BY ix_outcomes_tenant_idx"}


class CachedSet(Protocol):
    """One set of a cache: the header table and key, and how its rows are written and dropped."""

    @property
    def header(self) -> Table: ...

    @property
    def key(self) -> Mapping[str, Any]: ...

    def fill(self, conn: Connection, which: str, watermark: int) -> int:
        """Insert the rows for the decisions ``which`` names; return how many rows."""
        ...

    def drop(self, conn: Connection) -> None:
        """Delete the set's rows and its header."""
        ...


def decisions_for(which: str, columns: str, where: str, dialect: str) -> str:
    """The decisions a fill of kind ``which`` sums, as a subquery ``d`` with ``outcome_key`` (the
    outcome's JSON text then, NULL when none) beside ``columns``; ``:tenant`` and ``:watermark``
    are bound by the caller, and ``where`` narrows to the set's decisions (``AND ...``)."""
    moved = _MOVED.format(hint=_BY_LOG_INDEX.get(dialect, ""))
    source = moved if which in (MOVED_OUT, MOVED_IN) else "decisions d"
    condition = " AND d.idx >= :watermark" if which == NEW else ""
    outcome_key = _OUTCOME_AT_WATERMARK if which == MOVED_OUT else _OUTCOME_NOW
    return (
        f"(SELECT {columns}, {outcome_key} AS outcome_key FROM {source} "
        f"WHERE d.tenant = :tenant{where}{condition}) d"
    )


def sign(which: str) -> str:
    """The factor a fill's sums carry: taking decisions out of the old outcome subtracts them."""
    return "-1.0" if which == MOVED_OUT else "1.0"


def refresh(engine: Engine, tenant: str, cached: CachedSet) -> None:
    """Bring ``cached`` up to the log's current size (nothing to do when it already is)."""
    header = cached.header
    this_set = [header.c[name] == value for name, value in cached.key.items()]
    with transaction(engine, write=False) as conn:
        size = conn.scalar(select(t.logs.c.size).where(t.logs.c.tenant == tenant)) or 0
        if conn.scalar(select(header.c.watermark).where(*this_set)) == size:
            return
    for _attempt in range(RETRIES):
        try:
            with _snapshot(engine) as conn:
                _bring_up_to_date(conn, tenant, cached)
            return
        except (IntegrityError, OperationalError) as error:
            # Another run refreshed the same set at the same moment (PostgreSQL refuses the
            # second writer of the header row, or of its first insert): its work is ours. After
            # losing every try the set is as the last winner left it, complete up to its
            # watermark, and is read as it is rather than failing the run.
            if not _lost_race(error):
                raise


def _bring_up_to_date(conn: Connection, tenant: str, cached: CachedSet) -> None:
    header = cached.header
    this_set = [header.c[name] == value for name, value in cached.key.items()]
    size = conn.scalar(select(t.logs.c.size).where(t.logs.c.tenant == tenant)) or 0
    found = conn.execute(
        select(header.c.watermark, header.c.built_rows, header.c.delta_rows)
        .where(*this_set)
        .with_for_update()
    ).first()
    if found is not None and found.watermark == size:
        return
    if found is not None and not _summed_since(conn, tenant, found.watermark):
        # Only entries no cache sums (runs, reviews, plans...) were appended: nothing to add.
        conn.execute(update(header).where(*this_set).values(watermark=size))
        return
    if found is None or found.delta_rows > max(found.built_rows, COMPACT_AFTER):
        cached.drop(conn)
        rows = cached.fill(conn, ALL, 0)
        conn.execute(
            insert(header).values(**cached.key, watermark=size, built_rows=rows, delta_rows=0)
        )
        return
    watermark = found.watermark
    rows = sum(cached.fill(conn, which, watermark) for which in (NEW, MOVED_OUT, MOVED_IN))
    conn.execute(
        update(header).where(*this_set).values(watermark=size, delta_rows=found.delta_rows + rows)
    )


def _summed_since(conn: Connection, tenant: str, watermark: int) -> bool:
    """Whether a decision or an outcome was logged at or after ``watermark`` (each a lookup in
    the (tenant, idx) indexes: a set is often stale only by the run entries logged since)."""
    for table in (t.decisions, t.outcomes):
        found = conn.execute(
            select(table.c.idx).where(table.c.tenant == tenant, table.c.idx >= watermark).limit(1)
        ).first()
        if found is not None:
            return True
    return False


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
            # Grouping millions of rows by day and group fits in memory with room to spare; at
            # the 4 MB default PostgreSQL sorts them on disk (several times slower).
            conn.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
            yield conn


def _lost_race(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlstate", None)
    return code in ("40001", "23505")  # serialization failure, unique violation


# -- days ----------------------------------------------------------------------------------------


def cached_days(
    since: datetime | None, until: datetime | None
) -> tuple[DayRange | None, list[tuple[datetime | None, datetime | None]]]:
    """The whole days of the window (None when it holds none) and the partial edges around them."""
    first = None if since is None else _day_on_or_after(since)
    stop = None if until is None else day_of(until)
    if first is not None and stop is not None and first >= stop:
        return None, [(since, until)]
    edges: list[tuple[datetime | None, datetime | None]] = []
    if first is not None and since is not None and start_of(first) != as_utc(since):
        edges.append((since, start_of(first)))
    if stop is not None and until is not None and start_of(stop) != as_utc(until):
        edges.append((start_of(stop), until))
    return (first, stop), edges


def days_sql(days: DayRange, params: dict[str, Any], column: str = "s.day") -> str:
    """``AND`` bounds on a cache table's day column for the whole days ``days``."""
    first, stop = days
    where = ""
    if first is not None:
        where += f" AND {column} >= :first"
        params["first"] = first
    if stop is not None:
        where += f" AND {column} < :stop"
        params["stop"] = stop
    return where


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
        params["since"] = bound(dialect, since)
    if until is not None:
        where += f" AND {column} < :until"
        params["until"] = bound(dialect, until)
    return where


def day_sql(dialect: str, column: str = "d.logged_at") -> str:
    """The UTC day number (days since 1970-01-01) of a stored time, exactly: no float rounding
    can move a time just before midnight into the next day."""
    if dialect == "postgresql":
        return f"(CAST(({column} AT TIME ZONE 'UTC') AS DATE) - DATE '1970-01-01')"
    return f"CAST(julianday(date({column})) - 2440587.5 AS INTEGER)"


def day_of(moment: datetime) -> int:
    return (as_utc(moment).astimezone(UTC) - EPOCH) // DAY


def start_of(day: int) -> datetime:
    return EPOCH + day * DAY


def _day_on_or_after(moment: datetime) -> int:
    day = day_of(moment)
    return day if start_of(day) == as_utc(moment) else day + 1


def bound(dialect: str, moment: datetime) -> datetime | str:
    """A time to compare with stored ones. SQLite compares text: its times are stored as UTC
    wall time with six decimals, so the bound is written the same way (an offset suffix would
    make an equal time compare as smaller)."""
    utc = as_utc(moment).astimezone(UTC)
    return utc if dialect == "postgresql" else utc.strftime("%Y-%m-%d %H:%M:%S.%f")
