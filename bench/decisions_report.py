"""The decision-ingest part of docs/benchmarks.md: HTTP ingest and the SDK's cost to its caller."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from bench.ingest import IngestResult
from bench.sdk_cost import SdkCost
from bench.targets import Target

HTTP_SQLITE = Target("decisions over HTTP, batches of 500, SQLite", 5_000, "decisions/s")
SDK_P99 = Target("SDK `log_decision` in the caller's thread, p99", 50, "µs", higher_is_better=False)


def http_postgres_target(sqlite_rate: float | None) -> Target | None:
    """PostgreSQL must be within 2× of SQLite: at least half its rate."""
    if sqlite_rate is None:
        return None
    return Target(
        "decisions over HTTP, batches of 500, PostgreSQL (≥ ½ SQLite)",
        sqlite_rate / 2,
        "decisions/s",
    )


def _p(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def best_rate(results: Sequence[IngestResult], backend: str) -> float | None:
    rates = [r.rate for r in results if r.backend == backend]
    return max(rates) if rates else None


def target_rows(ingest: Sequence[IngestResult], sdk: Sequence[SdkCost]) -> list[list[str]]:
    rows = []
    sqlite = best_rate(ingest, "SQLite")
    postgres = best_rate(ingest, "PostgreSQL")
    for target, value in ((HTTP_SQLITE, sqlite), (http_postgres_target(sqlite), postgres)):
        if target is None:
            continue
        rows.append(
            [
                target.what,
                target.describe(),
                f"{value:,.0f} decisions/s" if value is not None else "–",
                "–" if value is None else ("**met**" if target.met_by(value) else "**not met**"),
            ]
        )
    steady = [c for c in sdk if c.rate]
    p99 = steady[0].p99_us if steady else None
    rows.append(
        [
            SDK_P99.what + " (steady rate)",
            SDK_P99.describe(),
            f"{p99:.1f} µs" if p99 is not None else "–",
            "–" if p99 is None else ("**met**" if SDK_P99.met_by(p99) else "**not met**"),
        ]
    )
    return rows


def render_sections(ingest: Sequence[IngestResult], sdk: Sequence[SdkCost]) -> list[str]:
    lines = [
        "## 5. Decisions over HTTP",
        "",
        "A real `attest serve` (uvicorn, 1 or 4 worker processes) on a fresh database, a tenant "
        "with a registered system and an approved model version (25 numeric features), and 4 "
        "client threads posting pre-serialised batches of 500 decisions (~1 KB each, "
        "identifiers sealed into the vault, attributions) to `POST /api/v1/decisions/batch`. "
        "Rate = decisions over the whole run; latency per request; memory = the peak resident "
        "set of the server's processes, sampled every 0.2 s. Client and server share the "
        "machine's two cores.",
        "",
        "| Database | Workers | Decisions | Decisions/s | p50 request ms | p99 request ms | "
        "Peak server memory MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in ingest:
        lines.append(
            f"| {r.backend} | {r.workers} | {r.decisions:,} | {r.rate:,.0f} | "
            f"{statistics.median(r.latencies_ms):,.0f} | {_p(r.latencies_ms, 0.99):,.0f} | "
            f"{r.peak_rss_mib:,.0f} |"
        )
    lines += [
        "",
        "## 6. The SDK's cost to the caller",
        "",
        "`bench/sdk_cost.py`: each `Client.log_decision` call timed on its own "
        "(`perf_counter_ns`), with the SDK's spooler (SQLite spool, fsync'd) and sender threads "
        "running and the batches "
        "answered by an in-process transport. A tight loop (the worst case: the worker threads "
        "always have a backlog) and a steady 10,000 calls/s.",
        "",
        "| Run | Calls | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in sdk:
        run = f"{c.rate:,.0f} calls/s" if c.rate else "tight loop"
        lines.append(
            f"| {run} | {c.calls:,} | {c.p50_us:.1f} | {c.p90_us:.1f} | {c.p99_us:.1f} | "
            f"{c.p999_us:.0f} | {c.max_us:,.0f} |"
        )
    return [*lines, ""]
