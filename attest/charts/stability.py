"""The stability chart: the score's PSI and each feature's CSI over the last runs, one row
each, a bar per run, with the amber and red band edges the run was judged by across every row.

A bar's height is its index (capped, the cap said in its title); a row's status is also its
bar's place against the band lines, its title and the data table, not only its colour.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from attest.charts.scales import NOT_MEASURED, TITLES, categories, edges, rules
from attest.charts.spec import Axis, Bar, Chart, Mark, Note, Panel, Table
from attest.charts.words import fixed, number, status_text

MAX_RUNS = 12
CSI_CAP = 0.5
ROW_HEIGHT = 36
STABILITY_EDGES = (0.10, 0.25)


@dataclass(frozen=True)
class _Row:
    name: str
    metric: str  # PSI or CSI
    cells: tuple[tuple[float | None, str, str], ...]  # value, status, reason: one per run
    edges: tuple[float, float]


def _rowedges(metric: str, results: Sequence[Any], documents: Sequence[Any]) -> tuple[float, float]:
    """The band edges the newest run judged this row by (a plan may set its own)."""
    for result, document in zip(reversed(results), reversed(documents), strict=True):
        if isinstance(result, Mapping) and isinstance(result.get("thresholds"), Mapping):
            return edges(result, STABILITY_EDGES)
        found = (document.get("thresholds") or {}).get(metric.lower())
        if isinstance(found, Mapping):
            return edges({"thresholds": found}, STABILITY_EDGES)
    return STABILITY_EDGES


def stability_chart(runs: Sequence[tuple[str, Mapping[str, Any]]]) -> Chart | None:
    """``runs``: (label, document), oldest first; the last ``MAX_RUNS`` are drawn."""
    runs = list(runs)[-MAX_RUNS:]
    if not runs:
        return None
    labels = [label for label, _ in runs]
    documents = [document for _, document in runs]
    features: list[str] = []
    for document in documents:
        for name in document.get("features") or {}:
            if name not in features:
                features.append(name)
    rows: list[_Row] = []
    if any(isinstance((d.get("score") or {}).get("psi"), Mapping) for d in documents):
        results = [(d.get("score") or {}).get("psi") or {} for d in documents]
        reasons = [(d.get("score") or {}).get("reason") for d in documents]
        cells = tuple(
            (number(r.get("value")), str(r.get("status", "")), r.get("reason") or why or "")
            for r, why in zip(results, reasons, strict=True)
        )
        rows.append(_Row("score", "PSI", cells, _rowedges("PSI", results, documents)))
    for feature in features:
        found = [(d.get("features") or {}).get(feature) or {} for d in documents]
        results = [f.get("csi") or {} for f in found]
        cells = tuple(
            (
                number(c.get("value")),
                str(f.get("status", "")),
                f.get("reason") or c.get("reason") or "",
            )
            for f, c in zip(found, results, strict=True)
        )
        rows.append(_Row(feature, "CSI", cells, _rowedges("CSI", results, documents)))
    cap = max([CSI_CAP] + [math.ceil(row.edges[1] * 20 - 1e-9) / 10 for row in rows])
    panels = tuple(
        _stability_row(row, labels, cap, score=row.metric == "PSI" and i == 0,
                       labelled=i == 0 or row.edges != rows[i - 1].edges)
        for i, row in enumerate(rows)
    )  # fmt: skip
    table = Table(
        ("Index", *labels),
        tuple(
            (f"{row.metric} of {row.name}", *(_cell_text(v, s) for v, s, _ in row.cells))
            for row in rows
        ),
    )
    edges = {row.edges for row in rows} or {STABILITY_EDGES}
    lines = (
        "the band edges {:.2f} and {:.2f}".format(*edges.pop())
        if len(edges) == 1
        else "each row's band edges (labelled where they change)"
    )
    return Chart(
        key="stability",
        title=TITLES["stability"],
        x=categories("Run, by the first day of its period (oldest first)", labels),
        panels=panels,
        summary=_stability_summary(labels, rows),
        table=table,
        caption=(
            f"Each bar is one run's index, capped at {cap:g}; the dashed lines across each row "
            f"are {lines}: a bar above the upper line is a significant shift."
        ),
        style="rows",
    )


def _cell_text(value: float | None, status: str) -> str:
    if value is None:
        return "not measurable"
    return f"{value:.4f} ({status_text(status)})"


def _stability_row(
    row: _Row, labels: Sequence[str], cap: float, *, score: bool, labelled: bool
) -> Panel:
    lines = rules(row.edges)
    marks: list[Mark] = list(lines if labelled else (replace(r, label="") for r in lines))
    for i, (value, status, reason) in enumerate(row.cells):
        if value is None:
            why = f": {reason}" if reason else ""
            title = f"{row.name}, {labels[i]}: not measurable{why}"
            marks.append(Bar(i, 0.6, 0.0, 0.0, "cell status-not_measurable", title))
            marks.append(Note(i, 0.0, NOT_MEASURED, "not-measured", title))
            continue
        capped = f" (drawn at the {cap:g} cap)" if value > cap else ""
        title = f"{row.name}, {labels[i]}: {row.metric} {value:.4f}, {status_text(status)}{capped}"
        shown = status if status in ("green", "amber", "red") else "not_measurable"
        marks.append(Bar(i, 0.6, 0.0, min(value, cap), f"cell status-{shown}", title))
    return Panel(
        key=f"{'score' if score else 'feature'}-{row.name}",
        y=Axis(f"{row.metric}, 0 to {cap:g}", 0.0, cap),
        marks=tuple(marks),
        height=ROW_HEIGHT,
        label=row.name,
        cls="score-row" if score else "feature-row",
        data=(("series", "score-psi"),) if score else (("feature", row.name),),
    )


def _stability_summary(labels: Sequence[str], rows: Sequence[_Row]) -> str:
    span = labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"
    runs = "1 run" if len(labels) == 1 else f"{len(labels)} runs"
    text = f"PSI of the score and CSI of each feature in {runs} ({span})."
    groups: dict[str, list[str]] = {}
    for row in rows:
        value, status, _ = row.cells[-1]
        key = status if value is not None else "not_measurable"
        groups.setdefault(key, []).append(f"{row.name} ({row.metric} {fixed(value)})")
    parts = [
        f"{status_text(key)}: {', '.join(groups[key])}"
        for key in ("red", "amber", "green", "not_measurable")
        if key in groups
    ]
    return f"{text} In the latest run, {'; '.join(parts)}." if parts else text
