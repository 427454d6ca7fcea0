"""A full bias run over N decisions, and fairlearn's MetricFrame on the same decisions.

The decisions and their memberships are written straight into the decision and
``fairness_groups`` tables by one SQL statement each (a run reads nothing else): a year of
decisions, one in seven under 25, six BISG race probabilities per decision drawn from fifty
fixed probability vectors, outcomes known for 60 %. The run is ``Bias.run`` as the CLI calls it:
age band and race (BISG-weighted) and their intersection, selection rate, TPR and FPR with every
interval, test and verdict, stored as a ledger entry.

Measured: the first run (it builds the per-day cache of group sums), later runs, and a run after
1 % more decisions and 1 % more outcomes arrived (it recomputes only the days they touched). The
peer: fairlearn's ``MetricFrame`` with selection rate, TPR, FPR and count, by age band, by race
and by both, over the same decisions with hard race labels (each decision's most probable group:
fairlearn cannot weight a group membership), from a pandas frame loaded beforehand (loading is not
timed). Python memory of the run (tracemalloc peak) is recorded to show it does not grow with N.
"""

from __future__ import annotations

import random
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from attest.core.proxy import GROUPS
from attest.service.bias import Bias, BiasConfig
from attest.service.decisions import Decisions
from attest.service.inventory import Inventory
from bench.databases import Backend, fresh_ledger
from bench.stats import Summary, progress
from bench.systems import register_credit_model

TENANT = "bias-bench"
SYSTEM = "credit-underwriting"
VERSION = "v1"
VECTORS = 50
UNDER_25 = 7  # every seventh decision is under 25


@dataclass(frozen=True)
class BiasResult:
    backend: Backend
    size: int
    load_seconds: float
    first_run: float
    runs: tuple[float, ...]
    incremental: float
    fairlearn: tuple[float, ...]
    python_peak_mib: float
    verdict: str
    peer_measured_with: str | None = None  # another backend's run of the same decisions

    @property
    def run(self) -> Summary:
        return Summary.of(self.runs)

    @property
    def peer(self) -> Summary | None:
        return Summary.of(self.fairlearn) if self.fairlearn else None


def race_vectors(seed: int = 11) -> list[list[float]]:
    """Fifty BISG-like probability vectors over the six groups (each sums to 1)."""
    rng = random.Random(seed)
    vectors = []
    for _ in range(VECTORS):
        raw = [rng.gammavariate(0.6, 1.0) + 1e-6 for _ in GROUPS]
        total = sum(raw)
        vectors.append([r / total for r in raw])
    return vectors


def _series(dialect: str, size: int, offset: int = 0) -> str:
    if dialect == "postgresql":
        return (
            f"(SELECT i FROM generate_series(CAST({offset} AS BIGINT), {offset + size - 1}) "
            "AS s(i)) AS s"
        )
    return (
        f"(WITH RECURSIVE s(i) AS (SELECT {offset} UNION ALL SELECT i + 1 FROM s "
        f"WHERE i < {offset + size - 1}) SELECT i FROM s) AS s"
    )


def _logged_at(dialect: str, day_offset: int) -> str:
    seconds = f"(s.i % 365 + {day_offset}) * 86400 + (s.i * 7919) % 86400"
    if dialect == "postgresql":
        return f"(TIMESTAMPTZ '2026-01-01 00:00:00+00' + ({seconds}) * INTERVAL '1 second')"
    return f"(strftime('%Y-%m-%d %H:%M:%S', 1767225600 + {seconds}, 'unixepoch') || '.000000')"


def load(engine: Engine, size: int, *, offset: int = 0, idx: int = 0, day_offset: int = 0) -> None:
    """Write ``size`` decisions (ids from ``offset``) and their age and race memberships."""
    dialect = engine.dialect.name
    unit = "(((s.i * 2654435761) % 1000003) / 1000003.0)"  # a fixed pseudo-random [0, 1)
    vector = "(s.i % 50)"
    approve = (
        f"CASE WHEN {unit} < (CASE WHEN s.i % {UNDER_25} = 0 THEN 0.55 ELSE 0.70 END) "
        f"- 0.004 * {vector} THEN 'approve' ELSE 'decline' END"
    )
    outcome = (
        "CASE WHEN s.i % 5 < 3 THEN (CASE WHEN ((s.i * 40503) % 97) < 80 "
        "THEN '\"good\"' ELSE '\"bad\"' END) ELSE NULL END"
    )
    series = _series(dialect, size, offset)
    json_cast = "CAST({} AS JSON)" if dialect == "postgresql" else "{}"
    vectors = race_vectors()
    values = " UNION ALL ".join(
        f"SELECT {k} AS k, '{group.value}' AS g, {p!r} AS p"
        for k, vector_p in enumerate(vectors)
        for group, p in zip(GROUPS, vector_p, strict=True)
    )
    with engine.begin() as conn:
        # The rows are consistent by construction: skip the per-row foreign-key checks.
        if dialect == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("PRAGMA defer_foreign_keys = ON"))
        conn.execute(
            text(
                "INSERT INTO decisions (tenant, decision_id, idx, system, model_version, "
                "logged_at, label, score, adverse, inputs, outcome) "
                f"SELECT '{TENANT}', 'b' || s.i, {idx}, '{SYSTEM}', '{VERSION}', "
                f"{_logged_at(dialect, day_offset)}, {approve}, {unit}, "
                f"({approve}) = 'decline', {json_cast.format(repr('{}'))}, "
                f"{json_cast.format(outcome)} FROM {series}"
            )
        )
        conn.execute(
            text(
                "INSERT INTO fairness_groups (tenant, attribute, decision_id, group_value, "
                f"weight, assignment) SELECT '{TENANT}', 'age_band', 'b' || s.i, "
                f"CASE WHEN s.i % {UNDER_25} = 0 THEN 'under_25' ELSE '25_and_over' END, 1.0, "
                f"'bench' FROM {series}"
            )
        )
        conn.execute(
            text(
                "INSERT INTO fairness_groups (tenant, attribute, decision_id, group_value, "
                f"weight, assignment) SELECT '{TENANT}', 'race', 'b' || s.i, v.g, v.p, 'bench' "
                f"FROM {series} JOIN ({values}) AS v ON v.k = s.i % 50"
            )
        )
        if dialect == "postgresql":
            conn.execute(text("ANALYZE decisions"))
            conn.execute(text("ANALYZE fairness_groups"))
        else:
            conn.execute(text("ANALYZE"))


def _more_outcomes(engine: Engine, count: int, idx: int) -> None:
    """``count`` outcomes for decisions that had none (as if they matured), logged at ``idx``."""
    dialect = engine.dialect.name
    json_cast = "CAST('\"bad\"' AS JSON)" if dialect == "postgresql" else "'\"bad\"'"
    series = _series(dialect, count * 5)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO outcomes (tenant, outcome_id, decision_id, idx, outcome) "
                f"SELECT '{TENANT}', 'o' || s.i, 'b' || s.i, {idx}, {json_cast} "
                f"FROM {series} WHERE s.i % 5 = 4"
            )
        )
        conn.execute(
            text(
                f"UPDATE decisions SET outcome = {json_cast}, outcome_index = {idx} "
                f"WHERE tenant = '{TENANT}' AND decision_id IN "
                f"(SELECT decision_id FROM outcomes WHERE tenant = '{TENANT}' AND idx = {idx})"
            )
        )


def _frame(engine: Engine) -> Any:
    import pandas as pd

    vectors = race_vectors()
    top = [GROUPS[max(range(len(GROUPS)), key=lambda g: v[g])].value for v in vectors]
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT label, CAST(outcome AS TEXT), "
                "CAST(SUBSTR(decision_id, 2) AS INTEGER) FROM decisions "
                f"WHERE tenant = '{TENANT}'"
            )
        ).all()
    frame = pd.DataFrame(rows, columns=["label", "outcome", "i"])
    frame["selected"] = (frame["label"] == "approve").astype(int)
    frame["truth"] = (frame["outcome"] == '"good"').astype(int)
    frame["age_band"] = ["under_25" if i % UNDER_25 == 0 else "25_and_over" for i in frame["i"]]
    frame["race"] = [top[i % VECTORS] for i in frame["i"]]
    return frame


def _fairlearn(frame: Any) -> float:
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    metrics = {
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "count": count,
    }
    began = time.perf_counter()
    for features in (["age_band"], ["race"], ["age_band", "race"]):
        frame_by = MetricFrame(
            metrics=metrics,
            y_true=frame["truth"],
            y_pred=frame["selected"],
            sensitive_features=frame[features],
        )
        frame_by.by_group  # noqa: B018 - computed lazily in some versions
        frame_by.ratio(method="between_groups")
    return time.perf_counter() - began


def measure_bias(
    backend: Backend, size: int, *, repetitions: int = 5, peer_repetitions: int = 3
) -> BiasResult:
    with fresh_ledger(backend) as bench:
        inventory = Inventory(bench.ledger, bench.store)
        register_credit_model(
            inventory, TENANT, SYSTEM, VERSION, [{"name": "amount", "type": "number"}]
        )
        decisions = Decisions(bench.ledger, bench.store, inventory)
        bias = Bias(bench.ledger, bench.store, decisions)
        progress(f"{backend.label}: loading {size:,} decisions for the bias run")
        began = time.perf_counter()
        load(bench.engine, size)
        load_seconds = time.perf_counter() - began
        config = BiasConfig(("age_band", "race"), good_outcomes=("good",))

        def one_run() -> tuple[float, dict[str, Any]]:
            started = time.perf_counter()
            document = bias.run(TENANT, SYSTEM, config, by="bench")
            return time.perf_counter() - started, document

        progress(f"{backend.label}: bias run over {size:,} decisions (first: builds the cache)")
        first, document = one_run()
        runs = [one_run()[0] for _ in range(repetitions)]
        tracemalloc.start()  # a run of its own: tracing slows Python down several times
        one_run()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        extra = max(1, size // 100)
        size_now = bench.ledger.latest_checkpoint(TENANT).size
        load(bench.engine, extra, offset=size, idx=size_now, day_offset=365)
        _more_outcomes(bench.engine, extra, size_now)
        incremental, _ = one_run()
        fairlearn: list[float] = []
        if peer_repetitions:
            progress(f"{backend.label}: fairlearn MetricFrame over {size:,} decisions")
            frame = _frame(bench.engine)
            fairlearn = [_fairlearn(frame) for _ in range(peer_repetitions)]
            del frame
        return BiasResult(
            backend,
            size,
            load_seconds,
            first,
            tuple(runs),
            incremental,
            tuple(fairlearn),
            peak,
            str(document["verdict"]),
        )


def speedup(result: BiasResult) -> float | None:
    if not result.fairlearn:
        return None
    return statistics.median(result.fairlearn) / result.run.median
