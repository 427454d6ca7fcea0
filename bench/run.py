"""``python -m bench.run [--quick]``: measure the ledger, then overwrite docs/benchmarks.md
(monitoring runs write docs/benchmarks-monitoring.md, after each size)."""

from __future__ import annotations

import argparse
import resource
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import make_url

from bench.append import measure_append
from bench.bias import BiasResult, measure_bias
from bench.biglog import measure_big_log
from bench.databases import Backend, postgres_admin_url, postgres_unavailable
from bench.ingest import measure_http_ingest
from bench.machine import Machine, describe
from bench.monitoring import (
    EVIDENTLY_PYTHON,
    MonitoringResult,
    evidently_unavailable,
    measure_monitoring,
)
from bench.monitoring_report import MonitoringDocument
from bench.monitoring_report import render as render_monitoring
from bench.plan import FULL, QUICK, Plan
from bench.reference import measure_reference
from bench.report import Results, render
from bench.sdk_cost import measure as measure_sdk_cost
from bench.stats import progress

T = TypeVar("T")
OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
MONITORING_OUTPUT = OUTPUT.with_name("benchmarks-monitoring.md")
MONITORING_SIZES = (100_000, 1_000_000)
MONITORING_QUICK_SIZES = (20_000,)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: a 20,000-entry log instead of 1,000,000, short and few repetitions",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT}")
    parser.add_argument(
        "--postgres-url",
        default=postgres_admin_url(),
        help="server to create the benchmark databases on (default: %(default)s)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument(
        "--only",
        choices=SECTIONS,
        action="append",
        help="measure only these sections (repeatable); the document says what was not measured",
    )
    parser.add_argument(
        "--bias-sizes",
        type=lambda text: tuple(int(n) for n in text.split(",")),
        default=None,
        help="decisions per bias run, comma-separated (default: 1000000,10000000)",
    )
    parser.add_argument(
        "--monitoring-sizes",
        type=lambda text: tuple(int(n) for n in text.split(",")),
        default=None,
        help="decisions per monitoring run, comma-separated (default: 100000,1000000)",
    )
    parser.add_argument(
        "--monitoring-output",
        type=Path,
        default=MONITORING_OUTPUT,
        help=f"the monitoring section's own document (default: {MONITORING_OUTPUT})",
    )
    parser.add_argument(
        "--evidently-python",
        type=Path,
        default=EVIDENTLY_PYTHON,
        help="interpreter of the environment with Evidently, the monitoring peer "
        "(default: %(default)s, which `make bench` installs)",
    )
    return parser.parse_args(argv)


SECTIONS = ("ledger", "ingest", "sdk", "bias", "monitoring")


def _attempt(results: Results, what: str, action: Callable[[], T]) -> T | None:
    """Run one measurement; a failure becomes a note in the report instead of ending the run."""
    try:
        return action()
    except Exception as error:
        traceback.print_exc()
        results.notes.append(f"{what} failed: {type(error).__name__}: {error}")
        results.failures += 1
        return None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _arguments(argv)
    plan = QUICK if arguments.quick else FULL
    started = time.perf_counter()
    backends = [Backend("sqlite")]
    notes = []
    if not arguments.no_postgres:
        reason = postgres_unavailable(arguments.postgres_url)
        if reason is None:
            backends.append(Backend("postgresql", arguments.postgres_url))
        else:
            where = make_url(arguments.postgres_url).render_as_string(hide_password=True)
            notes.append(f"PostgreSQL at {where} was not measured: {reason}")
    else:
        notes.append("PostgreSQL was not measured (`--no-postgres`).")
    machine = describe(next((b.admin_url for b in backends if b.admin_url), None))
    results = Results(plan, machine, notes=notes)

    wanted = set(arguments.only or SECTIONS)
    if wanted != set(SECTIONS):
        skipped = ", ".join(s for s in SECTIONS if s not in wanted)
        results.notes.append(
            f"This run measured only: {', '.join(sorted(wanted))} (not {skipped})."
        )
    if "ledger" in wanted:
        _ledger(results, plan, backends)
    if "ingest" in wanted:
        _ingest(results, plan, backends)
    if "sdk" in wanted:
        _sdk(results, plan)
    if "bias" in wanted:
        _bias(results, plan, backends, arguments)
    if "monitoring" in wanted:
        _monitoring(results, plan, backends, arguments, machine)
    results.peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results.wall_seconds = time.perf_counter() - started
    if wanted - {"monitoring"}:  # monitoring alone writes only its own document
        _write(arguments.output, results)
        progress(f"wrote {arguments.output} after {results.wall_seconds / 60:.1f} min")
    return 1 if results.failures else 0


def _write(output: Path, results: Results) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(results))


def _ledger(results: Results, plan: Plan, backends: list[Backend]) -> None:
    reference = _attempt(results, "The physical reference", partial(measure_reference, plan))
    if reference is not None:
        results.reference, results.sizes = reference
    for backend in backends:
        for batch in plan.append_batches:
            what = f"{backend.label} append with batches of {batch:,}"
            appended = _attempt(results, what, partial(measure_append, backend, batch, plan))
            if appended is not None:
                results.append.append(appended)
    for backend in backends:
        progress(f"{backend.label}: building a log of {plan.log_size:,} entries")
        what = f"{backend.label} {plan.log_size:,}-entry log"
        big = _attempt(results, what, partial(measure_big_log, backend, plan))
        if big is not None:
            results.big.append(big)


def _ingest(results: Results, plan: Plan, backends: list[Backend]) -> None:
    for backend in backends:
        for workers in (1, 4):
            what = f"{backend.label} HTTP ingest with {workers} worker(s)"
            count = 10_000 if plan.quick else 60_000
            measured = _attempt(
                results, what, partial(measure_http_ingest, backend, workers, decisions=count)
            )
            if measured is not None:
                results.ingest.append(measured)


def _sdk(results: Results, plan: Plan) -> None:
    calls = 20_000 if plan.quick else 200_000
    for rate in (None, 10_000.0):
        cost = _attempt(results, "SDK cost", partial(measure_sdk_cost, calls, rate=rate))
        if cost is not None:
            results.sdk.append(cost)


def _bias(
    results: Results, plan: Plan, backends: list[Backend], arguments: argparse.Namespace
) -> None:
    """Smallest sizes first on every backend; the document is written after each measurement,
    so an interrupted run keeps what it measured."""
    for size in sorted(arguments.bias_sizes or plan.bias_sizes):
        peer: BiasResult | None = None  # fairlearn's time does not depend on the database
        for backend in sorted(backends, key=lambda b: b.name != "postgresql"):
            what = f"{backend.label} bias run over {size:,} decisions"
            peers = 0 if peer is not None else 3 if size <= 1_000_000 else 1
            measured = _attempt(
                results,
                what,
                partial(
                    measure_bias,
                    backend,
                    size,
                    repetitions=plan.bias_repetitions,
                    peer_repetitions=peers,
                ),
            )
            if measured is not None:
                if peer is not None:
                    measured = replace(
                        measured,
                        fairlearn=peer.fairlearn,
                        peer_measured_with=peer.backend.label,
                    )
                elif measured.fairlearn:
                    peer = measured
                results.bias.append(measured)
                _write(arguments.output, results)


def _monitoring(
    results: Results,
    plan: Plan,
    backends: list[Backend],
    arguments: argparse.Namespace,
    machine: Machine,
) -> None:
    """Its own document (docs/benchmarks-monitoring.md), rewritten after each measurement;
    smallest sizes first, PostgreSQL first, Evidently once per size."""
    began = time.perf_counter()
    sizes = tuple(
        sorted(
            arguments.monitoring_sizes
            or (MONITORING_QUICK_SIZES if plan.quick else MONITORING_SIZES)
        )
    )
    document = MonitoringDocument(machine, sizes, quick=plan.quick)
    document.notes += [n for n in results.notes if "PostgreSQL" in n]
    peer_reason = evidently_unavailable(arguments.evidently_python)
    if peer_reason is not None:
        document.notes.append(f"Evidently was not measured: {peer_reason}.")
    repetitions = 2 if plan.quick else 5

    def write() -> None:
        document.minutes = (time.perf_counter() - began) / 60
        arguments.monitoring_output.parent.mkdir(parents=True, exist_ok=True)
        arguments.monitoring_output.write_text(render_monitoring(document))

    for size in sizes:
        peer: MonitoringResult | None = None  # Evidently's time does not depend on the database
        for backend in sorted(backends, key=lambda b: b.name != "postgresql"):
            what = f"{backend.label} monitoring run over {size:,} decisions"
            peers = 0 if peer is not None or peer_reason is not None else 3
            failures = results.failures
            measured = _attempt(
                results,
                what,
                partial(
                    measure_monitoring,
                    backend,
                    size,
                    repetitions=repetitions,
                    peer_repetitions=peers,
                    evidently_python=arguments.evidently_python,
                ),
            )
            if results.failures > failures:
                document.notes.append(results.notes[-1])
            if measured is not None:
                if peer is not None:
                    measured = replace(
                        measured, peer=peer.peer, peer_measured_with=peer.backend.label
                    )
                elif measured.peer is not None:
                    peer = measured
                document.results.append(measured)
            write()
    results.notes.append(
        f"Monitoring runs are in their own document, {arguments.monitoring_output.name}."
    )
    progress(f"wrote {arguments.monitoring_output}")


if __name__ == "__main__":
    sys.exit(main())
