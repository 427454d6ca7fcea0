"""Vintages: a version's decisions by the calendar month they were made, with how far their
outcomes have matured and how well the score ranked them (catalogue MON-BT, question 4's
"back-testing by vintage").

Outcomes arrive months after decisions, so a run's own period is often not measurable yet while
older months are. Each vintage is the month's score counts (the reference profile's score bins),
summed from per-day counts: decisions, labelled decisions, maturity (labelled / decisions), the
bad rate among the labelled, and KS and AUC on them. A month without labelled decisions is
``not_measurable`` with the reason, never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from attest.core.bins import BinCounts, Binning
from attest.core.drift import (
    AMBER,
    AUC_THRESHOLDS,
    GREEN,
    KS_THRESHOLDS,
    RED,
    Thresholds,
)
from attest.core.ranking_power import ranking_power
from attest.errors import InvalidInput

_RANK = {GREEN: 0, AMBER: 1, RED: 2}
MAX_VINTAGES = 120  # ten years of months: a run's entry stays well inside the entry size limit


def monthly_counts(rows: Iterable[Mapping[str, Any]], binning: Binning) -> dict[str, BinCounts]:
    """Per-day bin rows (each with ``day`` ``YYYY-MM-DD``) summed into ``YYYY-MM`` months."""
    months: dict[str, list[Mapping[str, Any]]] = {}
    for i, row in enumerate(rows):
        day = row.get("day") if isinstance(row, Mapping) else None
        if not isinstance(day, str) or len(day) != 10:
            raise InvalidInput(f"rows[{i}].day: must be a day, YYYY-MM-DD")
        months.setdefault(day[:7], []).append(row)
    # ``from_aggregates`` adds the rows of one bin, so a month's days are summed in one pass.
    return {
        month: BinCounts.from_aggregates(months[month], binning=binning) for month in sorted(months)
    }


def vintages(
    months: Mapping[str, BinCounts],
    binning: Binning,
    *,
    until: datetime | None,
    ks_thresholds: Thresholds = KS_THRESHOLDS,
    auc_thresholds: Thresholds = AUC_THRESHOLDS,
    limit: int = MAX_VINTAGES,
) -> list[dict[str, Any]]:
    """One vintage per month from the first month with decisions to the month ``until`` (an
    exclusive end) falls in, oldest first; months without decisions are listed too. At most
    the newest ``limit`` months."""
    present = sorted(m for m, c in months.items() if c.total("n") > 0)
    if not present:
        return []
    last = present[-1]
    if until is not None:
        last = max(last, (until - timedelta(microseconds=1)).strftime("%Y-%m"))
    found = []
    for month in _months(present[0], last)[-limit:]:
        counts = months.get(month) or BinCounts.empty(binning)
        found.append(_vintage(month, counts, ks_thresholds, auc_thresholds))
    return found


def _vintage(
    month: str, counts: BinCounts, ks_thresholds: Thresholds, auc_thresholds: Thresholds
) -> dict[str, Any]:
    decisions = counts.total("n")
    power = ranking_power(counts, ks_thresholds=ks_thresholds, auc_thresholds=auc_thresholds)
    vintage: dict[str, Any] = {
        "month": month,
        "decisions": decisions,
        "maturity": power["labelled"] / decisions if decisions > 0 else None,
    } | power
    if decisions <= 0:
        vintage["reason"] = "no decisions in this month"
    return vintage


def _months(first: str, last: str) -> list[str]:
    day = date.fromisoformat(f"{first}-01")
    months = []
    while (text := day.strftime("%Y-%m")) <= last:
        months.append(text)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months
