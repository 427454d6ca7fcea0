"""Two banks with AI systems, decisions and outcomes, and the people who sign in to see them."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from attest.config import Settings
from attest.core.group_rules import parse_rules
from attest.core.inventory import AISystem, ModelVersion, Tenant
from attest.core.reference_profile import Outcomes, ReferenceRow
from attest.keyring import create_keys
from attest.runtime import Runtime
from attest.service.bias import BiasConfig
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


# -- a bank with bias runs: the fairness page ------------------------------------------------------

BANK_C, BANK_C_NAME = "bank-c", "Lakeside Credit Union"
LENDING = "consumer-lending"
# A compliance officer and a reviewer (who may only read) of bank C.
FAIRNESS_USERS = {
    "cora": (["compliance"], [BANK_C]),
    "rhea": (["reviewer"], [BANK_C]),
}
GROUP_RULES = [
    {"attribute": "age_band", "kind": "bands", "source": "protected.age", "bands": [25]},
    {
        "attribute": "sex",
        "kind": "map",
        "source": "protected.sex",
        "map": {"F": "female", "M": "male", "X": "another"},
    },
    {
        "attribute": "race_ethnicity",
        "kind": "bisg",
        "surname": "identifiers.surname",
        "zip": "identifiers.zip",
    },
]
SURNAMES = ["SMITH", "GARCIA", "NGUYEN", "WASHINGTON", "JOHNSON", "MARTINEZ", "KIM", "BROWN"]
ZIPS = ["80202", "10027", "94110", "60619", "33125", "98104"]
# Identifying values of bank C's applicants: no page may show them.
APPLICANT_NAME = "Applicant Person"
MONTHS = [datetime(2026, month, 1, tzinfo=UTC) for month in (7, 8, 9, 10)]
PER_MONTH = 100
YOUNG_PER_MONTH = 40
# Approvals out of ten among the young, month by month; 7.5 in ten among the others.
YOUNG_APPROVALS = (3, 4, 5)


def lending_decision(month: int, i: int) -> dict[str, Any]:
    young = i < YOUNG_PER_MONTH
    approved = (7 * i + month) % 10 < YOUNG_APPROVALS[month] if young else (7 * i) % 20 < 15
    number = month * PER_MONTH + i
    identifiers: dict[str, Any] = {"name": f"{APPLICANT_NAME} {number}"}
    if i % 13:  # one in thirteen gave no surname: geography only
        identifiers["surname"] = SURNAMES[i % len(SURNAMES)]
    if i % 17:  # one in seventeen gave no ZIP code: surname only
        identifiers["zip"] = ZIPS[(i // len(SURNAMES)) % len(ZIPS)]
    return {
        "decision_id": f"c-{number:04d}",
        "system": LENDING,
        "model_version": "m1",
        "subject": f"person-{number:04d}",
        "inputs": {"amount": 500 + 10 * i, "term": 36},
        "identifiers": identifiers,
        "protected": {
            "age": 19 + i % 6 if young else 25 + i % 40,
            "sex": "X" if i % 25 == 7 else ("F" if i % 2 else "M"),
        },
        "output": {"label": "approve" if approved else "decline", "score": 0.5},
        "adverse": not approved,
    }


def seed_fairness(runtime: Runtime) -> list[str]:
    """Bank C: three months of lending decisions in which the young are approved less often;
    after each month, groups assigned (with BISG) and a bias run of the month. Returns the run
    ids, oldest first.

    The ledger's clock is set to those months while seeding, then given back.
    """
    real_clock = runtime.ledger.clock
    now = [MONTHS[0] - timedelta(days=1)]

    def clock() -> datetime:
        now[0] += timedelta(milliseconds=1)
        return now[0]

    runtime.ledger.clock = clock
    try:
        runtime.inventory.register_tenant(Tenant(BANK_C, BANK_C_NAME))
        runtime.inventory.register_system(
            BANK_C,
            AISystem.parse(
                {
                    "id": LENDING,
                    "name": "Consumer lending",
                    "purpose": "Approve or decline personal loans",
                    "domain": "credit",
                    "jurisdictions": ["US-NY"],
                    "consequential": True,
                    "owner": "Lending risk",
                    "lifecycle": "deployed",
                    "risk_tier": "high",
                    "risk_rationale": "Credit decisions (ECOA, Regulation B)",
                }
            ),
        )
        runtime.inventory.register_model_version(
            BANK_C,
            ModelVersion.parse(
                {
                    "system": LENDING,
                    "version": "m1",
                    "artifact_sha256": _artifact("m1"),
                    "artifact_format": "skops",
                    "framework": "scikit-learn 1.9",
                    "built_by": "lending-ml",
                    "lifecycle": "deployed",
                    "features": [
                        {"name": "amount", "type": "number"},
                        {"name": "term", "type": "integer"},
                    ],
                }
            ),
        )
        rules = parse_rules(GROUP_RULES)
        runs = []
        for month in range(3):  # each month: its decisions, then groups and a run after it ends
            now[0] = MONTHS[month] + timedelta(days=14)
            batch = [lending_decision(month, i) for i in range(PER_MONTH)]
            runtime.decisions.ingest(BANK_C, batch, PER_MONTH)
            now[0] = MONTHS[month + 1] + timedelta(hours=8)
            runtime.bias.assign_groups(BANK_C, LENDING, rules, by="cora")
            now[0] = MONTHS[month + 1] + timedelta(hours=9)
            config = BiasConfig(("age_band", "sex"), since=MONTHS[month], until=MONTHS[month + 1])
            runs.append(runtime.bias.run(BANK_C, LENDING, config, by="cora")["entry"])
    finally:
        runtime.ledger.clock = real_clock
    for username, (roles, tenants) in FAIRNESS_USERS.items():
        runtime.access.add_user(username, PASSWORD, roles, tenants)
    return runs


def seed_monitoring(runtime: Runtime) -> list[str]:
    """Bank C's lending model: a reference profile with smaller loans than it then saw, and a
    monitoring run after each month (the amounts' CSI is red; the term, always 36, is stable).
    Needs ``seed_fairness`` first. Returns the run ids, oldest first."""
    real_clock = runtime.ledger.clock
    now = [MONTHS[0] - timedelta(hours=1)]

    def clock() -> datetime:
        now[0] += timedelta(milliseconds=1)
        return now[0]

    runtime.ledger.clock = clock
    try:
        reference = [
            ReferenceRow({"amount": 300 + 8 * i, "term": 36}, 0.5, "good" if i % 4 else "bad")
            for i in range(PER_MONTH)
        ]
        runtime.monitoring.set_profile(
            BANK_C,
            LENDING,
            "m1",
            reference,
            outcomes=Outcomes(("good",), "good"),
            source={"kind": "file", "name": "lending-validation.csv"},
            by="vera",
        )
        runs = []
        for month in range(3):
            now[0] = MONTHS[month + 1] + timedelta(hours=10)
            document = runtime.monitoring.run(
                BANK_C, LENDING, "m1", since=MONTHS[month], until=MONTHS[month + 1], by="vera"
            )
            runs.append(str(document["entry"]))
    finally:
        runtime.ledger.clock = real_clock
    return runs
