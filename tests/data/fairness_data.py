"""Rows for the fairness tests: the fixed arrays in fairness_fixed.json and the German credit data.

German credit (attest/demo/data/german.data): groups are age < 25 vs ≥ 25 and
personal_status_sex; truth is ``credit_risk`` (1 good); the prediction is a fixed, simple score
(a logistic of duration, amount, checking account and credit history) approved at 0.6, so that
the metrics are of a deterministic model nobody tuned to pass or fail.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attest.demo.german_credit import applications

HERE = Path(__file__).parent
GERMAN_CUT = 0.6
_CHECKING = {"A11": -0.7, "A12": 0.0, "A13": 0.5, "A14": 1.0}
_HISTORY = {"A30": -0.8, "A31": -0.8, "A32": 0.0, "A33": 0.2, "A34": 0.5}


@dataclass(frozen=True)
class Columns:
    """One data set as columns: two group attributes, truth, prediction, score and a weight."""

    attributes: tuple[str, str]
    a: np.ndarray  # values of attributes[0]
    b: np.ndarray  # values of attributes[1]
    y_true: np.ndarray  # 1 good outcome
    y_pred: np.ndarray  # 1 approved
    score: np.ndarray  # predicted probability of the good outcome
    weight: np.ndarray  # BISG-like membership probabilities, for the weighted tests

    def __len__(self) -> int:
        return len(self.y_true)


def fixed() -> Columns:
    data = json.loads((HERE / "fairness_fixed.json").read_text())
    return Columns(
        ("sex", "race"),
        np.array(data["sex"]),
        np.array(data["race"]),
        np.array(data["y_true"]),
        np.array(data["y_pred"]),
        np.array(data["score"], dtype=float),
        np.array(data["weight"], dtype=float),
    )


def german_score(row: dict[str, object]) -> float:
    duration = float(row["duration_months"])  # type: ignore[arg-type]
    amount = float(row["credit_amount"])  # type: ignore[arg-type]
    logit = (
        1.6
        - 0.035 * duration
        - 0.00006 * amount
        + _CHECKING[str(row["checking_status"])]
        + _HISTORY[str(row["credit_history"])]
    )
    return round(1 / (1 + math.exp(-logit)), 4)


def german() -> Columns:
    rows = list(applications())
    score = np.array([german_score(r) for r in rows])
    rng = np.random.default_rng(1994)
    return Columns(
        ("age_band", "personal_status_sex"),
        np.array(["<25" if int(r["age_years"]) < 25 else ">=25" for r in rows]),
        np.array([str(r["personal_status_sex"]) for r in rows]),
        np.array([1 if r["credit_risk"] == 1 else 0 for r in rows]),
        (score >= GERMAN_CUT).astype(int),
        score,
        np.round(rng.uniform(0.05, 1.0, size=len(rows)), 3),
    )
