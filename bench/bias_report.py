"""The bias-testing part of docs/benchmarks.md: full runs at 1M and 10M beside fairlearn."""

from __future__ import annotations

from collections.abc import Sequence

from bench.bias import BiasResult, speedup
from bench.targets import Target

RUN_1M = Target("full bias run over 1M decisions, PostgreSQL", 1.0, "s", higher_is_better=False)
RUN_10M = Target("full bias run over 10M decisions, PostgreSQL", 10.0, "s", higher_is_better=False)
SPEEDUP = Target("bias run against fairlearn MetricFrame, same data", 20, "× faster")


def _verdict(target: Target, value: float | None) -> str:
    if value is None:
        return "–"
    return "**met**" if target.met_by(value) else "**not met**"


def _one(results: Sequence[BiasResult], backend: str, size: int) -> BiasResult | None:
    found = [r for r in results if r.backend.name == backend and r.size == size]
    return found[0] if found else None


def target_rows(results: Sequence[BiasResult]) -> list[list[str]]:
    rows = []
    for target, size in ((RUN_1M, 1_000_000), (RUN_10M, 10_000_000)):
        result = _one(results, "postgresql", size)
        value = result.run.median if result else None
        rows.append(
            [
                target.what,
                target.describe(),
                f"{value:.2f} s" if value is not None else "–",
                _verdict(target, value),
            ]
        )
    ratios = [s for s in (speedup(r) for r in results) if s is not None]
    worst = min(ratios) if ratios else None
    rows.append(
        [
            SPEEDUP.what + " (smallest ratio measured)",
            SPEEDUP.describe(),
            f"{worst:,.0f}×" if worst is not None else "–",
            _verdict(SPEEDUP, worst),
        ]
    )
    return rows


def render_section(results: Sequence[BiasResult]) -> list[str]:
    if not results:
        return []
    header = [
        "database",
        "decisions",
        "load (s)",
        "cache build, first run (s)",
        "run: median (min–max) s",
        "run after +1 % decisions and outcomes (s)",
        "fairlearn: median (min–max) s",
        "× faster",
        "Python peak in a run (MiB)",
        "verdict",
    ]
    rows = []
    for r in results:
        peer = r.peer
        ratio = speedup(r)
        rows.append(
            [
                r.backend.label,
                f"{r.size:,}",
                f"{r.load_seconds:,.0f}",
                f"{r.first_run:,.1f}",
                f"{r.run.median:.2f} ({r.run.low:.2f}–{r.run.high:.2f})",
                f"{r.incremental:,.2f}",
                "–"
                if peer is None
                else f"{peer.median:,.1f} ({peer.low:,.1f}–{peer.high:,.1f})"
                + (f" (measured with {r.peer_measured_with})" if r.peer_measured_with else ""),
                "–" if ratio is None else f"{ratio:,.0f}×",
                f"{r.python_peak_mib:.2f}",
                r.verdict,
            ]
        )
    lines = ["## Bias runs", ""]
    lines += [
        "A full run as `attest bias run` does it: age band and race (six BISG probabilities per",
        "decision) and their intersection; selection rate, TPR and FPR per group with Wilson",
        "intervals, impact ratios and differences with intervals, Fisher and z tests, the",
        "verdict, and the result document appended to the log. The decisions and memberships",
        "are written straight into their tables (`bench/bias.py` says how they are drawn). The",
        "first run after a group assignment builds the per-day cache of group sums",
        "(`attest/store/sql/group_sums.py`); later runs sum the cache, and a run after new",
        "decisions and outcomes adds only their rows. fairlearn: three `MetricFrame`s (age band,",
        "race, both) with selection rate, TPR, FPR and count over the same decisions in a pandas",
        "frame loaded beforehand, with each decision's most probable race as a hard label (it",
        "cannot weight memberships); measured once per size, as every database holds the same",
        "decisions and fairlearn's time does not depend on where they came from. Python peak:",
        "tracemalloc's peak during one run, which stays flat as the decisions grow.",
        "",
    ]
    return lines + _table(header, rows)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]
