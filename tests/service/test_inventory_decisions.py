"""Inventory and decision ingest on every store: projections, flags, refusals, outcomes."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from attest.core.inventory import AISystem, ModelVersion, Tenant
from attest.core.proof_document import verify_proof_document
from attest.errors import Conflict, InvalidInput, NotFound
from attest.service.decisions import Decisions
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger
from attest.store.base import DecisionFilter
from tests.conftest import LOG_SIGNER

ARTIFACT = b"a model artifact, skops bytes in real life"
SYSTEM = AISystem.parse(
    {
        "id": "credit-underwriting",
        "name": "Credit underwriting",
        "purpose": "Recommend approve or decline for consumer loans",
        "domain": "credit",
        "jurisdictions": ["US-CO", "EU"],
        "consequential": True,
        "owner": "Model risk, Jane Doe",
        "lifecycle": "deployed",
        "risk_tier": "high",
        "risk_rationale": "Credit decisions are consequential (Colorado, EU AI Act Annex III 5(b))",
    }
)


def _version(version: str = "v1", lifecycle: str = "approved") -> ModelVersion:
    return ModelVersion.parse(
        {
            "system": "credit-underwriting",
            "version": version,
            "artifact_sha256": hashlib.sha256(ARTIFACT).hexdigest(),
            "artifact_format": "skops",
            "framework": "scikit-learn 1.9",
            "built_by": "ml-team",
            "lifecycle": lifecycle,
            "features": [
                {"name": "amount", "type": "number", "minimum": 0, "maximum": 100000},
                {"name": "term", "type": "integer", "minimum": 6, "maximum": 72},
                {"name": "purpose", "type": "category", "categories": ["car", "home"]},
            ],
        }
    )


def _decision(decision_id: str, **changes: Any) -> dict[str, Any]:
    decision: dict[str, Any] = {
        "decision_id": decision_id,
        "system": "credit-underwriting",
        "model_version": "v1",
        "subject": f"applicant-{decision_id}",
        "inputs": {"amount": 5000, "term": 24, "purpose": "car"},
        "identifiers": {"name": "Jane Q. Applicant"},
        "protected": {"age": 44},
        "output": {"label": "approve", "score": 0.82, "threshold": 0.5},
        "adverse": False,
        "explanation": {"method": "coefficients", "attributions": {"amount": -0.2, "term": 0.1}},
    }
    decision.update(changes)
    return decision


@pytest.fixture
def services(ledger: Ledger, tenant: str) -> tuple[Inventory, Decisions]:
    inventory = Inventory(ledger, ledger.store)  # type: ignore[arg-type]
    inventory.register_tenant(Tenant(tenant, "First Community Bank"))
    inventory.register_system(tenant, SYSTEM)
    inventory.register_model_version(tenant, _version(), ARTIFACT)
    return inventory, Decisions(ledger, ledger.store, inventory)  # type: ignore[arg-type]


def test_the_inventory_reads_back_what_was_registered(
    services: tuple[Inventory, Decisions], tenant: str
) -> None:
    inventory, _ = services
    assert inventory.tenant(tenant)["name"] == "First Community Bank"
    assert inventory.systems(tenant) == [SYSTEM]
    assert inventory.model_version(tenant, "credit-underwriting", "v1") == _version()
    assert inventory.artifact(tenant, _version().artifact_sha256) == ("skops", ARTIFACT)
    with pytest.raises(Conflict):
        inventory.register_system(tenant, SYSTEM)
    with pytest.raises(InvalidInput, match="does not match the uploaded artifact"):
        inventory.register_model_version(tenant, _version("v2"), b"other bytes")


def test_lifecycle_changes_are_entries_and_reach_the_tables(
    services: tuple[Inventory, Decisions], tenant: str
) -> None:
    inventory, _ = services
    receipt = inventory.change_lifecycle(
        tenant, "credit-underwriting", "v1", "retired", by="validator-7", reason="replaced by v2"
    )
    version = inventory.model_version(tenant, "credit-underwriting", "v1")
    assert version is not None and version.lifecycle == "retired"
    document = inventory.ledger.prove(tenant, receipt.id).to_json()
    assert verify_proof_document(document, LOG_SIGNER.verifier) == []


def test_decisions_are_stored_with_their_checkpoint_and_projected(
    services: tuple[Inventory, Decisions], tenant: str
) -> None:
    _, decisions = services
    accepted = decisions.ingest(tenant, [_decision("d1"), _decision("d2", adverse=True)], 10)
    assert [a.id for a in accepted] == ["d1", "d2"] and accepted[0].flags == ()
    assert all(a.tree_size == accepted[1].index + 1 for a in accepted)
    row = decisions.get(tenant, "d2")
    assert row["label"] == "approve" and row["adverse"] is True and row["score"] == 0.82
    assert row["inputs"] == {"amount": 5000, "term": 24, "purpose": "car"}
    assert "identifiers" not in row and "Jane" not in str(row)
    reading = decisions.ledger.read_values(tenant, "d1")
    assert {v.pointer: v.value for v in reading.values} == {
        "/identifiers": {"name": "Jane Q. Applicant"},
        "/protected": {"age": 44},
    }


def test_unknown_retired_and_unapproved_versions_are_accepted_and_flagged(
    services: tuple[Inventory, Decisions], tenant: str
) -> None:
    inventory, decisions = services
    inventory.register_model_version(tenant, _version("v0", "retired"))
    inventory.register_model_version(tenant, _version("v3", "validation"))
    accepted = decisions.ingest(
        tenant,
        [
            _decision("u", model_version="v9", inputs={"anything": "goes"}),
            _decision("r", model_version="v0"),
            _decision("n", model_version="v3"),
        ],
        10,
    )
    assert [a.flags for a in accepted] == [
        ("unknown_model_version",),
        ("retired_model_version",),
        ("unapproved_model_version",),
    ]
    flagged = decisions.find(tenant, DecisionFilter(flagged=True))
    assert {r["decision_id"] for r in flagged} == {"u", "r", "n"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"inputs": {"amount": 5000, "term": 24, "purpose": "boat"}}, "inputs.purpose' is not one"),
        ({"inputs": {"amount": -1, "term": 24, "purpose": "car"}}, "inputs.amount' is below"),
        ({"inputs": {"amount": 5000, "term": 2.5, "purpose": "car"}}, "inputs.term' must be an in"),
        ({"inputs": {"amount": 5000, "purpose": "car"}}, "inputs.term' is required"),
        ({"inputs": {"amount": 1, "term": 24, "purpose": "car", "x": 1}}, "inputs.x' is not in"),
        ({"output": {"score": 0.3}}, "field 'output.label'"),
        ({"system": "unknown-system"}, "field 'system' names no registered AI system"),
        ({"subject": None}, "field 'subject' is required with 'identifiers'"),
        ({"extra": 1}, "unknown field 'extra'"),
    ],
)
def test_a_batch_with_one_bad_decision_is_refused_whole(
    services: tuple[Inventory, Decisions], tenant: str, change: dict[str, Any], message: str
) -> None:
    _, decisions = services
    size = decisions.ledger.latest_checkpoint(tenant).size
    with pytest.raises(InvalidInput) as refused:
        decisions.ingest(tenant, [_decision("ok"), _decision("bad", **change)], 10)
    assert "decision 2 (id bad)" in str(refused.value) and message in str(refused.value)
    assert "Jane" not in str(refused.value) and "boat" not in str(refused.value)
    assert decisions.ledger.latest_checkpoint(tenant).size == size
    assert decisions.find(tenant, DecisionFilter()) == []


def test_unknown_tenant_and_oversized_batches_are_refused(
    services: tuple[Inventory, Decisions],
) -> None:
    _, decisions = services
    with pytest.raises(NotFound, match="unknown tenant"):
        decisions.ingest("no-such-bank", [_decision("d")], 10)


def test_outcomes_fill_in_the_decision_and_are_listed_as_events(
    services: tuple[Inventory, Decisions], tenant: str
) -> None:
    _, decisions = services
    decisions.ingest(tenant, [_decision("d1"), _decision("d2")], 10)
    decisions.record_outcomes(
        tenant,
        [{"decision_id": "d1", "outcome": "repaid", "observed_at": "2027-05-01T00:00:00Z"}],
        10,
    )
    assert decisions.get(tenant, "d1")["outcome"] == "repaid"
    assert decisions.get(tenant, "d2")["outcome"] is None
    (event,) = decisions.events(tenant, "d1")
    assert event["outcome"] == "repaid"
    with pytest.raises(InvalidInput, match="outcome 1: field 'decision_id' names no logged"):
        decisions.record_outcomes(tenant, [{"decision_id": "nope", "outcome": 1}], 10)


def test_decision_listing_filters_and_pages_newest_first(
    services: tuple[Inventory, Decisions], tenant: str
) -> None:
    _, decisions = services
    decisions.ingest(
        tenant,
        [_decision(f"d{i}", output={"label": "decline" if i % 3 else "approve"}) for i in range(9)],
        20,
    )
    page = decisions.find(tenant, DecisionFilter(label="decline", limit=4))
    assert [r["decision_id"] for r in page] == ["d8", "d7", "d5", "d4"]
    rest = decisions.find(tenant, DecisionFilter(label="decline", before_index=page[-1]["idx"]))
    assert [r["decision_id"] for r in rest] == ["d2", "d1"]


def test_a_retry_after_the_version_changed_status_is_still_the_same_decision(
    services: tuple[Inventory, Decisions], tenant: str
) -> None:
    inventory, decisions = services
    inventory.register_model_version(tenant, _version("v5", "validation"))
    (first,) = decisions.ingest(tenant, [_decision("late", model_version="v5")], 10)
    assert first.flags == ("unapproved_model_version",)
    inventory.change_lifecycle(tenant, "credit-underwriting", "v5", "approved", by="v", reason="ok")
    (retry,) = decisions.ingest(tenant, [_decision("late", model_version="v5")], 10)
    assert (retry.index, retry.created) == (first.index, False)


def test_an_outcome_sent_twice_without_an_id_is_stored_once(
    services: tuple[Inventory, Decisions], tenant: str
) -> None:
    _, decisions = services
    decisions.ingest(tenant, [_decision("d1")], 10)
    outcome = {"decision_id": "d1", "outcome": "repaid"}
    (first,) = decisions.record_outcomes(tenant, [outcome], 10)
    (again,) = decisions.record_outcomes(tenant, [outcome], 10)
    assert (again.id, again.index, again.created) == (first.id, first.index, False)
    (corrected,) = decisions.record_outcomes(tenant, [outcome | {"outcome": "defaulted"}], 10)
    assert corrected.created and corrected.id != first.id
    assert decisions.get(tenant, "d1")["outcome"] == "defaulted"
