"""The monitoring charts of a run, defined once from run documents for the page and the report.

- stability: the score's PSI and each feature's CSI over the last runs, one row each, with
  the amber and red band edges across every row;
- distribution: the period's share of decisions per score bin against the reference's;
- vintages: KS and AUC (with its interval) by decision month, when the run has vintages;
- calibration: observed against predicted event rate per score band, with Wilson intervals
  and the diagonal of perfect calibration.

Every value that could not be measured is drawn as such ("n/m", with the reason in its
title), never as 0; each chart carries its text alternative (a summary and a table).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from attest.charts.spec import (
    Axis,
    Bar,
    Chart,
    LegendEntry,
    Line,
    Mark,
    Note,
    Panel,
    Point,
    Rule,
    Table,
    Tick,
    Whisker,
)
from attest.charts.words import (
    bin_label,
    fixed,
    interval,
    number,
    percent,
    plain,
    status_text,
)

MAX_RUNS = 12
CSI_CAP = 0.5
ROW_HEIGHT = 36
STABILITY_EDGES = (0.10, 0.25)
AUC_EDGES = (0.70, 0.60)
KS_EDGES = (0.30, 0.20)
NOT_MEASURED = "n/m"
NO_VINTAGES = (
    "No vintages yet: KS and AUC by decision month appear here as outcomes arrive and mature."
)
TITLES = {
    "stability": "Stability over the runs: PSI of the score and CSI per feature",
    "distribution": "Score distribution: this period against the reference",
    "vintages": "KS and AUC by vintage (decision month)",
    "calibration": "Calibration: observed against predicted event rate by score band",
}


def run_charts(
    history: Sequence[tuple[str, Mapping[str, Any]]], document: Mapping[str, Any]
) -> tuple[Chart, ...]:
    """The four charts of ``document``; ``history`` is (label, document) of the runs up to and
    including it, oldest first."""
    charts = [distribution_chart(document), vintage_chart(document), calibration_chart(document)]
    stability = stability_chart(history)
    return tuple(([stability] if stability else []) + charts)


def _edges(result: Mapping[str, Any], default: tuple[float, float]) -> tuple[float, float]:
    found = result.get("thresholds") if isinstance(result, Mapping) else None
    if isinstance(found, Mapping):
        amber, red = number(found.get("amber")), number(found.get("red"))
        if amber is not None and red is not None:
            return amber, red
    return default


def _ticks(low: float, high: float, step: float, as_percent: bool = False) -> tuple[Tick, ...]:
    count = int(round((high - low) / step))
    values = [round(low + k * step, 10) for k in range(count + 1)]
    return tuple(Tick(v, f"{v:.0%}" if as_percent else f"{v:g}") for v in values)


def _nice_top(largest: float, step: float, floor: float) -> float:
    return max(floor, math.ceil(largest * 1.08 / step - 1e-9) * step)


def _categories(label: str, names: Sequence[str]) -> Axis:
    ticks = tuple(Tick(float(i), name) for i, name in enumerate(names))
    return Axis(label, -0.5, max(len(names), 1) - 0.5, ticks)


def _rules(edges: tuple[float, float]) -> tuple[Rule, Rule]:
    return (
        Rule(edges[0], "band amber", f"{edges[0]:.2f}"),
        Rule(edges[1], "band red", f"{edges[1]:.2f}"),
    )


# -- stability over the runs -----------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    name: str
    metric: str  # PSI or CSI
    cells: tuple[tuple[float | None, str, str], ...]  # value, status, reason: one per run
    edges: tuple[float, float]


def _row_edges(
    metric: str, results: Sequence[Any], documents: Sequence[Any]
) -> tuple[float, float]:
    """The band edges the newest run judged this row by (a plan may set its own)."""
    for result, document in zip(reversed(results), reversed(documents), strict=True):
        if isinstance(result, Mapping) and isinstance(result.get("thresholds"), Mapping):
            return _edges(result, STABILITY_EDGES)
        found = (document.get("thresholds") or {}).get(metric.lower())
        if isinstance(found, Mapping):
            return _edges({"thresholds": found}, STABILITY_EDGES)
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
        rows.append(_Row("score", "PSI", cells, _row_edges("PSI", results, documents)))
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
        rows.append(_Row(feature, "CSI", cells, _row_edges("CSI", results, documents)))
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
        x=_categories("Run, by the first day of its period (oldest first)", labels),
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
    rules = _rules(row.edges)
    marks: list[Mark] = list(rules if labelled else (replace(r, label="") for r in rules))
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


# -- the score's distribution against the reference ------------------------------------------


def _empty(
    key: str, x: Axis, panels: tuple[Panel, ...], reason: str, headers: tuple[str, ...]
) -> Chart:
    return Chart(
        key=key,
        title=TITLES[key],
        x=x,
        panels=panels,
        summary=f"Nothing to draw: {reason}",
        table=Table(headers, ()),
        empty=reason,
    )


def distribution_chart(document: Mapping[str, Any]) -> Chart:
    score = document.get("score") or {}
    psi = score.get("psi")
    headers = ("Score bin", "Reference", "This period", "Contribution to PSI")
    x_label = "Score bin (predicted event probability; higher is riskier)"
    bins = [
        b
        for b in (psi.get("bins") or [] if isinstance(psi, Mapping) else [])
        if b.get("label") != "missing"
        or (number(b.get("reference_share")) or 0) > 0
        or (number(b.get("current_share")) or 0) > 0
    ]
    if not bins:
        reason = str(score.get("reason") or "no score in the reference profile or the period")
        panel = Panel(
            "shares", Axis("Share of decisions", 0.0, 0.2, _ticks(0, 0.2, 0.05, True)), ()
        )
        return _empty("distribution", _categories(x_label, []), (panel,), reason, headers)
    assert isinstance(psi, Mapping)
    names = [bin_label(str(b.get("label", ""))) for b in bins]
    shares = [
        (number(b.get("reference_share")) or 0.0, number(b.get("current_share")) or 0.0)
        for b in bins
    ]
    top = _nice_top(max(max(pair) for pair in shares), 0.05, 0.05)
    step = 0.05 if top <= 0.3 else 0.1
    top = min(1.0, math.ceil(top / step - 1e-9) * step)
    marks: list[Mark] = []
    rows = []
    for i, (name, (reference, current), raw) in enumerate(zip(names, shares, bins, strict=True)):
        title = f"Score bin {name}: reference {reference:.1%}, this period {current:.1%}"
        marks.append(Bar(i - 0.19, 0.36, 0.0, reference, "reference", title))
        marks.append(Bar(i + 0.19, 0.36, 0.0, current, "period", title))
        rows.append((name, f"{reference:.1%}", f"{current:.1%}", fixed(raw.get("contribution"))))
    widest = max(range(len(shares)), key=lambda i: abs(shares[i][1] - shares[i][0]))
    status = str(psi.get("status") or "")
    summary = (
        f"The period's score distribution against the reference over {len(bins)} bins: "
        f"PSI {fixed(psi.get('value'))}, {status_text(status)}. The largest difference is in "
        f"bin {names[widest]}: reference {shares[widest][0]:.1%}, this period "
        f"{shares[widest][1]:.1%}."
    )
    if not number(psi.get("current_n")):
        summary = "The period has no decisions with a score to compare with the reference."
    return Chart(
        key="distribution",
        title=TITLES["distribution"],
        x=_categories(x_label, names),
        panels=(
            Panel(
                "shares",
                Axis("Share of decisions", 0.0, top, _ticks(0.0, top, step, True)),
                tuple(marks),
                label="Share of decisions",
            ),
        ),
        summary=summary,
        table=Table(headers, tuple(rows)),
        caption="Outlined bars are the reference profile, filled bars this period.",
        legend=(
            LegendEntry("reference profile", "reference", "bar"),
            LegendEntry("this period", "period", "bar"),
        ),
    )


# -- KS and AUC by vintage -------------------------------------------------------------------


def _unit_axis(label: str) -> Axis:
    return Axis(label, 0.0, 1.0, _ticks(0.0, 1.0, 0.2))


def vintage_chart(document: Mapping[str, Any]) -> Chart:
    vintages = [v for v in document.get("vintages") or [] if isinstance(v, Mapping)]
    headers = (
        "Vintage", "Decisions", "Labelled", "Matured", "Bad rate", "KS", "AUC",
        "AUC interval", "Status",
    )  # fmt: skip
    x_label = "Decision month (vintage), oldest first"
    months = [str(v.get("month", "")) for v in vintages]
    auc_edges = _edges(next((v.get("auc") or {} for v in vintages), {}), AUC_EDGES)
    ks_edges = _edges(next((v.get("ks") or {} for v in vintages), {}), KS_EDGES)
    auc_marks: list[Mark] = list(_rules(auc_edges))
    ks_marks: list[Mark] = list(_rules(ks_edges))
    rows = []
    measured: list[str] = []
    auc_line: list[tuple[float, float]] = []
    ks_line: list[tuple[float, float]] = []
    for i, vintage in enumerate(vintages):
        month = months[i]
        auc = vintage.get("auc") or {}
        ks = vintage.get("ks") or {}
        value_auc, value_ks = number(auc.get("auc")), number(ks.get("value"))
        context = (
            f"{plain(vintage.get('labelled'))} labelled of {plain(vintage.get('decisions'))} "
            f"decisions, {percent(vintage.get('maturity'), 0)} matured"
        )
        reason = auc.get("reason") or ks.get("reason") or vintage.get("reason") or ""
        for value, result, marks, line, metric, shape in (
            (value_auc, auc, auc_marks, auc_line, "AUC", "circle"),
            (value_ks, ks, ks_marks, ks_line, "KS", "square"),
        ):
            status = str(result.get("status") or vintage.get("status") or "")
            if value is None:
                why = result.get("reason") or reason
                title = f"{month}: {metric} not measurable{': ' + why if why else ''}; {context}"
                marks.append(Note(i, 0.0, NOT_MEASURED, "not-measured", title))
                _flush(line, marks, metric)
                continue
            extra = ""
            bounds: Any = auc.get("auc_ci")
            if metric == "AUC" and (ci := interval(bounds)):  # a pair of finite numbers
                extra = f" (95% CI {ci})"
                marks.append(Whisker(i, float(bounds[0]), float(bounds[1]), "ci series-auc"))
            title = f"{month}: {metric} {value:.3f}{extra}, {status_text(status, False)}; {context}"
            cls = f"series-{metric.lower()} level-{status or 'not_measurable'}"
            marks.append(Point(i, value, shape, cls, title))  # type: ignore[arg-type]
            line.append((float(i), value))
        if value_auc is not None or value_ks is not None:
            measured.append(month)
        rows.append(
            (
                month,
                plain(vintage.get("decisions")),
                plain(vintage.get("labelled")),
                percent(vintage.get("maturity"), 0),
                percent(vintage.get("bad_rate")),
                fixed(value_ks, 3),
                fixed(value_auc, 3),
                interval(auc.get("auc_ci")),
                status_text(vintage.get("status"), False)
                + (f" ({reason})" if reason and value_auc is None else ""),
            )
        )
    _flush(auc_line, auc_marks, "AUC")
    _flush(ks_line, ks_marks, "KS")
    panels = (
        Panel("auc", _unit_axis("AUC"), tuple(auc_marks), 160, "AUC with its 95% interval"),
        Panel("ks", _unit_axis("KS"), tuple(ks_marks), 120, "KS, events against non-events"),
    )
    if not vintages:
        empty = _empty("vintages", _categories(x_label, []), panels, NO_VINTAGES, headers)
        return replace(empty, summary=NO_VINTAGES)
    span = months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"
    summary = f"KS and AUC of {len(months)} decision months ({span}): "
    if measured:
        last = next(v for v in reversed(vintages) if str(v.get("month", "")) == measured[-1])
        summary += (
            f"{len(measured)} measurable. Latest measurable, {measured[-1]}: AUC "
            f"{fixed((last.get('auc') or {}).get('auc'), 3)} "
            f"({status_text((last.get('auc') or {}).get('status'), False)}), KS "
            f"{fixed((last.get('ks') or {}).get('value'), 3)} "
            f"({status_text((last.get('ks') or {}).get('status'), False)})."
        )
    else:
        summary += "none is measurable yet, their outcomes have not matured."
    return Chart(
        key="vintages",
        title=TITLES["vintages"],
        x=_categories(x_label, months),
        panels=panels,
        summary=summary,
        table=Table(headers, tuple(rows)),
        caption=(
            f"Dashed lines: amber and red edges (AUC {auc_edges[0]:.2f} and {auc_edges[1]:.2f}, "
            f"KS {ks_edges[0]:.2f} and {ks_edges[1]:.2f}). n/m: not measurable yet."
        ),
        legend=(
            LegendEntry("AUC", "series-auc", "circle"),
            LegendEntry("95% interval of the AUC", "ci series-auc", "line"),
            LegendEntry("KS", "series-ks", "square"),
        ),
    )


def _flush(line: list[tuple[float, float]], marks: list[Mark], metric: str) -> None:
    """End a run of consecutive measured vintages: join them with a line."""
    if len(line) > 1:
        marks.insert(2, Line(tuple(line), f"series-{metric.lower()} trend"))
    line.clear()


# -- calibration -----------------------------------------------------------------------------


def calibration_chart(document: Mapping[str, Any]) -> Chart:
    score = document.get("score") or {}
    result = score.get("calibration")
    headers = ("Score band", "Labelled", "Events", "Predicted", "Observed", "95% interval", "Flag")
    x_label = "Predicted event rate (mean score of the band)"
    bands = [
        b
        for b in ((result.get("bands") or []) if isinstance(result, Mapping) else [])
        if number(b.get("observed")) is not None and number(b.get("predicted")) is not None
    ]
    if not bands:
        reason = str(
            (result.get("reason") if isinstance(result, Mapping) else None)
            or score.get("reason")
            or "no score band has labelled decisions with a score"
        )
        axis = Axis(x_label, 0.0, 1.0, _ticks(0.0, 1.0, 0.2, True))
        panel = Panel("calibration", Axis("Observed event rate", 0.0, 1.0, axis.ticks), (), 260)
        chart = _empty("calibration", axis, (panel,), reason, headers)
        return replace(chart, width=560)
    largest = 0.0
    for band in bands:
        ci = band.get("observed_ci") or []
        high = number(ci[1]) if len(ci) == 2 else None
        largest = max(largest, number(band["predicted"]) or 0, number(band["observed"]) or 0)
        largest = max(largest, high or 0)
    top = min(1.0, _nice_top(largest, 0.1, 0.1))
    step = 0.1 if top <= 0.5 else 0.2
    top = min(1.0, math.ceil(top / step - 1e-9) * step)
    ticks = _ticks(0.0, top, step, True)
    marks: list[Mark] = [Line(((0.0, 0.0), (top, top)), "diagonal")]
    rows = []
    outside = []
    for band in bands:
        name = bin_label(str(band.get("label", "")))
        predicted, observed = float(band["predicted"]), float(band["observed"])
        ci = band.get("observed_ci")
        flagged = "outside_ci" in (band.get("flags") or [])
        words = interval(ci, 1, as_percent=True)
        if words:
            marks.append(Whisker(predicted, float(ci[0]), float(ci[1]), "ci"))
        title = (
            f"Band {name}: predicted {predicted:.1%}, observed {observed:.1%}"
            f"{f' (95% CI {words})' if words else ''}, {plain(band.get('n'))} labelled"
            f"{'; the prediction is outside the interval' if flagged else ''}"
        )
        if flagged:
            outside.append(name)
            marks.append(Point(predicted, observed, "diamond", "calibration outside", title, False))
        else:
            marks.append(Point(predicted, observed, "circle", "calibration inside", title))
        rows.append(
            (
                name,
                plain(band.get("n")),
                plain(band.get("events")),
                f"{predicted:.1%}",
                f"{observed:.1%}",
                words,
                "prediction outside the interval" if flagged else "",
            )
        )
    summary = f"Observed against predicted event rate in {len(bands)} score bands; " + (
        f"the prediction is outside the observed rate's 95% interval in {', '.join(outside)}."
        if outside
        else "every prediction is inside the observed rate's 95% interval."
    )
    return Chart(
        key="calibration",
        title=TITLES["calibration"],
        x=Axis(x_label, 0.0, top, ticks),
        panels=(
            Panel(
                "calibration",
                Axis("Observed event rate", 0.0, top, ticks),
                tuple(marks),
                260,
                "Observed event rate",
            ),
        ),
        summary=summary,
        table=Table(headers, tuple(rows)),
        caption=(
            "Points on the dashed diagonal are perfectly calibrated; the vertical lines are the "
            "observed rates' 95% Wilson intervals."
        ),
        legend=(
            LegendEntry("band, prediction inside the interval", "calibration inside", "circle"),
            LegendEntry(
                "band, prediction outside the interval", "calibration outside", "diamond", False
            ),
            LegendEntry("perfect calibration", "diagonal", "line"),
        ),
        width=560,
    )


__all__ = [
    "CSI_CAP",
    "MAX_RUNS",
    "NO_VINTAGES",
    "TITLES",
    "calibration_chart",
    "distribution_chart",
    "run_charts",
    "stability_chart",
    "vintage_chart",
]
