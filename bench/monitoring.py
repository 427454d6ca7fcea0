"""A full monitoring run over N decisions, and Evidently's data-drift report on the same data.

The workload (:mod:`bench.monitoring_workload`): a credit model version with 20 features and a
score, its reference profile set with ``Monitoring.set_profile`` from 50,000 reference rows when
the version is approved, then N decisions of 2026 logged as ledger entries through
``Decisions.ingest`` (batches of 5,000) and the outcomes of those decided before September
through outcome entries, as the API would log them; then one ``ANALYZE`` (planner statistics, as
a lived-in database has them). The run is ``Monitoring.run`` as the CLI calls it, over the whole
year: every feature's CSI and data quality, the score's PSI, both KS statistics, AUC, Brier,
calibration and Hosmer–Lemeshow, judged and logged.

Measured per database: the first run (it brings the per-day cache of bin counts up to date with
every decision), later runs, and a run after 1 % more decisions (the year's last two weeks) and
1 % more outcomes (September's decisions maturing) were logged. Python memory of a run
(tracemalloc peak) is recorded to show it does not grow with N.

The peer, Evidently's ``DataDriftPreset``, runs in its own environment (it needs pandas < 3) as a
subprocess (:mod:`bench.evidently_peer`) on the same reference rows and the same N decisions'
features and score, handed over as ``.npy`` columns; building its pandas frames is not timed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from attest.core.decisions import outcome_submission, parse_outcome
from attest.core.records import format_time
from attest.core.reference_profile import Outcomes, ReferenceRow
from attest.service.decisions import Decisions
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger
from attest.service.monitoring import Monitoring
from bench import monitoring_workload as workload
from bench.databases import Backend, fresh_ledger
from bench.stats import Summary, progress
from bench.systems import register_credit_model

TENANT = "monitoring-bench"
SYSTEM = "credit-underwriting"
VERSION = "v1"
REFERENCE_ROWS = 50_000
BATCH = 5_000
ROOT = Path(__file__).resolve().parent.parent
EVIDENTLY_PYTHON = ROOT / ".venv" / "peer-evidently" / "bin" / "python"


@dataclass(frozen=True)
class PeerResult:
    """Evidently's reports over one size's data (measured once: it reads no database)."""

    size: int
    seconds: tuple[float, ...]
    python_peak_mib: float
    methods: dict[str, str]
    drifted_columns: int | None
    versions: dict[str, str]

    @property
    def summary(self) -> Summary:
        return Summary.of(self.seconds)


@dataclass(frozen=True)
class MonitoringResult:
    backend: Backend
    size: int
    load_seconds: float
    outcomes: int
    profile_seconds: float
    first_run: float
    runs: tuple[float, ...]
    incremental: float
    python_peak_mib: float
    status: str
    drifting: tuple[str, ...]  # features (and "score") amber or red in the run
    auc: float | None
    peer: PeerResult | None = None
    peer_measured_with: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def run(self) -> Summary:
        return Summary.of(self.runs)


def _decision(sample: workload.Draw, row: int, number: int, inputs: dict[str, Any]) -> Any:
    score = float(sample.score[row])
    return {
        "decision_id": f"m-{number:09d}",
        "system": SYSTEM,
        "model_version": VERSION,
        "decided_at": format_time(workload.decided_at(int(sample.day[row]), number)),
        "inputs": inputs,
        "output": {
            "label": "approve" if score >= workload.THRESHOLD else "decline",
            "score": score,
            "threshold": workload.THRESHOLD,
        },
        "adverse": score < workload.THRESHOLD,
    }


def _log_decisions(decisions: Decisions, sample: workload.Draw, first_number: int) -> None:
    """Every decision of ``sample``, numbered from ``first_number``, as ledger entries."""
    size = len(sample)
    step = max(BATCH, size // 10 // BATCH * BATCH)
    for start in range(0, size, BATCH):
        stop = min(size, start + BATCH)
        batch = [
            _decision(sample, row, first_number + row, inputs)
            for row, inputs in enumerate(workload.inputs(sample, start, stop), start)
        ]
        decisions.ingest(TENANT, batch, BATCH)
        if stop % step == 0 and stop < size:
            progress(f"  logged {stop:,}/{size:,} decisions")


def _log_outcomes(ledger: Ledger, sample: workload.Draw, rows: list[int], first: int) -> None:
    """The outcomes of ``rows`` of ``sample`` (decision numbers from ``first``), as the API logs
    them (the decisions' system is known here, so the per-outcome lookup is skipped)."""
    for start in range(0, len(rows), BATCH):
        batch = [
            outcome_submission(
                parse_outcome(
                    {
                        "decision_id": f"m-{first + row:09d}",
                        "outcome": "bad" if sample.bad[row] else "good",
                    },
                    "outcome",
                ),
                SYSTEM,
            )
            for row in rows[start : start + BATCH]
        ]
        ledger.append(TENANT, batch)


def _reference_rows(sample: workload.Draw) -> list[ReferenceRow]:
    return [
        ReferenceRow(inputs, float(sample.score[row]), "bad" if sample.bad[row] else "good")
        for row, inputs in enumerate(workload.inputs(sample, 0, len(sample)))
    ]


def _drifting(document: dict[str, Any]) -> tuple[str, ...]:
    found = [
        f"{name} ({result['status']})"
        for name, result in document["features"].items()
        if result.get("status") in ("amber", "red")
    ]
    psi = document["score"].get("psi") or {}
    if psi.get("status") in ("amber", "red"):
        found.append(f"score PSI ({psi['status']})")
    return tuple(found)


def _expect(document: dict[str, Any], decisions: int) -> None:
    counted = int(document["decisions"])
    if counted != decisions:
        raise AssertionError(f"the run counted {counted:,} decisions, {decisions:,} were logged")


def measure_monitoring(
    backend: Backend,
    size: int,
    *,
    repetitions: int = 5,
    peer_repetitions: int = 3,
    evidently_python: Path = EVIDENTLY_PYTHON,
) -> MonitoringResult:
    sample = workload.population(size)
    reference = workload.reference(REFERENCE_ROWS)
    with fresh_ledger(backend) as bench:
        inventory = Inventory(bench.ledger, bench.store)
        register_credit_model(inventory, TENANT, SYSTEM, VERSION, workload.feature_specs())
        decisions = Decisions(bench.ledger, bench.store, inventory)
        monitoring = Monitoring(bench.ledger, bench.store, inventory)
        rows = _reference_rows(reference)
        began = time.perf_counter()
        monitoring.set_profile(
            TENANT,
            SYSTEM,
            VERSION,
            rows,
            outcomes=Outcomes(("good",), "good"),
            source={"kind": "validation sample", "name": "bench reference", "rows": len(rows)},
            by="bench",
        )
        profile_seconds = time.perf_counter() - began
        del rows
        progress(f"{backend.label}: logging {size:,} decisions and their matured outcomes")
        began = time.perf_counter()
        _log_decisions(decisions, sample, 0)
        matured = np.flatnonzero(sample.day < workload.MATURED_DAY).tolist()
        _log_outcomes(bench.ledger, sample, matured, 0)
        with bench.engine.begin() as conn:  # planner statistics, as a lived-in database has
            conn.exec_driver_sql("ANALYZE")
        load_seconds = time.perf_counter() - began

        def one_run() -> tuple[float, dict[str, Any]]:
            started = time.perf_counter()
            document = monitoring.run(
                TENANT,
                SYSTEM,
                VERSION,
                since=workload.YEAR_START,
                until=workload.YEAR_END,
                by="bench",
            )
            return time.perf_counter() - started, document

        progress(f"{backend.label}: monitoring run over {size:,} decisions (first: the cache)")
        first, document = one_run()
        _expect(document, size)
        runs = []
        for _ in range(repetitions):
            seconds, again = one_run()
            _expect(again, size)
            runs.append(seconds)
        tracemalloc.start()  # a run of its own: tracing slows Python down several times
        one_run()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()

        extra = max(1, size // 100)
        more = workload.extra(size, extra)
        _log_decisions(decisions, more, size)
        maturing = np.flatnonzero(sample.day >= workload.MATURED_DAY)[:extra].tolist()
        _log_outcomes(bench.ledger, sample, maturing, 0)
        incremental, after = one_run()
        _expect(after, size + extra)
        progress(
            f"{backend.label}: {size:,} decisions: first run {first:.2f} s, "
            f"median {statistics.median(runs):.2f} s, after +1 % {incremental:.2f} s"
        )
    peer = None
    if peer_repetitions:
        peer = measure_evidently(sample, reference, peer_repetitions, evidently_python)
    auc = (document["score"].get("auc") or {}).get("auc")
    return MonitoringResult(
        backend=backend,
        size=size,
        load_seconds=load_seconds,
        outcomes=len(matured),
        profile_seconds=profile_seconds,
        first_run=first,
        runs=tuple(runs),
        incremental=incremental,
        python_peak_mib=peak,
        status=str(document["status"]),
        drifting=_drifting(document),
        auc=None if auc is None else float(auc),
        peer=peer,
    )


def evidently_unavailable(python: Path = EVIDENTLY_PYTHON) -> str | None:
    """Why Evidently cannot be measured, or None when its environment answers."""
    if not python.exists():
        return f"no Evidently environment at {python} (`make bench` installs it)"
    check = subprocess.run(
        [str(python), "-c", "import evidently"], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        lines = check.stderr.strip().splitlines()
        return f"Evidently does not import: {lines[-1] if lines else check.returncode}"
    return None


def measure_evidently(
    sample: workload.Draw,
    reference: workload.Draw,
    repetitions: int,
    python: Path = EVIDENTLY_PYTHON,
) -> PeerResult:
    progress(f"Evidently DataDriftPreset over {len(sample):,} decisions")
    with tempfile.TemporaryDirectory(prefix="attest-bench-evidently-") as directory:
        data = Path(directory)
        workload.write_columns(reference, data / "reference")
        workload.write_columns(sample, data / "current")
        (data / "columns.json").write_text(json.dumps(workload.column_layout()))
        script = Path(__file__).resolve().parent / "evidently_peer.py"
        done = subprocess.run(
            [str(python), str(script), str(data), "--repetitions", str(repetitions)],
            capture_output=True,
            text=True,
            check=False,
            env=os.environ | {"DO_NOT_TRACK": "1"},
        )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise RuntimeError(f"Evidently's report failed (exit {done.returncode})")
    answer = json.loads(done.stdout)
    return PeerResult(
        size=len(sample),
        seconds=tuple(float(s) for s in answer["seconds"]),
        python_peak_mib=float(answer["python_peak_mib"]),
        methods=dict(answer["methods"]),
        drifted_columns=answer.get("drifted_columns"),
        versions=dict(answer["versions"]),
    )


def speedup(result: MonitoringResult) -> float | None:
    if result.peer is None:
        return None
    return result.peer.summary.median / result.run.median
