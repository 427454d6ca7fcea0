"""Append throughput through :meth:`Ledger.append`, the whole path a client's batch takes."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from attest.core.records import Submission
from bench.databases import Backend, BenchLedger, fresh_ledger
from bench.plan import Plan
from bench.stats import Summary, progress
from bench.workload import decision_bodies, submissions

WARMUP_BATCHES = {1: 50, 100: 10, 1_000: 3}


@dataclass(frozen=True)
class AppendResult:
    backend: Backend
    batch: int
    entries_per_repetition: int
    warmup_entries: int
    rates: tuple[float, ...]

    @property
    def summary(self) -> Summary:
        return Summary.of(self.rates)


def _append_all(bench: BenchLedger, tenant: str, items: list[Submission], batch: int) -> float:
    """Seconds to append ``items`` in batches of ``batch``, one Ledger.append call per batch."""
    append = bench.ledger.append
    start = time.perf_counter()
    for offset in range(0, len(items), batch):
        append(tenant, items[offset : offset + batch])
    return time.perf_counter() - start


def measure_append(backend: Backend, batch: int, plan: Plan) -> AppendResult:
    """Warm up (sizing each repetition from the warm-up rate), then time the repetitions.

    Every (database, batch size) pair gets a database of its own and one tenant; the log keeps
    growing from one repetition to the next, as a real one does.
    """
    tenant = f"append-{batch}"
    seconds = plan.single_seconds if batch == 1 else plan.append_seconds
    with fresh_ledger(backend) as bench:
        warmup = WARMUP_BATCHES.get(batch, 3) * batch
        items = submissions(decision_bodies(warmup, plan.seed - 1))
        warm_rate = warmup / _append_all(bench, tenant, items, batch)
        batches = max(2, math.ceil(warm_rate * seconds / batch))
        count = min(batches * batch, max(batch, plan.append_max_entries // batch * batch))
        rates = []
        for repetition in range(plan.append_repetitions):
            items = submissions(decision_bodies(count, plan.seed + repetition))
            rates.append(count / _append_all(bench, tenant, items, batch))
            progress(
                f"{backend.label} append batch {batch:,}: repetition {repetition + 1}/"
                f"{plan.append_repetitions}, {count:,} entries, {rates[-1]:,.0f} entries/s"
            )
    return AppendResult(backend, batch, count, warmup, tuple(rates))
