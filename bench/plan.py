"""How much each measurement does: the full run, or the ``--quick`` smoke test."""

from __future__ import annotations

from dataclasses import dataclass

from bench.workload import SEED


@dataclass(frozen=True)
class Plan:
    quick: bool
    append_batches: tuple[int, ...]
    append_repetitions: int
    append_seconds: float  # each repetition appends at least this long (batch 1: single_seconds)
    single_seconds: float
    append_max_entries: int  # cap on one repetition, to bound memory and disk
    reference_entries: int
    reference_repetitions: int
    reference_seconds: float
    log_size: int
    log_batch: int
    proofs: int
    proof_warmup: int
    audit_repetitions: int
    audit_budget_seconds: float  # stop repeating the audit after this long (at least one runs)
    bias_sizes: tuple[int, ...] = (1_000_000, 10_000_000)
    bias_repetitions: int = 5
    seed: int = SEED


FULL = Plan(
    quick=False,
    append_batches=(1, 100, 1_000),
    append_repetitions=5,
    append_seconds=2.0,
    single_seconds=1.0,
    append_max_entries=120_000,
    reference_entries=10_000,
    reference_repetitions=5,
    reference_seconds=1.0,
    log_size=1_000_000,
    log_batch=10_000,
    proofs=200,
    proof_warmup=10,
    audit_repetitions=3,
    audit_budget_seconds=180.0,
)

QUICK = Plan(
    quick=True,
    append_batches=(1, 100, 1_000),
    append_repetitions=3,
    append_seconds=0.3,
    single_seconds=0.2,
    append_max_entries=10_000,
    reference_entries=2_000,
    reference_repetitions=3,
    reference_seconds=0.2,
    log_size=20_000,
    log_batch=10_000,
    proofs=200,
    proof_warmup=10,
    audit_repetitions=2,
    audit_budget_seconds=30.0,
    bias_sizes=(20_000,),
    bias_repetitions=2,
)
