"""The performance targets the ledger is held to, and whether a measured median meets one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    what: str
    threshold: float
    unit: str
    higher_is_better: bool = True

    def met_by(self, median: float) -> bool:
        return median >= self.threshold if self.higher_is_better else median <= self.threshold

    def describe(self) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        number = f"{self.threshold:,.0f}" if self.threshold >= 100 else f"{self.threshold:g}"
        return f"{sign} {number} {self.unit}"


APPEND_SQLITE = Target("append, batches of 1,000, SQLite", 20_000, "entries/s")
APPEND_POSTGRES = Target("append, batches of 1,000, PostgreSQL", 10_000, "entries/s")
PROOF = Target("inclusion proof at 1M entries", 2.0, "ms", higher_is_better=False)
AUDIT = Target("audit", 100_000, "entries/s")
APPEND_BATCH = 1_000


def append_target(backend: str) -> Target:
    return APPEND_SQLITE if backend == "sqlite" else APPEND_POSTGRES
