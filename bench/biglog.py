"""A large log (1,000,000 entries in the full run): build time, inclusion proofs and the audit."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass

from attest.core.canonical import canonical_bytes
from attest.core.records import Submission
from attest.service.audit import audit_tenant
from bench.databases import Backend, BenchLedger, fresh_ledger
from bench.plan import Plan
from bench.stats import Summary, progress
from bench.workload import ENTRY_TYPE, small_body

TENANT = "big-log"


@dataclass(frozen=True)
class BigLogResult:
    backend: Backend
    size: int
    batch: int
    build_seconds: float
    proof_ms: tuple[float, ...]
    audit_seconds: tuple[float, ...]
    audit_findings: int
    audit_repetitions_planned: int
    body_bytes: float

    @property
    def build_rate(self) -> float:
        return self.size / self.build_seconds

    @property
    def proof(self) -> Summary:
        return Summary.of(self.proof_ms)

    @property
    def audit(self) -> Summary:
        return Summary.of([self.size / s for s in self.audit_seconds])


def _build(bench: BenchLedger, plan: Plan, wanted: set[int]) -> tuple[float, dict[int, str]]:
    """Append ``plan.log_size`` small entries; return the seconds spent in append and some ids."""
    ids: dict[int, str] = {}
    spent = 0.0
    step = max(1, plan.log_size // plan.log_batch // 10)
    for number, start in enumerate(range(0, plan.log_size, plan.log_batch), 1):
        stop = min(start + plan.log_batch, plan.log_size)
        batch = [Submission(type=ENTRY_TYPE, body=small_body(n)) for n in range(start, stop)]
        began = time.perf_counter()
        receipts = bench.ledger.append(TENANT, batch)
        spent += time.perf_counter() - began
        ids.update((r.index, r.id) for r in receipts if r.index in wanted)
        if number % step == 0:
            progress(
                f"{bench.engine.dialect.name} build: {stop:,}/{plan.log_size:,} entries, "
                f"{stop / spent:,.0f} entries/s so far"
            )
    return spent, ids


def _prove(bench: BenchLedger, plan: Plan, order: list[int], ids: dict[int, str]) -> list[float]:
    """Milliseconds per Ledger.prove, after ``plan.proof_warmup`` untimed calls."""
    timings = []
    for position, index in enumerate(order):
        began = time.perf_counter()
        proof = bench.ledger.prove(TENANT, ids[index])
        elapsed = time.perf_counter() - began
        if proof.index != index or proof.tree_size != plan.log_size:
            raise AssertionError(f"proof of entry {index} is for {proof.index}/{proof.tree_size}")
        if position >= plan.proof_warmup:
            timings.append(elapsed * 1000)
    return timings


def _audit(bench: BenchLedger, plan: Plan) -> tuple[list[float], int]:
    seconds: list[float] = []
    findings = 0
    started = time.perf_counter()
    while len(seconds) < plan.audit_repetitions:
        if seconds and time.perf_counter() - started > plan.audit_budget_seconds:
            break
        began = time.perf_counter()
        report = audit_tenant(bench.store, TENANT, bench.ledger.verifier)
        seconds.append(time.perf_counter() - began)
        if report.entries != plan.log_size:
            raise AssertionError(f"audit covered {report.entries} of {plan.log_size} entries")
        findings = max(findings, len(report.findings))
        progress(
            f"{bench.engine.dialect.name} audit {len(seconds)}/{plan.audit_repetitions}: "
            f"{plan.log_size / seconds[-1]:,.0f} entries/s, {len(report.findings)} findings"
        )
    return seconds, findings


def measure_big_log(backend: Backend, plan: Plan) -> BigLogResult:
    rng = random.Random(plan.seed)
    order = rng.sample(range(plan.log_size), plan.proofs + plan.proof_warmup)
    with fresh_ledger(backend) as bench:
        build_seconds, ids = _build(bench, plan, set(order))
        progress(f"{backend.label}: built {plan.log_size:,} entries in {build_seconds:,.1f} s")
        proof_ms = _prove(bench, plan, order, ids)
        progress(
            f"{backend.label}: {len(proof_ms)} proofs, median {Summary.of(proof_ms).median:.2f} ms"
        )
        audit_seconds, findings = _audit(bench, plan)
    return BigLogResult(
        backend=backend,
        size=plan.log_size,
        batch=plan.log_batch,
        build_seconds=build_seconds,
        proof_ms=tuple(proof_ms),
        audit_seconds=tuple(audit_seconds),
        audit_findings=findings,
        audit_repetitions_planned=plan.audit_repetitions,
        body_bytes=statistics.fmean(len(canonical_bytes(small_body(n))) for n in order),
    )
