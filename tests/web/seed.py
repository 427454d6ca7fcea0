"""Two banks with AI systems, decisions and outcomes, and the people who sign in to see them."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import text

from attest.config import Settings
from attest.core.inventory import AISystem, ModelVersion, Tenant
from attest.keyring import create_keys
from attest.runtime import Runtime
from attest.store.sql.schema import upgrade

PASSWORD = "correct horse battery staple"
BANK_A, BANK_A_NAME = "bank-a", "First Community Bank"
BANK_B, BANK_B_NAME = "bank-b", "Second National Trust"
CREDIT, FRAUD = "credit-underwriting", "fraud-screening"
# Personal data sealed into the vault: no page may ever show it.
PERSONAL = ("Jane Q. Applicant", "078-05-1120")
# Users: name -> (roles, tenants).
USERS = {
    "alice": (["compliance"], [BANK_A]),
    "bob": (["reviewer"], [BANK_B]),
    "vera": (["auditor"], ["*"]),
    "dora": (["validator"], [BANK_A]),
    "paul": (["developer"], [BANK_A]),
}
DECISIONS_A = 30  # more than one explorer page
ATTRIBUTIONS = {"amount": -0.42, "term": 0.13, "purpose": 0.05, "income": -0.27}
REASONS = ["R01_AMOUNT_HIGH", "R04_INCOME_LOW"]


def _artifact(name: str) -> str:
    return hashlib.sha256(f"artifact of {name}".encode()).hexdigest()


CREDIT_FEATURES = [
    {"name": "amount", "type": "number", "minimum": 0, "maximum": 100000},
    {"name": "term", "type": "integer", "minimum": 6, "maximum": 72},
    {"name": "purpose", "type": "category", "categories": ["car", "home"]},
    {"name": "income", "type": "number", "minimum": 0, "required": False},
]


def credit_decision(number: int, **changes: Any) -> dict[str, Any]:
    decline = number % 3 == 0
    decision: dict[str, Any] = {
        "decision_id": f"a-{number:03d}",
        "system": CREDIT,
        "model_version": "v2" if number >= 20 else "v1",
        "subject": f"applicant-{number:03d}",
        "inputs": {"amount": 1000 + 250 * number, "term": 24, "purpose": "car", "income": 42000},
        "identifiers": {"name": PERSONAL[0], "ssn": PERSONAL[1]},
        "output": {
            "label": "decline" if decline else "approve",
            "score": 0.31 if decline else 0.82,
            "threshold": 0.5,
        },
        "adverse": decline,
        "explanation": {
            "method": "shap",
            "attributions": ATTRIBUTIONS,
            "reasons": REASONS if decline else [],
        },
    }
    decision.update(changes)
    return decision


def make_runtime(home: Path) -> Runtime:
    """A runtime as `attest init` + `attest serve` would have it: SQLite and keys in ``home``."""
    settings = Settings(home=home, database_url=None, master_key=None, host="attest.test")
    home.mkdir(parents=True, exist_ok=True)
    create_keys(settings)
    runtime = Runtime(settings)
    upgrade(runtime.engine)
    return runtime


def seed(runtime: Runtime) -> None:
    inventory, decisions = runtime.inventory, runtime.decisions
    inventory.register_tenant(Tenant(BANK_A, BANK_A_NAME))
    inventory.register_tenant(Tenant(BANK_B, BANK_B_NAME))
    inventory.register_system(
        BANK_A,
        AISystem.parse(
            {
                "id": CREDIT,
                "name": "Credit underwriting",
                "purpose": "Recommend approve or decline for consumer loans",
                "domain": "credit",
                "jurisdictions": ["US-CO", "EU"],
                "consequential": True,
                "owner": "Model risk office",
                "lifecycle": "deployed",
                "risk_tier": "high",
                "risk_rationale": "Consequential credit decisions (EU AI Act Annex III 5(b))",
            }
        ),
    )
    for version, lifecycle in (("v1", "approved"), ("v2", "deployed")):
        inventory.register_model_version(
            BANK_A,
            ModelVersion.parse(
                {
                    "system": CREDIT,
                    "version": version,
                    "artifact_sha256": _artifact(version),
                    "artifact_format": "skops",
                    "framework": "scikit-learn 1.9",
                    "built_by": "ml-team",
                    "lifecycle": lifecycle,
                    "features": CREDIT_FEATURES,
                    "training_data": {"source": "loan book 2019-2024", "rows": 48000},
                    "limitations": ["Not validated for business loans"],
                }
            ),
        )
    batch = [credit_decision(n) for n in range(1, DECISIONS_A + 1)]
    batch.append(credit_decision(99, decision_id="a-unknown", model_version="v9"))
    batch.append(credit_decision(98, decision_id="a-tamper"))
    decisions.ingest(BANK_A, batch, 100)
    decisions.record_outcomes(
        BANK_A,
        [
            {"decision_id": "a-001", "outcome": "repaid", "observed_at": "2027-05-01T00:00:00Z"},
            {"decision_id": "a-003", "outcome": "withdrawn"},
        ],
        10,
    )

    inventory.register_system(
        BANK_B,
        AISystem.parse(
            {
                "id": FRAUD,
                "name": "Card fraud screening",
                "purpose": "Hold card payments that look fraudulent",
                "domain": "fraud",
                "jurisdictions": ["GB"],
                "consequential": False,
                "owner": "Fraud operations",
                "lifecycle": "deployed",
                "risk_tier": "medium",
                "risk_rationale": "Holds are reviewed by people within the hour",
            }
        ),
    )
    inventory.register_model_version(
        BANK_B,
        ModelVersion.parse(
            {
                "system": FRAUD,
                "version": "f1",
                "artifact_sha256": _artifact("f1"),
                "artifact_format": "onnx",
                "framework": "xgboost 2.1",
                "built_by": "fraud-ml",
                "lifecycle": "deployed",
                "features": [{"name": "velocity", "type": "number"}],
            }
        ),
    )
    decisions.ingest(
        BANK_B,
        [
            {
                "decision_id": f"b-{n:03d}",
                "system": FRAUD,
                "model_version": "f1",
                "inputs": {"velocity": n},
                "output": {"label": "hold", "score": 0.9},
                "adverse": True,
            }
            for n in range(1, 4)
        ],
        10,
    )
    for username, (roles, tenants) in USERS.items():
        runtime.access.add_user(username, PASSWORD, roles, tenants)


def tamper(runtime: Runtime, tenant: str, entry_id: str) -> None:
    """Change one byte of an entry's stored bytes, behind the ledger's back."""
    with runtime.engine.begin() as conn:
        (data,) = conn.execute(
            text("SELECT data FROM entries WHERE tenant = :t AND entry_id = :e"),
            {"t": tenant, "e": entry_id},
        ).one()
        changed = bytearray(data)
        marker = b'"inputs":{"amount":'
        at = bytes(data).index(marker) + len(marker)
        changed[at] = ord("9") if changed[at] != ord("9") else ord("8")
        conn.execute(
            text("UPDATE entries SET data = :d WHERE tenant = :t AND entry_id = :e"),
            {"d": bytes(changed), "t": tenant, "e": entry_id},
        )
