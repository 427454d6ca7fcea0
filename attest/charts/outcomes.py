"""The charts that need outcomes: KS and AUC by vintage (decision month), and calibration
(observed against predicted event rate per score band, with Wilson intervals and the diagonal).

Outcomes arrive months after decisions: a vintage or a band without them is drawn as not
measured, with the reason, and a run without vintages says there are none yet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from attest.charts.scales import (
    NOT_MEASURED,
    TITLES,
    categories,
    edges,
    empty,
    nice_top,
    rules,
    ticks,
)
from attest.charts.spec import (
    Axis,
    Chart,
    LegendEntry,
    Line,
    Mark,
    Note,
    Panel,
    Point,
    Shape,
    Table,
    Whisker,
)
from attest.charts.words import bin_label, fixed, interval, number, percent, plain, status_text

AUC_EDGES = (0.70, 0.60)
KS_EDGES = (0.30, 0.20)
NO_VINTAGES = (
    "No vintages yet: KS and AUC by decision month appear here as outcomes arrive and mature."
)


def _unit_axis(label: str) -> Axis:
    return Axis(label, 0.0, 1.0, ticks(0.0, 1.0, 0.2))


def vintage_chart(document: Mapping[str, Any]) -> Chart:
    vintages = [v for v in document.get("vintages") or [] if isinstance(v, Mapping)]
    headers = (
        "Vintage", "Decisions", "Labelled", "Matured", "Bad rate", "KS", "AUC",
        "AUC interval", "Status",
    )  # fmt: skip
    x_label = "Decision month (vintage), oldest first"
    months = [str(v.get("month", "")) for v in vintages]
    auc_edges = edges(next((v.get("auc") or {} for v in vintages), {}), AUC_EDGES)
    ks_edges = edges(next((v.get("ks") or {} for v in vintages), {}), KS_EDGES)
    auc_marks: list[Mark] = list(rules(auc_edges))
    ks_marks: list[Mark] = list(rules(ks_edges))
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
        series: tuple[tuple[float | None, Any, list[Mark], list[Any], str, Shape], ...] = (
            (value_auc, auc, auc_marks, auc_line, "AUC", "circle"),
            (value_ks, ks, ks_marks, ks_line, "KS", "square"),
        )
        for value, result, marks, line, metric, shape in series:
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
            marks.append(Point(i, value, shape, cls, title))
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
        nothing = empty("vintages", categories(x_label, []), panels, NO_VINTAGES, headers)
        return replace(nothing, summary=NO_VINTAGES)
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
        x=categories(x_label, months),
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
        axis = Axis(x_label, 0.0, 1.0, ticks(0.0, 1.0, 0.2, True))
        panel = Panel("calibration", Axis("Observed event rate", 0.0, 1.0, axis.ticks), (), 260)
        chart = empty("calibration", axis, (panel,), reason, headers)
        return replace(chart, width=560)
    largest = 0.0
    for band in bands:
        ci = band.get("observed_ci") or []
        high = number(ci[1]) if len(ci) == 2 else None
        largest = max(largest, number(band["predicted"]) or 0, number(band["observed"]) or 0)
        largest = max(largest, high or 0)
    top = min(1.0, nice_top(largest, 0.1, 0.1))
    step = 0.1 if top <= 0.5 else 0.2
    top = min(1.0, math.ceil(top / step - 1e-9) * step)
    scale = ticks(0.0, top, step, True)
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
        x=Axis(x_label, 0.0, top, scale),
        panels=(
            Panel(
                "calibration",
                Axis("Observed event rate", 0.0, top, scale),
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
