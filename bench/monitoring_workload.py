"""The monitoring benchmark's data: a credit model with 20 features and a score, drawn with numpy.

Twelve numeric features (income and loan amount log-normal, ratios beta-distributed, bureau score
normal, counts Poisson, a collateral value present for about a third of applications) and eight
categorical ones (purpose, employment, housing, savings, checking account, channel, a guarantor
flag). A fixed "true" default model gives each application its probability of default; the
scored model sees the same features with its own noise (an AUC near 0.75), and its score is the
probability of a good outcome. The outcome is drawn from the true probability.

Decisions are spread evenly over 2026 by decision time. From July on (day 181) the applications
shift: larger loans (× 1.8), a lower bureau score (− 20), more recent inquiries and 45 % instead
of 20 % through the mobile channel, so that monitoring has real drift to find. Outcomes are known
for the decisions made before September. The reference is drawn from the first half year without
the shift, from a stream of its own. Everything is seeded; the same size gives the same decisions
on every database and for the peer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20_261_205
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)
DAYS = 365
SHIFT_DAY = 181  # 1 July 2026
MATURED_DAY = 243  # decisions before September have their outcome
THRESHOLD = 0.82  # approve when the probability of a good outcome is at least this

# name -> (type, minimum, maximum); numeric features.
NUMERIC: dict[str, tuple[str, float, float]] = {
    "age": ("integer", 18, 85),
    "annual_income": ("number", 8_000, 1_000_000),
    "requested_amount": ("number", 500, 150_000),
    "duration_months": ("integer", 6, 72),
    "debt_to_income": ("number", 0, 1),
    "credit_utilisation": ("number", 0, 1),
    "bureau_score": ("integer", 300, 850),
    "open_accounts": ("integer", 0, 60),
    "delinquencies_24m": ("integer", 0, 30),
    "inquiries_6m": ("integer", 0, 40),
    "oldest_account_months": ("integer", 0, 900),
    "collateral_value": ("number", 0, 5_000_000),
}
OPTIONAL = ("collateral_value",)
CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "purpose": (
        ("car_new", "car_used", "furniture", "electronics", "education", "business", "repairs"),
        (0.18, 0.22, 0.15, 0.12, 0.08, 0.15, 0.10),
    ),
    "employment_since": (
        ("unemployed", "lt_1y", "1_to_4y", "4_to_7y", "ge_7y"),
        (0.05, 0.15, 0.33, 0.20, 0.27),
    ),
    "employment_type": (
        ("salaried", "self_employed", "retired", "student"),
        (0.70, 0.15, 0.10, 0.05),
    ),
    "housing": (("rent", "own", "for_free"), (0.38, 0.52, 0.10)),
    "savings_band": (
        ("none", "lt_100", "100_to_500", "500_to_1000", "ge_1000"),
        (0.25, 0.30, 0.20, 0.12, 0.13),
    ),
    "checking_status": (("none", "negative", "lt_200", "ge_200"), (0.30, 0.15, 0.35, 0.20)),
    "channel": (("branch", "web", "mobile", "broker"), (0.30, 0.35, 0.20, 0.15)),
}
BOOLEAN = ("has_guarantor",)
FEATURES = (*NUMERIC, *CATEGORIES, *BOOLEAN)
SHIFTED_CHANNEL = (0.15, 0.30, 0.45, 0.10)


def feature_specs() -> list[dict[str, Any]]:
    """The model version's feature schema, as ``ModelVersion.parse`` reads it."""
    specs: list[dict[str, Any]] = [
        {
            "name": name,
            "type": kind,
            "minimum": low,
            "maximum": high,
            "required": name not in OPTIONAL,
        }
        for name, (kind, low, high) in NUMERIC.items()
    ]
    specs += [
        {"name": name, "type": "category", "categories": list(values)}
        for name, (values, _) in CATEGORIES.items()
    ]
    specs += [{"name": name, "type": "boolean"} for name in BOOLEAN]
    return specs


@dataclass
class Draw:
    """Columns of ``n`` applications: features (numeric as float, NaN when missing; categories
    as codes into ``CATEGORIES``; booleans as bool), the score, the outcome and the day."""

    columns: dict[str, np.ndarray]
    score: np.ndarray  # probability of a good outcome
    bad: np.ndarray  # the outcome, True when bad
    day: np.ndarray  # day of 2026 the decision was made (0-364)

    def __len__(self) -> int:
        return len(self.score)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def draw(rng: np.random.Generator, day: np.ndarray) -> Draw:
    """Applications decided on ``day`` (one per element); those from ``SHIFT_DAY`` on shifted."""
    n = len(day)
    shifted = day >= SHIFT_DAY
    age = np.clip(np.round(18 + rng.gamma(4.0, 5.0, n)), 18, 85)
    income = np.exp(rng.normal(np.log(52_000) + 0.01 * (age - 38), 0.55, n))
    income = np.clip(np.round(income, -2), 8_000, 1_000_000)
    amount = np.exp(rng.normal(np.log(11_000), 0.75, n)) * np.where(shifted, 1.8, 1.0)
    amount = np.clip(np.round(amount / 50) * 50, 500, 150_000)
    duration = rng.choice(
        np.array([6, 12, 18, 24, 36, 48, 60, 72]),
        n,
        p=[0.05, 0.15, 0.10, 0.25, 0.20, 0.12, 0.10, 0.03],
    )
    dti = np.round(rng.beta(2.2, 6.0, n) * 0.9, 4)
    utilisation = np.round(rng.beta(1.4, 2.6, n), 4)
    bureau = np.clip(np.round(rng.normal(695, 65, n) - np.where(shifted, 20, 0)), 300, 850)
    accounts = np.minimum(rng.poisson(7.0, n), 60)
    delinquencies = np.minimum(rng.poisson(0.35, n), 30)
    inquiries = np.minimum(rng.poisson(np.where(shifted, 2.0, 1.3)), 40)
    oldest = np.clip(np.round((age - 18) * 12 * rng.beta(2.0, 2.0, n)), 0, 900)
    has_collateral = rng.random(n) < 0.35
    collateral = np.where(
        has_collateral, np.round(np.exp(rng.normal(np.log(30_000), 0.6, n)), 2), np.nan
    )
    columns: dict[str, np.ndarray] = {
        "age": age,
        "annual_income": income,
        "requested_amount": amount,
        "duration_months": duration.astype(float),
        "debt_to_income": dti,
        "credit_utilisation": utilisation,
        "bureau_score": bureau,
        "open_accounts": accounts.astype(float),
        "delinquencies_24m": delinquencies.astype(float),
        "inquiries_6m": inquiries.astype(float),
        "oldest_account_months": oldest,
        "collateral_value": collateral,
    }
    for name, (values, weights) in CATEGORIES.items():
        codes = rng.choice(len(values), n, p=weights)
        if name == "channel":
            codes = np.where(shifted, rng.choice(len(values), n, p=SHIFTED_CHANNEL), codes)
        columns[name] = codes.astype(np.int8)
    columns["has_guarantor"] = rng.random(n) < 0.08
    logit = _true_logit(columns, amount / income)
    bad = rng.random(n) < _sigmoid(logit)
    model_logit = 0.9 * logit + rng.normal(0.0, 0.45, n) + 0.1
    score = np.round(1.0 - _sigmoid(model_logit), 6)
    return Draw(columns, score, bad, day.astype(np.int32))


def _true_logit(columns: dict[str, np.ndarray], loan_to_income: np.ndarray) -> np.ndarray:
    code = {name: {v: i for i, v in enumerate(values)} for name, (values, _) in CATEGORIES.items()}
    checking, savings = columns["checking_status"], columns["savings_band"]
    employment = columns["employment_since"]
    return np.asarray(
        -2.9
        + 3.0 * (columns["debt_to_income"] - 0.22)
        + 1.4 * (columns["credit_utilisation"] - 0.35)
        - 0.011 * (columns["bureau_score"] - 695)
        + 0.45 * columns["delinquencies_24m"]
        + 0.10 * columns["inquiries_6m"]
        + 0.9 * np.clip(loan_to_income - 0.2, 0, None)
        - 0.012 * (columns["age"] - 38)
        + 0.55 * (checking == code["checking_status"]["negative"])
        - 0.30 * (checking == code["checking_status"]["ge_200"])
        + 0.20 * (savings == code["savings_band"]["none"])
        + 0.60 * (employment == code["employment_since"]["unemployed"])
        - 0.35 * columns["has_guarantor"]
        - 0.25 * ~np.isnan(columns["collateral_value"])
    )


def decision_days(count: int, start: int = 0, total: int | None = None) -> np.ndarray:
    """Days of decisions ``start`` to ``start + count`` when ``total`` are spread over the year."""
    total = total or count
    return (np.arange(start, start + count) * DAYS) // total


def population(size: int, seed: int = SEED) -> Draw:
    """The ``size`` decisions of a benchmark size, in decision-time order."""
    return draw(np.random.default_rng([seed, size]), decision_days(size))


def reference(rows: int, seed: int = SEED) -> Draw:
    """The reference sample: applications of the first months, before any shift."""
    rng = np.random.default_rng([seed, 0])
    return draw(rng, rng.integers(0, SHIFT_DAY, rows))


def extra(size: int, count: int, seed: int = SEED) -> Draw:
    """``count`` decisions arriving after a size's decisions were loaded: the year's last days."""
    days = DAYS - 1 - (np.arange(count) % 14)
    return draw(np.random.default_rng([seed, size, 1]), days)


def inputs(sample: Draw, start: int, stop: int) -> Iterator[dict[str, Any]]:
    """Rows ``start`` to ``stop`` as logged inputs (JSON types; a missing value left out)."""
    numeric = {name: sample.columns[name][start:stop].tolist() for name in NUMERIC}
    integer = {name for name, (kind, _, _) in NUMERIC.items() if kind == "integer"}
    categories = {
        name: [values[c] for c in sample.columns[name][start:stop].tolist()]
        for name, (values, _) in CATEGORIES.items()
    }
    booleans = {name: sample.columns[name][start:stop].tolist() for name in BOOLEAN}
    for row in range(stop - start):
        record: dict[str, Any] = {}
        for name, values in numeric.items():
            value = values[row]
            if value == value:  # not NaN
                record[name] = int(value) if name in integer else value
        for name, labels in categories.items():
            record[name] = labels[row]
        for name, flags in booleans.items():
            record[name] = flags[row]
        yield record


def decided_at(day: int, number: int) -> datetime:
    """A moment on ``day`` of 2026 (spread over its hours by ``number``)."""
    return YEAR_START + timedelta(days=int(day), seconds=(number * 7919) % 86_400)


def write_columns(sample: Draw, directory: Path) -> None:
    """``sample``'s features and score as one ``.npy`` file per column (for the peer)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in NUMERIC:
        np.save(directory / f"{name}.npy", sample.columns[name])
    np.save(directory / "score.npy", sample.score)
    for name in (*CATEGORIES, *BOOLEAN):
        np.save(directory / f"{name}.npy", sample.columns[name].astype(np.int8))


def column_layout() -> dict[str, Any]:
    """Which written columns are numeric, and the labels of the categorical ones' codes."""
    categorical: dict[str, list[str]] = {n: list(v) for n, (v, _) in CATEGORIES.items()}
    categorical |= {name: ["false", "true"] for name in BOOLEAN}
    return {"numeric": [*NUMERIC, "score"], "categorical": categorical}
