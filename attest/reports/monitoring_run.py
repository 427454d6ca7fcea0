"""One monitoring run as the page and the report show it: the run, its document and alerts,
and the runs of its version before it (by period) that the stability chart draws.

The page and the PDF report load a run through here, so a report is the page of that run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from attest.charts.monitoring import MAX_RUNS, run_charts
from attest.charts.spec import Chart
from attest.charts.words import day
from attest.core.inventory import AISystem
from attest.errors import NotFound


@dataclass(frozen=True)
class MonitoringView:
    tenant: dict[str, str]  # id and name
    system: AISystem
    runs: list[dict[str, Any]]  # every run of the system, newest first
    run: dict[str, Any] | None = None  # the run shown; None when there is none yet
    document: dict[str, Any] | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)  # the run's, by number
    history: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # oldest first

    def charts(self) -> tuple[Chart, ...]:
        return () if self.document is None else run_charts(self.history, self.document)


def run_label(run: dict[str, Any]) -> str:
    """A run on a chart's axis: the first day of its period (or the day it ran)."""
    return day(run.get("window_from") or run.get("run_at"))


def _period_order(run: dict[str, Any]) -> tuple[Any, ...]:
    """By the end of the period a run judged (what it knew up to), then by when it was logged."""
    return (run.get("window_to") or run["run_at"], run["idx"])


def load(runtime: Any, tenant: str, system: str, run_id: str | None = None) -> MonitoringView:
    """The system's runs and ``run_id`` (the newest when None); NotFound for another run id."""
    found = runtime.inventory.system(tenant, system)
    about = {"id": tenant, "name": runtime.inventory.tenant(tenant)["name"]}
    runs = runtime.monitoring.runs(tenant, system)  # newest first
    position = 0
    if run_id is not None:
        position = next((i for i, r in enumerate(runs) if r["run_id"] == run_id), -1)
        if position < 0:
            raise NotFound("this system has no such monitoring run")
    if not runs:
        return MonitoringView(about, found, runs)
    run = runs[position]
    # The chart compares like with like: runs of the shown run's version (judged against the same
    # reference), in the order their periods end, up to the shown one.
    same = sorted((r for r in runs if r["version"] == run["version"]), key=_period_order)
    upto = same[: same.index(run) + 1][-MAX_RUNS:]
    history = [
        (run_label(r), runtime.monitoring.document(tenant, system, r["run_id"])) for r in upto
    ]
    alerts = sorted(
        (a for a in runtime.monitoring.alerts(tenant, system) if a["run_id"] == run["run_id"]),
        key=lambda a: a["number"],
    )
    return MonitoringView(about, found, runs, run, history[-1][1], alerts, history)
