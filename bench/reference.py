"""The physical reference: the CPU work of an entry with no storage at all.

Leaf hashing (SHA-256 of 0x00 || entry bytes, RFC 6962), the ledger's canonicalisation and the
``rfc8785`` reference implementation, over the same credit-decision bodies the append uses.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

from attest.core.canonical import canonical_bytes
from attest.core.merkle import hash_leaf
from attest.core.records import envelope_bytes, envelope_header, format_time, uuid7
from bench.plan import Plan
from bench.stats import Summary, progress, rate_until
from bench.workload import decision_bodies, submissions

ENVELOPE_TIME = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class ReferenceResult:
    operation: str
    entries: int  # distinct entries looped over
    rates: tuple[float, ...]

    @property
    def summary(self) -> Summary:
        return Summary.of(self.rates)


@dataclass(frozen=True)
class EntrySizes:
    body_bytes: float
    entry_bytes: float


def envelopes(bodies: list[dict[str, Any]], seed: int) -> list[bytes]:
    """The entry bytes the ledger would store for these bodies (fixed ids and time)."""
    rng = random.Random(seed)
    unix_ms = int(ENVELOPE_TIME.timestamp() * 1000)
    time_text = format_time(ENVELOPE_TIME)
    result = []
    for submission in submissions(bodies):
        entry_id = uuid7(unix_ms, rng.randbytes(10))
        header = envelope_header(
            submission, entry_id=entry_id, tenant="append-1000", time=time_text
        )
        result.append(envelope_bytes(header, canonical_bytes(submission.body)))
    return result


def _over(items: list[Any], operation: Callable[[Any], object]) -> Callable[[], int]:
    def one_pass() -> int:
        for item in items:
            operation(item)
        return len(items)

    return one_pass


def measure_reference(plan: Plan) -> tuple[list[ReferenceResult], EntrySizes]:
    bodies = decision_bodies(plan.reference_entries, plan.seed)
    entries = envelopes(bodies, plan.seed)
    sizes = EntrySizes(
        body_bytes=statistics.fmean(len(canonical_bytes(b)) for b in bodies),
        entry_bytes=statistics.fmean(len(e) for e in entries),
    )
    operations: list[tuple[str, Callable[[], int]]] = [
        ("SHA-256 leaf hash (RFC 6962) of the entry bytes", _over(entries, hash_leaf)),
        ("`attest.core.canonical.canonical_bytes(body)`", _over(bodies, canonical_bytes)),
        ("`rfc8785.dumps(body)` (reference implementation)", _over(bodies, rfc8785.dumps)),
    ]
    results = []
    for name, one_pass in operations:
        one_pass()  # warm-up
        rates = tuple(
            rate_until(one_pass, plan.reference_seconds) for _ in range(plan.reference_repetitions)
        )
        results.append(ReferenceResult(name, len(bodies), rates))
        progress(f"reference {name}: median {statistics.median(rates):,.0f} entries/s")
    return results, sizes
