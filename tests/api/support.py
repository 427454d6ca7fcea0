"""What the API tests share: a runtime on a database, payloads, seeded banks, and checks."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from attest.config import Settings
from attest.core.inventory import AISystem, ModelVersion, Tenant
from attest.keyring import create_keys
from attest.runtime import Runtime
from attest.store.sql.schema import upgrade

ARTIFACT = b"a model artifact, skops bytes in real life"
FEATURES = [
    {"name": "amount", "type": "number", "minimum": 0, "maximum": 100000},
    {"name": "term", "type": "integer", "minimum": 6, "maximum": 72},
    {"name": "purpose", "type": "category", "categories": ["car", "home"]},
]
# Values of the sample decision that are personal data: no error answer may contain them.
PERSONAL = ("Jane Q. Applicant", "078-05-1120", "Zorblaxian", "4321.5", "applicant-")


def make_runtime(home: Path, database_url: str, **settings: Any) -> Runtime:
    """A runtime as `attest serve` builds it: migrated database, keys in ``home``."""
    runtime = Runtime(Settings(home=home, database_url=database_url, **settings))
    upgrade(runtime.engine)
    create_keys(runtime.settings)
    return runtime


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def system_payload(system_id: str, **changes: Any) -> dict[str, Any]:
    system: dict[str, Any] = {
        "id": system_id,
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
    return system | changes


def version_payload(
    system: str, version: str, lifecycle: str = "approved", artifact: bytes = ARTIFACT
) -> dict[str, Any]:
    return {
        "system": system,
        "version": version,
        "artifact_sha256": hashlib.sha256(artifact).hexdigest(),
        "artifact_format": "skops",
        "framework": "scikit-learn 1.9",
        "built_by": "ml-team",
        "lifecycle": lifecycle,
        "features": FEATURES,
    }


def with_artifact(payload: dict[str, Any], artifact: bytes) -> dict[str, Any]:
    """A model version body for the API: the record plus its artifact in base64."""
    body = {k: v for k, v in payload.items() if k != "system"}
    return body | {"artifact": base64.b64encode(artifact).decode()}


def decision_payload(
    decision_id: str, system: str = "credit-underwriting", version: str = "v1", **changes: Any
) -> dict[str, Any]:
    decision: dict[str, Any] = {
        "decision_id": decision_id,
        "system": system,
        "model_version": version,
        "subject": f"applicant-{decision_id}",
        "inputs": {"amount": 4321.5, "term": 24, "purpose": "car"},
        "identifiers": {"name": "Jane Q. Applicant", "ssn": "078-05-1120"},
        "protected": {"ethnicity": "Zorblaxian"},
        "output": {"label": "approve", "score": 0.82, "threshold": 0.5},
        "adverse": False,
        "explanation": {"method": "coefficients", "attributions": {"amount": -0.2, "term": 0.1}},
    }
    return decision | changes


@dataclass(frozen=True)
class Bank:
    """A tenant with one system, one approved model version, one decision and its outcome.

    Every id differs between banks, so that a path of one bank with ids of another finds nothing;
    ``secrets`` are strings only this bank's data holds (a name, an owner, a subject...).
    """

    id: str
    name: str
    system: str
    version: str
    decision: str
    artifact: bytes
    secrets: tuple[str, ...]

    def decision_body(self, decision_id: str | None = None) -> dict[str, Any]:
        return decision_payload(
            decision_id or unique(f"{self.id}-d"),
            self.system,
            self.version,
            subject=f"subject-{self.id}",
        )


def seed_bank(runtime: Runtime, tenant: str, letter: str) -> Bank:
    """Register a bank through the services (faster than the API, and not under test here)."""
    marker = uuid.uuid4().hex[:8]
    name = f"Bank {letter.upper()} private name {marker}"
    owner = f"Owner of bank {letter} {marker}"
    system_name = f"Scoring of bank {letter} {marker}"
    artifact = f"artifact of bank {letter} {marker}".encode()
    bank = Bank(
        id=tenant,
        name=name,
        system=f"scoring-{letter}",
        version=f"v-{letter}",
        decision=f"dec-{letter}-{marker}",
        artifact=artifact,
        secrets=(name, owner, system_name, artifact.decode(), f"subject-{tenant}"),
    )
    runtime.inventory.register_tenant(Tenant(tenant, name))
    runtime.inventory.register_system(
        tenant, AISystem.parse(system_payload(bank.system, name=system_name, owner=owner))
    )
    runtime.inventory.register_model_version(
        tenant,
        ModelVersion.parse(version_payload(bank.system, bank.version, artifact=artifact)),
        artifact,
    )
    runtime.decisions.ingest(tenant, [bank.decision_body(bank.decision)], 10)
    runtime.decisions.record_outcomes(tenant, [{"decision_id": bank.decision, "outcome": 1}], 10)
    return bank


def tree_size(runtime: Runtime, tenant: str) -> int:
    return runtime.ledger.latest_checkpoint(tenant).size


def assert_error(response: httpx.Response, status: int, *fragments: str) -> str:
    """An error answer: the status, ``{"error": {"status", "message"}}``, naming ``fragments``."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "message"}, body
    assert body["error"]["status"] == status
    message = body["error"]["message"]
    assert isinstance(message, str) and message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def assert_not_echoed(response: httpx.Response, values: tuple[str, ...]) -> None:
    for value in values:
        assert value not in response.text, (value, response.text)
