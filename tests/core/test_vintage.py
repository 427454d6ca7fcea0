"""Vintages from per-day bin counts: months merged from days, maturity and bad rate, and AUC per
month equal to scikit-learn's on the bin indices of that month's labelled rows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sklearn.metrics import roc_auc_score

from attest.core.bins import AGGREGATE_FIELDS, BinCounts, Binning
from attest.core.drift import Thresholds
from attest.core.vintage import monthly_counts, vintages
from attest.errors import InvalidInput

SCORE = Binning.numeric_from_reference([i / 100 for i in range(100)], 10)


def day_rows(rows: list[tuple[date, float, bool | None]]) -> list[dict[str, Any]]:
    """What ``bin_aggregates`` gives with ``per_day``: one row per (day, bin)."""
    found = []
    for day in sorted({d for d, _, _ in rows}):
        of_day = [r for r in rows if r[0] == day]
        counts = BinCounts.from_values(
            SCORE,
            [p for _, p, _ in of_day],
            outcomes=[y for _, _, y in of_day],
            scores=[p for _, p, _ in of_day],
        )
        for i in range(len(SCORE.labels)):
            if counts.n[i] > 0:
                found.append(
                    {"bin": i, "day": day.isoformat()}
                    | {f: getattr(counts, f)[i] for f in AGGREGATE_FIELDS}
                )
    return found


def synthetic(seed: int = 7) -> list[tuple[date, float, bool | None]]:
    """Decisions from March to July 2026, none in May; outcomes known for the older ones."""
    rng = random.Random(seed)
    rows = []
    for month, n, known in ((3, 300, 1.0), (4, 250, 0.6), (6, 200, 0.0), (7, 100, 0.0)):
        for _ in range(n):
            day = date(2026, month, rng.randint(1, 28))
            p = rng.random()
            event = rng.random() < 0.15 + 0.6 * p
            rows.append((day, p, event if rng.random() < known else None))
    return rows


def test_auc_per_month_equals_sklearn_on_the_bin_indices_of_its_labelled_rows() -> None:
    rows = synthetic()
    found = vintages(
        monthly_counts(day_rows(rows), SCORE), SCORE, until=datetime(2026, 8, 1, tzinfo=UTC)
    )
    assert [v["month"] for v in found] == ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]
    for vintage in found:
        month = [r for r in rows if r[0].strftime("%Y-%m") == vintage["month"]]
        labelled = [r for r in month if r[2] is not None]
        assert vintage["decisions"] == len(month)
        assert vintage["labelled"] == len(labelled)
        if not labelled:
            assert vintage["status"] == "not_measurable" and vintage["reason"]
            assert vintage["bad_rate"] is None and vintage["auc"]["auc"] is None
            assert vintage["maturity"] in (None, 0.0)  # never a bad rate or AUC of 0
            continue
        y = [r[2] for r in labelled]
        bins = [SCORE.bin_of(r[1]) for r in labelled]
        assert vintage["auc"]["auc"] == pytest.approx(roc_auc_score(y, bins), abs=1e-12)
        assert vintage["maturity"] == pytest.approx(len(labelled) / len(month))
        assert vintage["bad_rate"] == pytest.approx(sum(y) / len(y))
        assert vintage["status"] in ("green", "amber", "red")
    may = found[2]
    assert (may["decisions"], may["maturity"], may["status"]) == (0, None, "not_measurable")
    assert may["reason"] == "no decisions in this month"
    june = found[3]
    assert june["maturity"] == 0.0 and "no labelled rows" in june["reason"]


def test_months_run_to_the_period_end_and_thresholds_judge_them() -> None:
    rows = [(date(2026, 1, 10), 0.9, True), (date(2026, 1, 11), 0.1, False)]
    months = monthly_counts(day_rows(rows), SCORE)
    end = datetime(2026, 4, 1, tzinfo=UTC)  # exclusive: March is the last month
    found = vintages(months, SCORE, until=end)
    assert [v["month"] for v in found] == ["2026-01", "2026-02", "2026-03"]
    assert found[0]["auc"]["auc"] == 1.0 and found[0]["status"] == "green"
    strict = vintages(
        months,
        SCORE,
        until=end,
        auc_thresholds=Thresholds(1.0, 0.99, higher_is_worse=False),
    )
    assert strict[0]["status"] == "amber"  # an AUC of exactly the amber line
    assert vintages(months, SCORE, until=None)[-1]["month"] == "2026-01"
    assert vintages({}, SCORE, until=end) == []


def test_months_merge_days_across_a_year_end() -> None:
    start = date(2026, 12, 30)
    rows = [(start + timedelta(days=i), 0.5, None) for i in range(4)]
    months = monthly_counts(day_rows(rows), SCORE)
    assert {m: c.total("n") for m, c in months.items()} == {"2026-12": 2, "2027-01": 2}
    found = vintages(months, SCORE, until=datetime(2027, 2, 1, tzinfo=UTC))
    assert [v["month"] for v in found] == ["2026-12", "2027-01"]


def test_a_row_without_its_day_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"rows\[0\].day"):
        monthly_counts([{"bin": 0, "n": 1}], SCORE)


def test_only_the_newest_months_are_kept_beyond_the_limit() -> None:
    rows = [(date(2020, 1, 5), 0.5, None), (date(2026, 6, 5), 0.5, None)]
    months = monthly_counts(day_rows(rows), SCORE)
    found = vintages(months, SCORE, until=datetime(2026, 7, 1, tzinfo=UTC), limit=12)
    assert [v["month"] for v in found] == [f"2025-{m:02d}" for m in range(7, 13)] + [
        f"2026-{m:02d}" for m in range(1, 7)
    ]
