"""The query tables against the log: re-derive them (``attest rebuild``) or check them (audit).

Both replay the log through :func:`attest.core.projections.project`, the function the append path
uses, so a table row can only be right in one way: the way the log says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from attest.core.projections import PROJECTORS, ProjectionRow, project
from attest.errors import NotFound
from attest.store.base import Store

MAX_DETAILS = 5


def derived_rows(store: Store, tenant: str) -> Iterator[ProjectionRow]:
    """Every projection row the tenant's log implies, in entry order."""
    latest = store.latest_checkpoint(tenant)
    if latest is None:
        raise NotFound(f"unknown tenant {tenant}: it has no log")
    wanted = tuple(f'"type":"{name}"'.encode() for name in PROJECTORS)
    for entry in store.entries(tenant, stop=latest.size):
        if not any(marker in entry.data for marker in wanted):
            continue  # no projected type can be in these bytes: skip the parse
        yield from project(json.loads(entry.data), entry.index)


def rebuild(store: Store, tenant: str) -> None:
    """Replace the tenant's query tables by what the log says."""
    store.replace_projections(tenant, list(derived_rows(store, tenant)))


def _comparable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value


def check_projections(store: Store, tenant: str) -> list[str]:
    """Every query-table row that disagrees with the log, missing, or not backed by it.

    Holds the derived tables in memory: meant for the audit of a tenant, not for a hot path.
    """
    expected: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    for row in derived_rows(store, tenant):
        table = expected.setdefault(row.table, {})
        key = tuple(row.key.values())
        if row.mode == "update":
            if key in table:
                table[key].update(row.values)
        else:
            table[key] = {**table.get(key, {}), **row.key, **row.values}
    findings: list[str] = []
    for name in ("tenants", "systems", "model_versions", "decisions", "outcomes", "bias_runs"):
        key_columns = _key_columns(name)
        stored = {tuple(r[c] for c in key_columns): r for r in store.table_rows(tenant, name)}
        derived = expected.get(name, {})
        problems = []
        for key in sorted(set(stored) | set(derived), key=str):
            if key not in stored:
                problems.append(f"{name} row {key} is missing")
            elif key not in derived:
                problems.append(f"{name} row {key} is not backed by any entry")
            else:
                changed = sorted(
                    column
                    for column, value in derived[key].items()
                    if _comparable(stored[key].get(column)) != _comparable(value)
                )
                if changed:
                    problems.append(f"{name} row {key} disagrees with the log in {changed}")
        if len(problems) > MAX_DETAILS:
            problems = [*problems[:MAX_DETAILS], f"... and {len(problems) - MAX_DETAILS} more"]
        findings += problems
    return findings


def _key_columns(table: str) -> tuple[str, ...]:
    return {
        "tenants": (),
        "systems": ("system",),
        "model_versions": ("system", "version"),
        "decisions": ("decision_id",),
        "outcomes": ("outcome_id",),
        "bias_runs": ("run_id",),
    }[table]
