"""The monitoring charts of a run, defined once from run documents for the page and the report.

- stability: the score's PSI and each feature's CSI over the last runs, one row each, with
  the amber and red band edges across every row;
- distribution: the period's share of decisions per score bin against the reference's;
- vintages: KS and AUC (with its interval) by decision month, when the run has vintages;
- calibration: observed against predicted event rate per score band, with Wilson intervals
  and the diagonal of perfect calibration.

Every value that could not be measured is drawn as such ("n/m", with the reason in its
title), never as 0; each chart carries its text alternative (a summary and a table). The
stability chart is in ``stability``, the two that need outcomes in ``outcomes``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from attest.charts.outcomes import NO_VINTAGES, calibration_chart, vintage_chart
from attest.charts.scales import TITLES, categories, empty, nice_top, ticks
from attest.charts.spec import Axis, Bar, Chart, LegendEntry, Mark, Panel, Table
from attest.charts.stability import CSI_CAP, MAX_RUNS, stability_chart
from attest.charts.words import bin_label, fixed, number, status_text


def run_charts(
    history: Sequence[tuple[str, Mapping[str, Any]]], document: Mapping[str, Any]
) -> tuple[Chart, ...]:
    """The four charts of ``document``; ``history`` is (label, document) of the runs up to and
    including it, oldest first."""
    charts = [distribution_chart(document), vintage_chart(document), calibration_chart(document)]
    stability = stability_chart(history)
    return tuple(([stability] if stability else []) + charts)


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
        panel = Panel("shares", Axis("Share of decisions", 0.0, 0.2, ticks(0, 0.2, 0.05, True)), ())
        return empty("distribution", categories(x_label, []), (panel,), reason, headers)
    assert isinstance(psi, Mapping)
    names = [bin_label(str(b.get("label", ""))) for b in bins]
    shares = [
        (number(b.get("reference_share")) or 0.0, number(b.get("current_share")) or 0.0)
        for b in bins
    ]
    top = nice_top(max(max(pair) for pair in shares), 0.05, 0.05)
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
        x=categories(x_label, names),
        panels=(
            Panel(
                "shares",
                Axis("Share of decisions", 0.0, top, ticks(0.0, top, step, True)),
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
