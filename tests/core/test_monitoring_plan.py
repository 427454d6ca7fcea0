"""Monitoring plans and their periods: validation naming the field, thresholds by layer, and
which complete periods are due (month ends, leap years, ISO weeks, plans never run)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from attest.core.drift import AUC_THRESHOLDS, CSI_THRESHOLDS, Thresholds
from attest.core.monitoring_period import (
    aligned,
    last_complete,
    parse_period,
    period_containing,
)
from attest.core.monitoring_plan import (
    DEFAULT_THRESHOLDS,
    METRICS,
    MonitoringPlan,
    due_periods,
    parse_threshold_option,
    thresholds,
)
from attest.errors import InvalidInput


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def plan(**fields: Any) -> MonitoringPlan:
    return MonitoringPlan.from_json({"system": "credit", "version": "v1", **fields})


def labels(periods: list[Any]) -> list[str]:
    return [p.label for p in periods]


# -- the plan --------------------------------------------------------------------------------


def test_a_plan_round_trips_through_json_with_its_defaults() -> None:
    made = plan()
    assert made.cadence == "quarterly" and made.metrics == METRICS
    assert made.favourable == ("approve",) and made.good_outcomes is None
    assert MonitoringPlan.from_json(made.to_json()) == made
    full = plan(
        cadence="monthly",
        start="2026-02-01",
        metrics=["psi", "csi"],
        thresholds={"csi": {"amber": 0.05, "red": 0.2}, "auc": {"amber": 0.75, "red": 0.65}},
        good_outcomes=["good", "paid"],
        favourable=["approve", "refer"],
        segments=["purpose"],
        owner="Model risk, consumer credit",
        escalation="CRO within 5 business days",
    )
    assert full.metrics == ("csi", "psi")  # the documented order
    assert full.thresholds["auc"] == Thresholds(0.75, 0.65, higher_is_worse=False)
    assert MonitoringPlan.from_json(full.to_json()) == full


BAD_PLANS = {
    "unknown field": ({"frequency": "monthly"}, "field 'frequency' is not a plan field"),
    "cadence": ({"cadence": "daily"}, "field 'cadence' must be one of weekly, monthly"),
    "start": ({"start": "2026-02-30"}, "field 'start' must be a date"),
    "settle days": ({"settle_days": 93}, "field 'settle_days' must be a whole number from 0"),
    "settle days text": ({"settle_days": "1"}, "field 'settle_days' must be a whole number"),
    "metric": ({"metrics": ["gini"]}, "field 'metrics': 'gini' is not one of"),
    "no metrics": ({"metrics": []}, "field 'metrics' must be a non-empty list"),
    "twice": ({"metrics": ["psi", "psi"]}, "field 'metrics' names something twice"),
    "unjudged metric": (
        {"thresholds": {"brier": {"amber": 0.1, "red": 0.2}}},
        "field 'thresholds.brier': not a judged metric",
    ),
    "threshold shape": ({"thresholds": {"csi": {"amber": 0.1}}}, "'thresholds.csi' must be an"),
    "threshold number": (
        {"thresholds": {"csi": {"amber": "low", "red": 0.2}}},
        "field 'thresholds.csi.amber' must be a number",
    ),
    "threshold order": (
        {"thresholds": {"psi": {"amber": 0.3, "red": 0.2}}},
        "field 'thresholds.psi.red' must not be below amber",
    ),
    "lower is worse": (
        {"thresholds": {"auc": {"amber": 0.6, "red": 0.7}}},
        "field 'thresholds.auc.red' must not be above amber",
    ),
    "a probability": (
        {"thresholds": {"auc": {"amber": 1.5, "red": 0.6}}},
        "field 'thresholds.auc.amber' must be in [0, 1]",
    ),
    "negative": (
        {"thresholds": {"csi": {"amber": -0.1, "red": 0.2}}},
        "field 'thresholds.csi.amber' must be at least 0",
    ),
    "good outcomes": ({"good_outcomes": []}, "field 'good_outcomes' must be a non-empty list"),
    "favourable": ({"favourable": []}, "field 'favourable' must be a non-empty list"),
    "segment": ({"segments": ["a b"]}, "field 'segments': 'a b' is not a feature name"),
    "owner": ({"owner": ""}, "field 'owner' must be a non-empty string"),
}


@pytest.mark.parametrize("case", sorted(BAD_PLANS))
def test_a_bad_plan_names_the_field(case: str) -> None:
    fields, message = BAD_PLANS[case]
    with pytest.raises(InvalidInput) as raised:
        plan(**fields)
    assert message in str(raised.value)


def test_a_plan_needs_its_version() -> None:
    with pytest.raises(InvalidInput, match="field 'version' is required"):
        MonitoringPlan.from_json({"system": "credit"})
    with pytest.raises(InvalidInput, match="plan: must be a JSON object"):
        MonitoringPlan.from_json(["credit"])


def test_thresholds_come_from_the_defaults_then_the_tier_then_the_plan() -> None:
    assert thresholds(None, "low") == dict(DEFAULT_THRESHOLDS)  # no plan: the defaults
    assert thresholds(plan(), "high") == dict(DEFAULT_THRESHOLDS)
    low = thresholds(plan(), "low")
    assert low["auc"] == Thresholds(0.65, 0.55, higher_is_worse=False)
    assert low["csi"] == CSI_THRESHOLDS
    own = thresholds(plan(thresholds={"auc": {"amber": 0.8, "red": 0.7}}), "low")
    assert own["auc"] == Thresholds(0.8, 0.7, higher_is_worse=False)
    assert own["ks_discrimination"] == Thresholds(0.25, 0.15, higher_is_worse=False)
    assert thresholds(plan(), "medium")["auc"] == AUC_THRESHOLDS
    with pytest.raises(InvalidInput, match="field 'risk_tier'"):
        thresholds(plan(), "extreme")


def test_the_cli_threshold_option() -> None:
    assert parse_threshold_option("csi=0.1,0.25") == ("csi", {"amber": 0.1, "red": 0.25})
    for bad in ("csi", "csi=0.1", "=0.1,0.2", "csi=a,b"):
        with pytest.raises(InvalidInput, match="--threshold"):
            parse_threshold_option(bad)


# -- periods ---------------------------------------------------------------------------------


def test_periods_by_cadence_and_their_names() -> None:
    q = period_containing("quarterly", at(2026, 9, 30, 23, 59, 59))
    assert (q.label, q.start, q.end) == ("2026-Q3", at(2026, 7, 1), at(2026, 10, 1))
    q4 = period_containing("quarterly", at(2026, 12, 31, 12))
    assert (q4.label, q4.end) == ("2026-Q4", at(2027, 1, 1))
    m = period_containing("monthly", at(2028, 2, 29, 18))  # a leap day
    assert (m.label, m.start, m.end) == ("2028-02", at(2028, 2, 1), at(2028, 3, 1))
    w = period_containing("weekly", at(2027, 1, 1))  # a Friday in ISO week 53 of 2026
    assert (w.label, w.start, w.end) == ("2026-W53", at(2026, 12, 28), at(2027, 1, 4))
    assert parse_period("2026-Q3") == q and parse_period("2028-02") == m
    assert parse_period("2026-W53") == w
    assert m.to_json() == {
        "cadence": "monthly",
        "label": "2028-02",
        "start": "2028-02-01",
        "end": "2028-03-01",
    }


def test_a_time_at_a_period_end_is_in_the_next_period() -> None:
    assert period_containing("monthly", at(2026, 10, 1)).label == "2026-10"
    assert period_containing("monthly", at(2026, 9, 30, 23, 59, 59, 999999)).label == "2026-09"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "not a real month"),
        ("2027-W53", "not a real month or week"),  # 2027 has 52 ISO weeks
        ("2026-Q5", "must be a quarter"),
        ("Q3 2026", "must be a quarter"),
        (None, "must be a quarter"),
    ],
)
def test_a_bad_period_names_the_field(text: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match="field 'period'") as raised:
        parse_period(text)
    assert message in str(raised.value)


def test_times_without_an_offset_are_refused() -> None:
    with pytest.raises(InvalidInput, match="now: must be a time with a UTC offset"):
        due_periods(plan(), None, datetime(2026, 10, 2))


def test_alignment_and_the_last_complete_period() -> None:
    assert aligned("quarterly", at(2026, 7, 1), at(2026, 10, 1))
    assert not aligned("quarterly", at(2026, 7, 1, 9), at(2026, 10, 1))
    assert not aligned("monthly", at(2026, 7, 1), at(2026, 10, 1))
    assert not aligned("monthly", None, at(2026, 10, 1))
    assert last_complete("monthly", at(2026, 3, 1)).label == "2026-02"
    assert last_complete("quarterly", at(2026, 3, 31, 23)).label == "2025-Q4"


# -- due periods -----------------------------------------------------------------------------


def test_a_plan_never_run_and_without_a_start_owes_the_last_complete_period() -> None:
    assert labels(due_periods(plan(), None, at(2026, 11, 27))) == ["2026-Q3"]
    assert labels(due_periods(plan(cadence="monthly"), None, at(2026, 3, 2))) == ["2026-02"]
    # a period is due a day after it ends by default, the instant it ends with no settling
    assert labels(due_periods(plan(), None, at(2026, 10, 1, 23))) == ["2026-Q2"]
    assert labels(due_periods(plan(), None, at(2026, 10, 2))) == ["2026-Q3"]
    assert labels(due_periods(plan(settle_days=0), None, at(2026, 10, 1))) == ["2026-Q3"]
    assert labels(due_periods(plan(settle_days=10), None, at(2026, 10, 10))) == ["2026-Q2"]


def test_a_plan_with_a_start_owes_every_complete_period_since() -> None:
    monthly = plan(cadence="monthly", start="2027-11-15", settle_days=0)
    assert labels(due_periods(monthly, None, at(2028, 3, 1))) == [
        "2027-11",  # the period the start falls in is covered whole
        "2027-12",
        "2028-01",
        "2028-02",  # leap February, complete on 1 March
    ]
    assert due_periods(monthly, None, at(2027, 11, 30)) == []  # nothing complete yet
    assert due_periods(plan(start="2030-01-01"), None, at(2026, 11, 27)) == []


def test_after_a_run_the_periods_ending_after_it_are_due() -> None:
    quarterly = plan(start="2026-01-01", settle_days=0)
    assert due_periods(quarterly, at(2026, 10, 1), at(2026, 11, 27)) == []
    assert labels(due_periods(quarterly, at(2026, 10, 1), at(2027, 1, 1))) == ["2026-Q4"]
    assert labels(due_periods(quarterly, at(2026, 4, 1), at(2027, 1, 1))) == [
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
    # a run that ended inside a period (a quarter "so far") leaves that quarter due
    assert labels(due_periods(plan(), at(2026, 12, 10), at(2027, 1, 2))) == ["2026-Q4"]
    # a last run before the plan's start: the start wins
    assert labels(due_periods(plan(start="2026-07-01"), at(2026, 1, 1), at(2026, 10, 2))) == [
        "2026-Q3"
    ]


def test_weekly_periods_cross_the_year_by_iso_weeks() -> None:
    weekly = plan(cadence="weekly", start="2026-12-21")
    assert labels(due_periods(weekly, None, at(2027, 1, 12))) == [
        "2026-W52",
        "2026-W53",
        "2027-W01",
    ]
    assert labels(due_periods(weekly, at(2027, 1, 4), at(2027, 1, 12))) == ["2027-W01"]


def test_month_ends_do_not_drift() -> None:
    monthly = plan(cadence="monthly", start="2026-01-31")
    got = due_periods(monthly, None, at(2027, 1, 2))
    assert labels(got) == [f"2026-{m:02d}" for m in range(1, 13)]
    assert [p.start.date() for p in got] == [date(2026, m, 1) for m in range(1, 13)]
    assert all(a.end == b.start for a, b in zip(got, got[1:], strict=False))
