"""Monitoring plans on every store: set and read a plan, runs judged by its thresholds, due
periods run once, and vintages whose AUC per month is scikit-learn's on the month's bin indices."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sklearn.metrics import roc_auc_score

from attest.core.inventory import Tenant
from attest.core.monitoring_period import parse_period
from attest.core.reference_profile import Outcomes, ReferenceRow
from attest.errors import Conflict, InvalidInput, NotFound
from attest.service.decisions import Decisions
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger
from attest.service.monitoring import Monitoring
from attest.service.projections import rebuild
from tests.service.test_inventory_decisions import ARTIFACT, SYSTEM, _version
from tests.service.test_monitoring import Clock, _applicant, _decisions

SYSTEM_ID = SYSTEM.id
# Decided over the first half of 2026; outcomes known for January to March only.
MONTHS = (1, 2, 3, 4, 5, 6)
LABELLED_MONTHS = (1, 2, 3)


@pytest.fixture
def world(store: Any, keyring: Any, tenant: str) -> dict[str, Any]:
    clock = Clock()
    clock.now = datetime(2026, 7, 2, tzinfo=UTC)  # logged after the half year
    ledger = Ledger(store, keyring, host="attest.test", clock=clock)
    inventory = Inventory(ledger, store)
    inventory.register_tenant(Tenant(tenant, "First Community Bank"))
    inventory.register_system(tenant, SYSTEM)
    inventory.register_model_version(tenant, _version(), ARTIFACT)
    monitoring = Monitoring(ledger, store, inventory)
    rng = random.Random(11)
    reference = [_applicant(rng) for _ in range(400)]
    monitoring.set_profile(
        tenant,
        SYSTEM_ID,
        "v1",
        [ReferenceRow(r["inputs"], r["score"], r["outcome"]) for r in reference],
        outcomes=Outcomes(("good",), "good"),
        source={"kind": "file", "name": "validation.csv"},
        by="validator-1",
    )
    rows = []
    for month in MONTHS:
        for i in range(60):
            row = _applicant(rng, shift=1.0 if month < 4 else 1.6)
            row["decided_at"] = datetime(2026, month, 1 + i % 28, 10, tzinfo=UTC)
            rows.append(row)
    decisions = _decisions(rows, "d-")
    for decision, row in zip(decisions, rows, strict=True):
        decision["decided_at"] = row["decided_at"].isoformat().replace("+00:00", "Z")
    logger = Decisions(ledger, store, inventory)
    logger.ingest(tenant, decisions, 1000)
    outcomes = [
        {"decision_id": d["decision_id"], "outcome": row["outcome"]}
        for d, row in zip(decisions, rows, strict=True)
        if row["decided_at"].month in LABELLED_MONTHS
    ]
    logger.record_outcomes(tenant, outcomes, 1000)
    return {
        "monitoring": monitoring,
        "rows": rows,
        "ledger": ledger,
        "inventory": inventory,
        "store": store,
    }


def _size(world: dict[str, Any], tenant: str) -> int:
    return int(world["ledger"].latest_checkpoint(tenant).size)


def test_a_plan_is_logged_read_back_and_the_newest_wins(world: dict[str, Any], tenant: str) -> None:
    monitoring = world["monitoring"]
    with pytest.raises(NotFound, match="no monitoring plan"):
        monitoring.plan(tenant, SYSTEM_ID, "v1")
    receipt, plan = monitoring.set_plan(
        tenant, SYSTEM_ID, "v1", {"cadence": "monthly"}, by="validator-1"
    )
    entry = world["store"].entry_by_id(tenant, receipt.id)
    assert entry is not None and b'"type":"monitoring.plan"' in entry.data
    monitoring.set_plan(
        tenant,
        SYSTEM_ID,
        "v1",
        {"cadence": "quarterly", "thresholds": {"csi": {"amber": 0.01, "red": 0.02}}},
        by="mrm-2",
    )
    standing = monitoring.plan(tenant, SYSTEM_ID, "v1")
    assert standing["plan"]["cadence"] == "quarterly" and standing["by"] == "mrm-2"
    assert standing["risk_tier"] == "high"
    assert standing["thresholds"]["csi"] == {"amber": 0.01, "red": 0.02, "higher_is_worse": True}
    assert standing["thresholds"]["auc"]["amber"] == 0.7  # the default for the high tier
    assert [p.cadence for p in monitoring.plans(tenant)] == ["quarterly"]
    rebuild(world["store"], tenant)  # the table is a projection of the log
    assert monitoring.plan(tenant, SYSTEM_ID, "v1") == standing


def test_a_bad_plan_writes_nothing_and_names_the_field(world: dict[str, Any], tenant: str) -> None:
    monitoring = world["monitoring"]
    size = _size(world, tenant)
    cases = [
        ({"cadence": "daily"}, InvalidInput, "field 'cadence'"),
        ({"segments": ["income"]}, InvalidInput, "field 'segments': 'income' is not a feature"),
        ({"version": "v2"}, InvalidInput, "field 'version' must be 'v1'"),
        ({"thresholds": {"psi": {"amber": 0.3, "red": 0.1}}}, InvalidInput, "thresholds.psi.red"),
    ]
    for fields, error, message in cases:
        with pytest.raises(error, match=message):
            monitoring.set_plan(tenant, SYSTEM_ID, "v1", fields, by="x")
    with pytest.raises(NotFound, match="no model version v9"):
        monitoring.set_plan(tenant, SYSTEM_ID, "v9", {}, by="x")
    assert _size(world, tenant) == size


def test_a_run_is_judged_by_the_plan_and_records_it(world: dict[str, Any], tenant: str) -> None:
    monitoring = world["monitoring"]
    q1 = parse_period("2026-Q1")
    default = monitoring.run(tenant, SYSTEM_ID, "v1", period=q1, by="mrm-1")
    assert default["plan"] is None and default["thresholds"]["csi"]["amber"] == 0.1
    assert default["period"]["label"] == "2026-Q1"
    amount = default["features"]["amount"]["csi"]["value"]
    assert 0 < amount < 0.1 and default["features"]["amount"]["status"] == "green"

    receipt, _ = monitoring.set_plan(
        tenant,
        SYSTEM_ID,
        "v1",
        {"thresholds": {"csi": {"amber": amount / 2, "red": amount * 0.9}}},
        by="mrm-2",
    )
    strict = monitoring.run(tenant, SYSTEM_ID, "v1", period=q1, by="mrm-1")
    assert strict["plan"] == {"entry": receipt.id, "index": receipt.index, "risk_tier": "high"}
    assert strict["features"]["amount"]["status"] == "red"
    assert strict["features"]["amount"]["csi"]["thresholds"]["red"] == amount * 0.9
    assert {"metric": "csi", "feature": "amount", "status": "red"}.items() <= next(
        a for a in strict["alerts"] if a["feature"] == "amount"
    ).items()

    # a window that is exactly a period of the plan's cadence is named as that period
    aligned = monitoring.run(tenant, SYSTEM_ID, "v1", since=q1.start, until=q1.end, by="mrm-1")
    assert aligned["period"]["label"] == "2026-Q1"
    with pytest.raises(InvalidInput, match="field 'period'"):
        monitoring.run(tenant, SYSTEM_ID, "v1", period=q1, since=q1.start, by="mrm-1")


def test_a_plan_picks_its_metrics(world: dict[str, Any], tenant: str) -> None:
    monitoring = world["monitoring"]
    monitoring.set_plan(tenant, SYSTEM_ID, "v1", {"metrics": ["psi", "auc"]}, by="mrm-2")
    document = monitoring.run(tenant, SYSTEM_ID, "v1", period=parse_period("2026-Q1"), by="x")
    assert document["features"] == {} and "vintages" not in document
    assert set(document["score"]) == {"psi", "auc", "labelled", "reference_auc"}
    assert "approval_rate" not in document
    assert document["status"] in ("green", "amber", "red")


def test_the_tier_moves_the_lines(world: dict[str, Any], tenant: str) -> None:
    monitoring = world["monitoring"]
    monitoring.set_plan(tenant, SYSTEM_ID, "v1", {}, by="mrm-2")
    world["inventory"].update_system(tenant, dataclasses.replace(SYSTEM, risk_tier="low"))
    document = monitoring.run(tenant, SYSTEM_ID, "v1", period=parse_period("2026-Q1"), by="x")
    assert document["plan"]["risk_tier"] == "low"
    assert document["score"]["auc"]["thresholds"]["amber"] == 0.65
    assert document["thresholds"]["psi"]["amber"] == 0.1


def test_due_periods_are_run_once(world: dict[str, Any], tenant: str) -> None:
    monitoring = world["monitoring"]
    assert monitoring.run_due(tenant, datetime(2026, 7, 3, tzinfo=UTC)) == []  # no plan
    monitoring.set_plan(tenant, SYSTEM_ID, "v1", {"start": "2026-01-01"}, by="mrm-2")
    done = monitoring.run_due(tenant, datetime(2026, 7, 3, tzinfo=UTC), by="scheduler")
    assert [(d["period"], d["version"]) for d in done] == [("2026-Q1", "v1"), ("2026-Q2", "v1")]
    assert done[0]["entry"] == "monitoring-run:credit-underwriting:v1:2026-Q1"
    assert done[1]["status"] == "red"  # the shifted second quarter
    assert monitoring.run_due(tenant, datetime(2026, 9, 30, tzinfo=UTC)) == []
    runs = monitoring.runs(tenant, SYSTEM_ID)
    assert len(runs) == 2 and {r["by"] for r in runs} == {"scheduler"}

    # a period is due a day after it ends (decisions made in it may be logged overnight)
    assert monitoring.run_due(tenant, datetime(2026, 10, 1, 23, tzinfo=UTC)) == []
    later = monitoring.run_due(tenant, datetime(2026, 10, 2, tzinfo=UTC))
    assert [(d["period"], d["status"]) for d in later] == [("2026-Q3", "not_measurable")]
    assert monitoring.run_due(tenant, datetime(2026, 10, 3, tzinfo=UTC)) == []


def test_a_period_logged_by_another_runner_is_not_logged_twice(
    world: dict[str, Any], tenant: str
) -> None:
    monitoring = world["monitoring"]
    monitoring.set_plan(tenant, SYSTEM_ID, "v1", {}, by="mrm-2")
    q2 = parse_period("2026-Q2")
    entry_id = "monitoring-run:credit-underwriting:v1:2026-Q2"
    monitoring.run(tenant, SYSTEM_ID, "v1", period=q2, by="scheduler", entry_id=entry_id)
    size = _size(world, tenant)
    with pytest.raises(Conflict, match="logged before"):
        monitoring.run(tenant, SYSTEM_ID, "v1", period=q2, by="scheduler", entry_id=entry_id)
    assert _size(world, tenant) == size
    assert monitoring.run_due(tenant, datetime(2026, 7, 3, tzinfo=UTC)) == []


def test_a_plan_that_cannot_run_is_reported_and_the_others_run(
    world: dict[str, Any], tenant: str
) -> None:
    monitoring = world["monitoring"]
    world["inventory"].register_model_version(tenant, _version("v2"), ARTIFACT)
    monitoring.set_plan(tenant, SYSTEM_ID, "v1", {}, by="mrm-2")
    monitoring.set_plan(tenant, SYSTEM_ID, "v2", {}, by="mrm-2")  # no reference profile
    done = monitoring.run_due(tenant, datetime(2026, 7, 3, tzinfo=UTC))
    assert [d.get("period") for d in done] == ["2026-Q2", "2026-Q2"]
    assert done[0]["status"] == "red"
    assert done[1]["version"] == "v2" and "no reference profile" in done[1]["error"]


def test_the_version_and_period_a_run_means_by_default(world: dict[str, Any], tenant: str) -> None:
    monitoring = world["monitoring"]
    with pytest.raises(InvalidInput, match="field 'version'"):
        monitoring.default_version(tenant, SYSTEM_ID)  # v1 is approved, not deployed
    monitoring.set_plan(tenant, SYSTEM_ID, "v1", {"cadence": "monthly"}, by="mrm-2")
    assert monitoring.default_version(tenant, SYSTEM_ID) == "v1"
    now = datetime(2026, 7, 3, tzinfo=UTC)
    assert monitoring.default_period(tenant, SYSTEM_ID, "v1", now).label == "2026-06"
    assert monitoring.default_period(tenant, SYSTEM_ID, "v9", now).label == "2026-Q2"
    world["inventory"].register_model_version(tenant, _version("v2", "deployed"), ARTIFACT)
    assert monitoring.default_version(tenant, SYSTEM_ID) == "v2"


def test_vintages_give_each_month_its_maturity_and_auc_as_sklearn_does(
    world: dict[str, Any], tenant: str
) -> None:
    monitoring = world["monitoring"]
    profile = monitoring.profile(tenant, SYSTEM_ID, "v1")
    binning = profile.score.binning
    document = monitoring.run(tenant, SYSTEM_ID, "v1", period=parse_period("2026-Q2"), by="x")
    found = document["vintages"]
    assert [v["month"] for v in found] == [f"2026-{m:02d}" for m in MONTHS]
    for vintage in found:
        month = [r for r in world["rows"] if r["decided_at"].strftime("%Y-%m") == vintage["month"]]
        assert vintage["decisions"] == len(month)
        if int(vintage["month"][5:]) not in LABELLED_MONTHS:
            assert vintage["labelled"] == 0 and vintage["maturity"] == 0.0
            assert vintage["status"] == "not_measurable" and vintage["bad_rate"] is None
            continue
        y = [r["outcome"] != "good" for r in month]
        bins = [binning.bin_of(1.0 - r["score"]) for r in month]
        assert vintage["maturity"] == 1.0
        assert vintage["bad_rate"] == pytest.approx(sum(y) / len(y))
        assert vintage["auc"]["auc"] == pytest.approx(roc_auc_score(y, bins), abs=1e-12)
    # the vintages run from the first decision to the period's end, whatever the period
    first = monitoring.run(tenant, SYSTEM_ID, "v1", period=parse_period("2026-02"), by="x")
    assert [v["month"] for v in first["vintages"]] == ["2026-01", "2026-02"]
    assert first["period"]["label"] == "2026-02" and first["decisions"] == 60


def test_vintages_list_months_without_decisions_up_to_the_period_end_or_today(
    world: dict[str, Any], tenant: str
) -> None:
    until = datetime(2026, 9, 1, tzinfo=UTC)
    august = {"since": until - timedelta(days=31), "until": until, "by": "x"}
    document = world["monitoring"].run(tenant, SYSTEM_ID, "v1", **august)
    # the ledger's clock says 2 July: months after it cannot have decisions yet
    assert [v["month"] for v in document["vintages"]][-2:] == ["2026-06", "2026-07"]
    assert document["vintages"][-1]["reason"] == "no decisions in this month"
    assert document["status"] == "not_measurable" and "period" not in document
    world["ledger"].clock.now = datetime(2026, 10, 1, tzinfo=UTC)
    later = world["monitoring"].run(tenant, SYSTEM_ID, "v1", **august)
    assert [v["month"] for v in later["vintages"]][-3:] == ["2026-06", "2026-07", "2026-08"]


def test_segments_give_each_group_its_counts_and_auc_as_sklearn_does(
    world: dict[str, Any], tenant: str
) -> None:
    monitoring = world["monitoring"]
    profile = monitoring.profile(tenant, SYSTEM_ID, "v1")
    without = monitoring.run(tenant, SYSTEM_ID, "v1", period=parse_period("2026-Q1"), by="x")
    assert "segments" not in without  # only a plan's segment features are split
    monitoring.set_plan(tenant, SYSTEM_ID, "v1", {"segments": ["term", "purpose"]}, by="mrm-2")
    document = monitoring.run(tenant, SYSTEM_ID, "v1", period=parse_period("2026-Q1"), by="x")
    assert [s["feature"] for s in document["segments"]] == ["term", "purpose"]
    quarter = [r for r in world["rows"] if r["decided_at"].month in LABELLED_MONTHS]
    for split in document["segments"]:
        binning = profile.features[split["feature"]].binning
        assert split["decisions"] == len(quarter)
        seen = set()
        for segment in split["segments"]:
            rows = [
                r
                for r in quarter
                if binning.labels[binning.bin_of(_segment_value(r, split["feature"]))]
                == segment["segment"]
            ]
            seen.add(segment["segment"])
            y = [r["outcome"] != "good" for r in rows]
            bins = [profile.score.binning.bin_of(1.0 - r["score"]) for r in rows]
            assert segment["decisions"] == len(rows) > 0
            assert segment["approval_rate"]["value"] == pytest.approx(
                sum(r["score"] >= 0.5 for r in rows) / len(rows)
            )
            if len(set(y)) == 2:
                assert segment["auc"]["auc"] == pytest.approx(roc_auc_score(y, bins), abs=1e-12)
        every = {
            binning.labels[binning.bin_of(_segment_value(r, split["feature"]))] for r in quarter
        }
        assert seen == every


def _segment_value(row: dict[str, Any], feature: str) -> Any:
    value = row["inputs"][feature]
    return value if isinstance(value, int | float) else str(value)


def test_a_run_of_a_period_so_far_leaves_it_due_once_complete(
    world: dict[str, Any], tenant: str
) -> None:
    monitoring = world["monitoring"]
    monitoring.set_plan(tenant, SYSTEM_ID, "v1", {"start": "2026-07-01"}, by="mrm-2")
    # run by hand while the quarter is still running (the ledger's clock is 2 July)
    early = monitoring.run(tenant, SYSTEM_ID, "v1", period=parse_period("2026-Q3"), by="mrm-1")
    assert early["period"]["label"] == "2026-Q3"
    done = monitoring.run_due(tenant, datetime(2026, 10, 2, tzinfo=UTC))
    assert [d["period"] for d in done] == ["2026-Q3"]  # judged again on the whole quarter


def test_a_long_backlog_is_caught_up_over_several_passes(
    world: dict[str, Any], tenant: str
) -> None:
    monitoring = world["monitoring"]
    fields = {"cadence": "weekly", "start": "2026-01-05", "metrics": ["psi"]}
    monitoring.set_plan(tenant, SYSTEM_ID, "v1", fields, by="mrm-2")
    # 5 January is the Monday of ISO week 2; on 6 July week 27 ended only hours before (not
    # settled), so weeks 2 to 26 are due: 25 of them, 12 a pass
    now = datetime(2026, 7, 6, tzinfo=UTC)
    first = monitoring.run_due(tenant, now)
    assert [d["period"] for d in first] == [f"2026-W{w:02d}" for w in range(2, 14)]
    second = monitoring.run_due(tenant, now)
    assert [d["period"] for d in second] == [f"2026-W{w:02d}" for w in range(14, 26)]
    assert [d["period"] for d in monitoring.run_due(tenant, now)] == ["2026-W26"]
    assert monitoring.run_due(tenant, now) == []
