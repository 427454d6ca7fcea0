"""Monitoring run documents for chart and report tests, computed by attest.core from rows.

A reference of 600 applications whose risk score is well calibrated, then periods that keep
the score's distribution (``shift=0``) or move loans and risk upward (``shift=1``), with or
without outcomes; and vintages in the shape the run documents carry them.
"""

from __future__ import annotations

import random
from typing import Any

from attest.core.bins import BinCounts
from attest.core.inventory import FeatureSpec
from attest.core.monitoring_report import monitoring_document
from attest.core.reference_profile import Outcomes, ReferenceRow, build_profile

FEATURES = [FeatureSpec("amount", "number"), FeatureSpec("term", "integer")]
OUTCOMES = Outcomes(("good",), "good")


def _rows(seed: int, n: int, shift: float, *, outcomes: bool = True) -> list[ReferenceRow]:
    draw = random.Random(seed)
    rows = []
    for _ in range(n):
        amount = draw.lognormvariate(8 + 0.6 * shift, 0.5)
        term = draw.choice([12, 24, 36, 48] if not shift else [36, 48, 60, 72])
        risk = min(0.95, max(0.02, draw.betavariate(2, 6) + 0.15 * shift))
        outcome = ("bad" if draw.random() < risk else "good") if outcomes else None
        rows.append(ReferenceRow({"amount": amount, "term": term}, 1 - risk, outcome))
    return rows


def profile() -> Any:
    return build_profile(
        "lending",
        "m1",
        FEATURES,
        _rows(1, 600, 0.0),
        outcomes=OUTCOMES,
        source={"kind": "file", "name": "validation.csv"},
    )


def run_document(
    seed: int = 2, *, shift: float = 0.0, outcomes: bool = True, n: int = 400
) -> dict[str, Any]:
    """A run's document over ``n`` period rows counted in the profile's bins."""
    made = profile()
    rows = _rows(seed, n, shift, outcomes=outcomes)
    events = [OUTCOMES.event(r.outcome) for r in rows]
    scores = [None if r.score is None else 1 - r.score for r in rows]
    features = {
        name: BinCounts.from_values(
            reference.binning, [r.inputs[name] for r in rows], outcomes=events, scores=scores
        )
        for name, reference in made.features.items()
    }
    assert made.score is not None
    score = BinCounts.from_values(made.score.binning, scores, outcomes=events, scores=scores)
    document = monitoring_document(made, features, score, decisions=float(n), approved=n * 0.7)
    return document | {
        "from": "2026-09-01T00:00:00Z",
        "to": "2026-10-01T00:00:00Z",
        "by": "vera",
        "reference": {"source": dict(made.source), "rows": made.rows},
    }


def vintages() -> list[dict[str, Any]]:
    """Three decision months: two measured (the second weaker), the last not yet mature."""
    return [
        {
            "month": "2026-07",
            "decisions": 400,
            "labelled": 380,
            "maturity": 0.95,
            "bad_rate": 0.21,
            "ks": {"value": 0.41, "status": "green"},
            "auc": {"auc": 0.78, "auc_ci": [0.73, 0.83], "status": "green"},
            "status": "green",
        },
        {
            "month": "2026-08",
            "decisions": 420,
            "labelled": 300,
            "maturity": 0.71,
            "bad_rate": 0.24,
            "ks": {"value": 0.24, "status": "amber"},
            "auc": {"auc": 0.64, "auc_ci": [0.58, 0.70], "status": "amber"},
            "status": "amber",
        },
        {
            "month": "2026-09",
            "decisions": 410,
            "labelled": 12,
            "maturity": 0.03,
            "bad_rate": None,
            "ks": {"value": None, "status": "not_measurable", "reason": "too few outcomes"},
            "auc": {
                "auc": None,
                "auc_ci": None,
                "status": "not_measurable",
                "reason": "too few outcomes",
            },
            "status": "not_measurable",
            "reason": "outcomes have not matured",
        },
    ]


SYSTEM = {
    "id": "consumer-lending",
    "name": "Consumer lending",
    "purpose": "Approve or decline personal loans",
    "domain": "credit",
    "jurisdictions": ["US-NY"],
    "consequential": True,
    "owner": "Lending risk",
    "lifecycle": "deployed",
    "risk_tier": "high",
    "risk_rationale": "Credit decisions",
}


def view(*, with_vintages: bool = True, acted: bool = True) -> Any:
    """A monitoring view of a shifted September run after a stable August one, with alerts."""
    from attest.core.inventory import AISystem
    from attest.reports.monitoring_run import MonitoringView

    august, september = run_document(2), run_document(3, shift=0.4)
    if with_vintages:
        september["vintages"] = vintages()
    run = {
        "run_id": "019f-run-9",
        "run_at": "2026-10-01T10:00:00Z",
        "window_from": "2026-09-01T00:00:00Z",
        "window_to": "2026-10-01T00:00:00Z",
        "version": "m1",
        "by": "vera",
        "idx": 42,
        "status": september["status"],
    }
    alerts = []
    for number, alert in enumerate(september["alerts"], 1):
        row = alert | {"number": number, "run_id": run["run_id"], "state": "open"}
        if acted and number == 1:
            row |= {
                "state": "finding",
                "reference": "MRM-7",
                "note": "loans grew: revalidate the model",
                "acted_by": "cora",
                "acted_at": "2026-10-02T09:00:00Z",
            }
        alerts.append(row)
    return MonitoringView(
        {"id": "bank-c", "name": "Lakeside Credit Union"},
        AISystem.parse(SYSTEM),
        [run],
        run,
        september,
        alerts,
        [("2026-08-01", august), ("2026-09-01", september)],
    )
