"""The Statlog (German Credit Data) applications, read from the file shipped with Attest.

Data: UCI Machine Learning Repository, "Statlog (German Credit Data)", Prof. Hans Hofmann,
Universität Hamburg, 1994, DOI 10.24432/C5NC77, CC BY 4.0 (see data/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from typing import Any

Application = dict[str, Any]
"""One row: the 20 attributes by name (numbers as ints, codes such as ``A11`` as strings) and
``credit_risk`` (1 good, 2 bad)."""

COLUMNS = (
    "checking_status",
    "duration_months",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "employment_since",
    "installment_rate_pct_income",
    "personal_status_sex",
    "other_debtors",
    "residence_since",
    "property",
    "age_years",
    "other_installment_plans",
    "housing",
    "existing_credits_at_bank",
    "job",
    "people_liable",
    "telephone",
    "foreign_worker",
    "credit_risk",
)
NUMERIC = frozenset(
    {
        "duration_months",
        "credit_amount",
        "installment_rate_pct_income",
        "residence_since",
        "age_years",
        "existing_credits_at_bank",
        "people_liable",
    }
)
# Prohibited bases under ECOA / Regulation B (sex and marital status, age) and a national-origin
# proxy: kept in the vault, committed in the entry.
PROTECTED = ("personal_status_sex", "age_years", "foreign_worker")
CITATION = (
    "Statlog (German Credit Data), UCI Machine Learning Repository, Prof. Hans Hofmann, "
    "Universität Hamburg, 1994, DOI 10.24432/C5NC77, CC BY 4.0"
)


def applications() -> Iterator[Application]:
    """Each row as a dict of named, typed values (credit_risk: 1 good, 2 bad)."""
    text = resources.files("attest.demo").joinpath("data/german.data").read_text()
    for line in text.splitlines():
        values = line.split()
        if len(values) != len(COLUMNS):
            raise ValueError(f"german.data: expected {len(COLUMNS)} columns, got {len(values)}")
        yield {
            name: int(value) if name in NUMERIC or name == "credit_risk" else value
            for name, value in zip(COLUMNS, values, strict=True)
        }
