"""Bias testing on every store: groups from the vault, sums from SQL, runs as evidence."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from attest.core.group_rules import parse_rules
from attest.core.inventory import Tenant
from attest.core.proof_document import verify_proof_document
from attest.errors import InvalidInput
from attest.service.bias import Bias, BiasConfig
from attest.service.decisions import Decisions
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger
from attest.store.base import GroupQuery
from tests.conftest import LOG_SIGNER
from tests.service.test_inventory_decisions import ARTIFACT, SYSTEM, _version

RULES = parse_rules(
    [
        {"attribute": "age_band", "kind": "bands", "source": "protected.age", "bands": [25]},
        {
            "attribute": "sex",
            "kind": "map",
            "source": "protected.sex",
            "map": {"F": "female", "M": "male"},
        },
        {
            "attribute": "race",
            "kind": "bisg",
            "surname": "identifiers.surname",
            "zip": "identifiers.zip",
        },
    ]
)
SURNAMES = ["SMITH", "GARCIA", "NGUYEN", "WASHINGTON", "JOHNSON", "MARTINEZ", "KIM", "BROWN"]
ZIPS = ["80202", "10027", "94110", "60619", "33125", "98104"]


def _population(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    people = []
    for i in range(count):
        age = rng.randint(19, 70)
        sex = rng.choice("FM")
        approve_p = 0.5 if age < 25 else 0.75
        approved = rng.random() < approve_p
        people.append(
            {
                "decision_id": f"d{i}",
                "system": "credit-underwriting",
                "model_version": "v1",
                "subject": f"applicant-{i}",
                "inputs": {"amount": rng.randint(100, 9000), "term": 24, "purpose": "car"},
                "identifiers": {"surname": rng.choice(SURNAMES), "zip": rng.choice(ZIPS)},
                "protected": {"age": age, "sex": sex},
                "output": {"label": "approve" if approved else "decline", "score": rng.random()},
                "adverse": not approved,
            }
        )
    return people


def _build(ledger: Ledger, tenant: str) -> tuple[Bias, list[dict[str, Any]]]:
    inventory = Inventory(ledger, ledger.store)  # type: ignore[arg-type]
    inventory.register_tenant(Tenant(tenant, "First Community Bank"))
    inventory.register_system(tenant, SYSTEM)
    inventory.register_model_version(tenant, _version(), ARTIFACT)
    decisions = Decisions(ledger, ledger.store, inventory)  # type: ignore[arg-type]
    people = _population(400)
    decisions.ingest(tenant, people, 1000)
    outcomes = [
        {"decision_id": p["decision_id"], "outcome": "good" if i % 3 else "bad"}
        for i, p in enumerate(people)
    ]
    decisions.record_outcomes(tenant, outcomes, 1000)
    return Bias(ledger, ledger.store, decisions), people  # type: ignore[arg-type]


@pytest.fixture
def world(ledger: Ledger, tenant: str) -> tuple[Bias, list[dict[str, Any]]]:
    return _build(ledger, tenant)


def _rate(people: list[dict[str, Any]], keep: Any) -> float:
    chosen = [p for p in people if keep(p)]
    return sum(p["output"]["label"] == "approve" for p in chosen) / len(chosen)


def test_a_run_computes_rates_equal_to_counting_the_decisions(
    world: tuple[Bias, list[dict[str, Any]]], tenant: str
) -> None:
    bias, people = world
    assignment = bias.assign_groups(tenant, "credit-underwriting", RULES, by="compliance-1")
    assert assignment.decisions == 400 and assignment.assigned["age_band"] == 400
    document = bias.run(
        tenant, "credit-underwriting", BiasConfig(("age_band", "sex")), by="compliance-1"
    )
    age = next(r for r in document["results"] if r["attributes"] == ["age_band"])
    rates = {g["group"]["age_band"]: g["rate"] for g in age["selection"]["groups"]}
    assert rates["under_25"] == pytest.approx(_rate(people, lambda p: p["protected"]["age"] < 25))
    assert rates["25_and_over"] == pytest.approx(
        _rate(people, lambda p: p["protected"]["age"] >= 25)
    )
    assert any(r["attributes"] == ["age_band", "sex"] for r in document["results"])
    assert document["verdict"] in ("flag", "pass", "too_small")
    proof = bias.ledger.prove(tenant, document["entry"]).to_json()
    assert verify_proof_document(proof, LOG_SIGNER.verifier) == []


def test_bisg_weights_sum_to_one_decision_each_and_the_run_says_where_they_came_from(
    world: tuple[Bias, list[dict[str, Any]]], tenant: str
) -> None:
    bias, _people = world
    assignment = bias.assign_groups(tenant, "credit-underwriting", RULES, by="compliance-1")
    assert assignment.bisg["race"]  # match levels and fallback rates are recorded
    rows = bias.store.group_aggregates(tenant, GroupQuery("credit-underwriting", ("race",)))
    assert sum(r["n"] for r in rows) == pytest.approx(400)
    assert len(rows) > 2


def test_sql_sums_equal_the_in_memory_oracle(
    world: tuple[Bias, list[dict[str, Any]]], tenant: str, keyring: Any, clock: Any
) -> None:
    from attest.store.memory import MemoryStore

    bias, _ = world
    oracle, _ = _build(Ledger(MemoryStore(), keyring, host="attest.test", clock=clock), tenant)
    for side in (bias, oracle):
        side.assign_groups(tenant, "credit-underwriting", RULES, by="compliance-1")
    for attributes in (("age_band",), ("age_band", "sex"), ("race",), ("sex", "race")):
        query = GroupQuery(
            "credit-underwriting", attributes, good_outcomes=("good",), score_threshold=0.5
        )

        def ordered(rows: list[dict[str, Any]], names: tuple[str, ...] = attributes) -> list[Any]:
            return sorted(rows, key=lambda r: tuple(str(r[n]) for n in names))

        mine = ordered(bias.store.group_aggregates(tenant, query))
        expected = ordered(oracle.store.group_aggregates(tenant, query))
        assert len(mine) == len(expected)
        for got, want in zip(mine, expected, strict=True):
            assert {k: got[k] for k in attributes} == {k: want[k] for k in attributes}
            for field, value in want.items():
                if field not in attributes:
                    assert got[field] == pytest.approx(value, rel=1e-9, abs=1e-9), field


def test_a_run_over_an_empty_period_says_no_data(
    world: tuple[Bias, list[dict[str, Any]]], tenant: str
) -> None:
    bias, _ = world
    bias.assign_groups(tenant, "credit-underwriting", RULES, by="compliance-1")
    future = datetime.now(UTC) + timedelta(days=400)
    document = bias.run(
        tenant,
        "credit-underwriting",
        BiasConfig(("age_band",), since=future, until=future + timedelta(days=1)),
        by="compliance-1",
    )
    assert document["verdict"] == "no_data"


def test_an_attribute_without_groups_is_refused(
    world: tuple[Bias, list[dict[str, Any]]], tenant: str
) -> None:
    bias, _ = world
    with pytest.raises(InvalidInput, match="attribute income_band: no decision"):
        bias.run(tenant, "credit-underwriting", BiasConfig(("income_band",)), by="c")


def test_erasure_removes_the_subjects_groups(
    world: tuple[Bias, list[dict[str, Any]]], tenant: str
) -> None:
    bias, _ = world
    bias.assign_groups(tenant, "credit-underwriting", RULES, by="compliance-1")
    bias.ledger.erase(tenant, "applicant-3", "asked")
    rows = bias.store.group_aggregates(tenant, GroupQuery("credit-underwriting", ("age_band",)))
    unknown = [r for r in rows if r["age_band"] is None]
    assert unknown and unknown[0]["n"] == pytest.approx(1.0)


def test_runs_are_listed_read_back_and_reviewed_once(
    world: tuple[Bias, list[dict[str, Any]]], tenant: str
) -> None:
    from attest.errors import Conflict
    from attest.service.projections import check_projections

    bias, _ = world
    bias.assign_groups(tenant, "credit-underwriting", RULES, by="compliance-1")
    first = bias.run(tenant, "credit-underwriting", BiasConfig(("age_band",)), by="compliance-1")
    second = bias.run(tenant, "credit-underwriting", BiasConfig(("sex",)), by="compliance-2")
    runs = bias.runs(tenant, "credit-underwriting")
    assert [r["run_id"] for r in runs] == [second["entry"], first["entry"]]
    assert runs[1]["attributes"] == "age_band" and runs[1]["verdict"] == first["verdict"]
    document = bias.document(tenant, first["entry"])
    assert document["results"] == first["results"]

    receipt = bias.review(
        tenant, first["entry"], review="finding", by="compliance-lead", note="under-25 gap: refit"
    )
    reviewed = next(
        r for r in bias.runs(tenant, "credit-underwriting") if r["run_id"] == first["entry"]
    )
    assert (reviewed["review"], reviewed["reviewed_by"], reviewed["review_index"]) == (
        "finding",
        "compliance-lead",
        receipt.index,
    )
    with pytest.raises(Conflict, match="already reviewed"):
        bias.review(tenant, first["entry"], review="accepted", by="x", note="y")
    with pytest.raises(InvalidInput, match="field 'note'"):
        bias.review(tenant, second["entry"], review="accepted", by="x", note=" ")
    assert check_projections(bias.store, tenant) == []


def test_a_run_is_reported_under_its_system_with_a_proof_and_the_newest_assignment_is_found(
    world: tuple[Bias, list[dict[str, Any]]], tenant: str
) -> None:
    from attest.errors import NotFound

    bias, _ = world
    assert bias.latest_assignment(tenant, "credit-underwriting") is None
    bias.assign_groups(tenant, "credit-underwriting", RULES[:1], by="compliance-1")
    newest = bias.assign_groups(tenant, "credit-underwriting", RULES, by="compliance-2")
    document = bias.run(tenant, "credit-underwriting", BiasConfig(("age_band",)), by="c")
    found = bias.latest_assignment(tenant, "credit-underwriting")
    assert found is not None
    assert (found["entry"], found["index"], found["by"]) == (
        newest.receipt.id,
        newest.receipt.index,
        "compliance-2",
    )
    assert found["bisg"]["race"]["records"] == 400 and found["assigned"]["sex"] == 400
    report = bias.report(tenant, "credit-underwriting", document["entry"])
    assert report["run"]["run_id"] == document["entry"] and report["run"]["review"] is None
    assert verify_proof_document(report["proof"], LOG_SIGNER.verifier) == []
    with pytest.raises(NotFound):
        bias.report(tenant, "no-such-system", document["entry"])
    with pytest.raises(NotFound):
        bias.runs(tenant, "no-such-system")


def test_a_new_assignment_drops_groups_the_rules_no_longer_give(
    world: tuple[Bias, list[dict[str, Any]]], tenant: str
) -> None:
    bias, _ = world
    bias.assign_groups(tenant, "credit-underwriting", RULES, by="compliance-1")
    narrower = parse_rules(
        [{"attribute": "sex", "kind": "map", "source": "protected.sex", "map": {"F": "female"}}]
    )
    bias.assign_groups(tenant, "credit-underwriting", narrower, by="compliance-1")
    rows = bias.store.group_aggregates(tenant, GroupQuery("credit-underwriting", ("sex",)))
    assert {r["sex"] for r in rows} == {"female", None}  # the men now have no group
