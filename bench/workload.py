"""Deterministic entry bodies: a realistic ~1 KB credit decision and a small one for big logs."""

from __future__ import annotations

import random
from typing import Any

from attest.core.records import Submission

SEED = 20_261_127
MODEL_VERSIONS = ("credit-gbm-2026.09.1", "credit-gbm-2026.10.2", "credit-gbm-2026.11.0")
PURPOSES = ("car_new", "car_used", "furniture", "radio_tv", "education", "business", "repairs")
EMPLOYMENT = ("unemployed", "lt_1y", "1_to_4y", "4_to_7y", "ge_7y")
HOUSING = ("rent", "own", "for_free")
CHANNELS = ("branch", "web", "mobile", "broker")
REGIONS = ("north", "south", "east", "west", "central")
REASONS = (
    "debt_to_income_high",
    "short_credit_history",
    "recent_delinquency",
    "high_utilisation",
    "thin_file",
    "income_unverified",
)


def _choice(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[rng.randrange(len(options))]


def decision_body(rng: random.Random, number: int) -> dict[str, Any]:
    """One credit decision: 25 input features (numeric and categorical), output and model."""
    score = round(rng.random(), 4)
    threshold = 0.62
    approved = score >= threshold
    inputs: dict[str, Any] = {
        "application_id": f"APP-{number:010d}",
        "requested_amount": rng.randrange(500, 50_000, 50),
        "duration_months": rng.choice((6, 12, 18, 24, 36, 48, 60)),
        "purpose": _choice(rng, PURPOSES),
        "annual_income": rng.randrange(12_000, 250_000, 100),
        "monthly_debt_payments": round(rng.uniform(0, 4_000), 2),
        "debt_to_income": round(rng.uniform(0.01, 0.65), 4),
        "credit_utilisation": round(rng.uniform(0.0, 1.0), 4),
        "open_accounts": rng.randrange(0, 25),
        "delinquencies_24m": rng.randrange(0, 4),
        "inquiries_6m": rng.randrange(0, 8),
        "oldest_account_months": rng.randrange(0, 480),
        "bureau_score": rng.randrange(300, 851),
        "employment_since": _choice(rng, EMPLOYMENT),
        "employment_type": _choice(rng, ("salaried", "self_employed", "retired", "student")),
        "housing": _choice(rng, HOUSING),
        "residence_since_years": rng.randrange(0, 30),
        "existing_credits_at_bank": rng.randrange(0, 5),
        "savings_band": _choice(rng, ("none", "lt_100", "100_to_500", "500_to_1000", "ge_1000")),
        "checking_status": _choice(rng, ("none", "negative", "lt_200", "ge_200")),
        "has_guarantor": rng.random() < 0.1,
        "dependants": rng.randrange(0, 5),
        "channel": _choice(rng, CHANNELS),
        "region": _choice(rng, REGIONS),
        "collateral_value": round(rng.uniform(0, 80_000), 2) if rng.random() < 0.4 else None,
    }
    reasons = sorted(rng.sample(REASONS, 2)) if not approved else []
    return {
        "inputs": inputs,
        "output": {
            "label": "approve" if approved else "decline",
            "score": score,
            "threshold": threshold,
            "reason_codes": reasons,
            "calibrated_pd": round(1 - score, 4),
        },
        "model": {
            "name": "retail-credit-underwriting",
            "version": _choice(rng, MODEL_VERSIONS),
            "feature_set": "fs-2026.09",
        },
        "decided_by": "model",
        "human_review": not approved and rng.random() < 0.25,
    }


def decision_bodies(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [decision_body(rng, n) for n in range(count)]


def small_body(number: int) -> dict[str, Any]:
    """A ~60-byte body, to build million-entry logs in reasonable time."""
    return {"n": number, "score": round((number * 7919 % 10_000) / 10_000, 4), "label": "ok"}


# Not "decision": that type also writes the decisions query table, which the HTTP ingest
# measurement covers; these measure the ledger itself.
ENTRY_TYPE = "credit.record"


def submissions(bodies: list[dict[str, Any]]) -> list[Submission]:
    """Submissions without ids: the ledger assigns a UUIDv7, as for most callers."""
    return [Submission(type=ENTRY_TYPE, body=body, system="credit-underwriting") for body in bodies]
