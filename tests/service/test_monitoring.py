"""Monitoring on every store: a reference profile, then periods counted in SQL and judged.

The period's counts are checked against counting the same decisions directly in Python
(``BinCounts.from_values`` on the values the test itself logged), and the metrics against the
core functions on those direct counts, so the SQL binning (edges, missing, unseen categories,
outcomes, score orientation) is what is under test.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from attest.core.bins import BinCounts
from attest.core.drift import auc
from attest.core.inventory import Tenant
from attest.core.reference_profile import Outcomes, ReferenceRow
from attest.core.stability import characteristic_stability_index, population_stability_index
from attest.errors import InvalidInput, NotFound
from attest.service.decisions import Decisions
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger
from attest.service.monitoring import Monitoring
from attest.store.base import BinQuery
from tests.service.test_inventory_decisions import ARTIFACT, SYSTEM, _version

SYSTEM_ID = "credit-underwriting"
OUTCOMES = Outcomes(("good",), "good")


def _applicant(
    rng: random.Random, shift: float = 1.0, purposes: tuple[str, ...] = ("car",)
) -> dict[str, Any]:
    amount = rng.randint(100, 9000) * shift
    good = max(0.05, min(0.95, 0.9 - amount / 20000))
    return {
        "inputs": {
            "amount": round(amount),
            "term": rng.choice([12, 24, 36, 48]),
            "purpose": rng.choice(purposes),
        },
        "score": round(good, 4),
        "outcome": "good" if rng.random() < good else "bad",
    }


def _decisions(rows: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "decision_id": f"{prefix}{i}",
            "system": SYSTEM_ID,
            "model_version": "v1",
            "inputs": row["inputs"],
            "output": {
                "label": "approve" if row["score"] >= 0.5 else "decline",
                "score": row["score"],
            },
            "adverse": row["score"] < 0.5,
        }
        for i, row in enumerate(rows)
    ]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=10)
        return self.now


@pytest.fixture
def world(store: Any, keyring: Any, tenant: str) -> dict[str, Any]:
    clock = Clock()
    ledger = Ledger(store, keyring, host="attest.test", clock=clock)
    inventory = Inventory(ledger, store)
    inventory.register_tenant(Tenant(tenant, "First Community Bank"))
    inventory.register_system(tenant, SYSTEM)
    inventory.register_model_version(tenant, _version(), ARTIFACT)
    rng = random.Random(5)
    reference = [_applicant(rng) for _ in range(400)]
    first = [_applicant(rng) for _ in range(300)]
    second = [_applicant(rng, shift=1.6, purposes=("car", "home")) for _ in range(300)]
    decisions = Decisions(ledger, store, inventory)
    decisions.ingest(tenant, _decisions(first, "q1-"), 1000)
    outcomes = [
        {"decision_id": f"q1-{i}", "outcome": row["outcome"]} for i, row in enumerate(first)
    ]
    decisions.record_outcomes(tenant, outcomes, 1000)
    clock.now = datetime(2026, 4, 5, tzinfo=UTC)
    decisions.ingest(tenant, _decisions(second, "q2-"), 1000)
    return {
        "monitoring": Monitoring(ledger, store, inventory),
        "reference": reference,
        "first": first,
        "second": second,
        "ledger": ledger,
    }


Q1 = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
Q2 = (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))


def _profile(world: dict[str, Any], tenant: str) -> Any:
    rows = [ReferenceRow(r["inputs"], r["score"], r["outcome"]) for r in world["reference"]]
    receipt, profile = world["monitoring"].set_profile(
        tenant,
        SYSTEM_ID,
        "v1",
        rows,
        outcomes=OUTCOMES,
        source={"kind": "file", "name": "validation.csv"},
        by="validator-1",
    )
    return profile


def _direct(
    profile: Any, rows: list[dict[str, Any]], feature: str | None, labelled: bool
) -> BinCounts:
    reference = profile.score if feature is None else profile.features[feature]
    p = [1.0 - r["score"] for r in rows]
    values = (
        p
        if feature is None
        else [
            r["inputs"][feature] if feature != "purpose" else str(r["inputs"][feature])
            for r in rows
        ]
    )
    events = [(r["outcome"] != "good") if labelled else None for r in rows]
    return BinCounts.from_values(reference.binning, values, outcomes=events, scores=p)


def test_a_period_is_counted_into_the_reference_bins_as_counting_it_directly(
    world: dict[str, Any], tenant: str
) -> None:
    profile = _profile(world, tenant)
    store = world["monitoring"].store
    for feature in ("amount", "term", "purpose", None):
        reference = profile.score if feature is None else profile.features[feature]
        query = BinQuery(
            SYSTEM_ID, "v1", reference.binning, feature, *Q1, ("good",), "good", ("approve",)
        )
        rows = store.bin_aggregates(tenant, query)
        got = BinCounts.from_aggregates(rows, binning=reference.binning)
        want = _direct(profile, world["first"], feature, labelled=True)
        for name in ("n", "events", "labelled", "out_of_range"):
            assert getattr(got, name) == pytest.approx(getattr(want, name)), (feature, name)
        for name in ("score_sum", "labelled_score_sum", "event_score_sum", "score_sq_sum"):
            assert getattr(got, name) == pytest.approx(getattr(want, name), rel=1e-9), name
        approved = sum(r["score"] >= 0.5 for r in world["first"])
        assert sum(r["selected"] for r in rows) == approved


def test_a_run_judges_the_period_and_is_logged(world: dict[str, Any], tenant: str) -> None:
    profile = _profile(world, tenant)
    monitoring = world["monitoring"]
    document = monitoring.run(tenant, SYSTEM_ID, "v1", since=Q1[0], until=Q1[1], by="mrm-1")

    direct = _direct(profile, world["first"], None, labelled=True)
    assert document["score"]["psi"]["value"] == pytest.approx(
        population_stability_index(profile.score, direct).value
    )
    assert document["score"]["auc"]["auc"] == pytest.approx(auc(direct).auc)
    amount = _direct(profile, world["first"], "amount", labelled=True)
    assert document["features"]["amount"]["csi"]["value"] == pytest.approx(
        characteristic_stability_index(profile.features["amount"], amount, feature="amount").value
    )
    assert document["features"]["amount"]["status"] == "green"  # same distribution
    assert document["decisions"] == 300
    assert document["approval_rate"]["value"] == pytest.approx(
        sum(r["score"] >= 0.5 for r in world["first"]) / 300
    )
    entry = monitoring.store.entry_by_id(tenant, document["entry"])
    assert entry is not None and b'"type":"monitoring.run"' in entry.data
    (row,) = monitoring.runs(tenant, SYSTEM_ID)
    assert row["status"] == document["status"] and row["idx"] == document["index"]


def test_a_shifted_quarter_without_outcomes_is_red_and_not_measurable_where_it_must_be(
    world: dict[str, Any], tenant: str
) -> None:
    _profile(world, tenant)
    document = world["monitoring"].run(
        tenant, SYSTEM_ID, "v1", since=Q2[0], until=Q2[1], by="mrm-1"
    )
    assert document["features"]["amount"]["status"] == "red"
    purpose = document["features"]["purpose"]["csi"]
    assert purpose["unseen_share"] == pytest.approx(
        sum(r["inputs"]["purpose"] == "home" for r in world["second"]) / 300
    )
    # No outcome has matured: discrimination and calibration are not measurable, not zero.
    assert document["score"]["auc"]["status"] == "not_measurable"
    assert document["score"]["auc"]["auc"] is None
    assert document["score"]["labelled"] == 0
    assert document["status"] == "red"
    assert {"metric": "csi", "feature": "amount"}.items() <= document["alerts"][0].items()


def test_bad_input_is_named(world: dict[str, Any], tenant: str) -> None:
    monitoring = world["monitoring"]
    with pytest.raises(NotFound, match="no reference profile"):
        monitoring.run(tenant, SYSTEM_ID, "v1", since=Q1[0], until=Q1[1], by="mrm-1")
    with pytest.raises(NotFound, match="no model version v9"):
        monitoring.set_profile(
            tenant, SYSTEM_ID, "v9", [ReferenceRow({})], outcomes=OUTCOMES, source={}, by="x"
        )
    with pytest.raises(InvalidInput, match="no rows"):
        monitoring.set_profile(tenant, SYSTEM_ID, "v1", [], outcomes=OUTCOMES, source={}, by="x")
    with pytest.raises(InvalidInput, match="score"):
        monitoring.set_profile(
            tenant,
            SYSTEM_ID,
            "v1",
            [ReferenceRow({"amount": 5}, 1.5)],
            outcomes=OUTCOMES,
            source={},
            by="x",
        )
    _profile(world, tenant)
    empty = monitoring.run(
        tenant,
        SYSTEM_ID,
        "v1",
        since=datetime(2025, 1, 1, tzinfo=UTC),
        until=datetime(2025, 2, 1, tzinfo=UTC),
        by="mrm-1",
    )
    assert empty["status"] == "not_measurable" and "no decisions" in empty["reason"]


def test_periods_are_by_decision_time_when_the_decision_gives_one(
    world: dict[str, Any], tenant: str
) -> None:
    profile = _profile(world, tenant)
    monitoring = world["monitoring"]
    query = BinQuery(SYSTEM_ID, "v1", profile.score.binning, None, *Q1, ("good",), "good")
    before = sum(r["n"] for r in monitoring.store.bin_aggregates(tenant, query))
    late = _decisions([_applicant(random.Random(9)) for _ in range(5)], "late-")
    for decision in late:  # decided in February, logged now (in the second quarter)
        decision["decided_at"] = "2026-02-10T12:00:00Z"
    Decisions(world["ledger"], monitoring.store, monitoring.inventory).ingest(tenant, late, 10)
    after = sum(r["n"] for r in monitoring.store.bin_aggregates(tenant, query))
    assert (before, after) == (300, 305)
    second = BinQuery(SYSTEM_ID, "v1", profile.score.binning, None, *Q2, ("good",), "good")
    assert sum(r["n"] for r in monitoring.store.bin_aggregates(tenant, second)) == 300
