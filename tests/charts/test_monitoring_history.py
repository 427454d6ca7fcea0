"""Which runs the stability chart draws beside the shown one: the runs of its version (judged
against the same reference), in the order their periods end, up to the shown run."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from attest.reports.monitoring_run import load


def at(month: int) -> datetime:
    return datetime(2026, month, 1, tzinfo=UTC)


def _run(run_id: str, idx: int, version: str, start: int, end: int) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "idx": idx,
        "version": version,
        "window_from": at(start),
        "window_to": at(end),
        "run_at": at(end),
    }


def _runtime(runs: list[dict[str, Any]]) -> Any:
    newest_first = sorted(runs, key=lambda r: r["idx"], reverse=True)
    monitoring = SimpleNamespace(
        runs=lambda tenant, system: newest_first,
        document=lambda tenant, system, run_id: {"run": run_id},
        alerts=lambda tenant, system: [],
    )
    inventory = SimpleNamespace(
        system=lambda tenant, system: SimpleNamespace(id=system),
        tenant=lambda tenant: {"name": "First Community Bank"},
    )
    return SimpleNamespace(monitoring=monitoring, inventory=inventory)


def test_the_history_is_the_shown_versions_runs_in_period_order() -> None:
    runs = [
        _run("v1-q2", 1, "v1", 4, 7),
        _run("v1-q3", 2, "v1", 7, 10),
        _run("v2-q3", 3, "v2", 7, 10),  # another version: another reference
        _run("v1-q1-again", 4, "v1", 1, 4),  # an old quarter run again, logged last
    ]
    view = load(_runtime(runs), "bank", "credit")
    assert view.run is not None and view.run["run_id"] == "v1-q1-again"  # the newest logged
    assert [d["run"] for _label, d in view.history] == ["v1-q1-again"]  # nothing ended before

    q3 = load(_runtime(runs), "bank", "credit", "v1-q3")
    assert [d["run"] for _label, d in q3.history] == ["v1-q1-again", "v1-q2", "v1-q3"]
    other = load(_runtime(runs), "bank", "credit", "v2-q3")
    assert [d["run"] for _label, d in other.history] == ["v2-q3"]
