"""The monitoring chart definitions and their layout: marks follow the values, thresholds and the
diagonal sit where they should, and what could not be measured says so instead of reading 0."""

from __future__ import annotations

from typing import Any

import pytest

from attest.charts.layout import Group, Marker, Polyline, Rect, Scene, Segment, Text, layout
from attest.charts.monitoring import (
    CSI_CAP,
    NO_VINTAGES,
    TITLES,
    calibration_chart,
    distribution_chart,
    run_charts,
    stability_chart,
    vintage_chart,
)
from attest.charts.spec import Bar, Chart, Line, Note, Point, Rule, Whisker
from attest.charts.words import bin_label, period, status_text
from tests.charts.documents import run_document, vintages


def _csi(value: float | None, status: str = "green") -> dict[str, Any]:
    if value is None:
        return {"status": "not_measurable", "reason": "the period's counts have no such feature"}
    return {"csi": {"value": value}, "status": status}


def _doc(**features: dict[str, Any]) -> dict[str, Any]:
    return {"features": features, "score": {"psi": {"value": 0.05, "status": "green"}}}


def _items(scene: Scene) -> list[Any]:
    found: list[Any] = []

    def walk(items: Any) -> None:
        for item in items:
            if isinstance(item, Group):
                walk(item.items)
            else:
                found.append(item)

    walk(scene.items)
    return found


def _group(scene: Scene, name: str, value: str) -> Group:
    return next(i for i in scene.items if isinstance(i, Group) and (name, value) in i.data)


# -- stability ---------------------------------------------------------------------------------


def test_a_higher_csi_draws_a_taller_bar_capped_at_the_top_of_its_row() -> None:
    runs = [
        ("2026-07-01", _doc(amount=_csi(0.05), term=_csi(0.01))),
        ("2026-08-01", _doc(amount=_csi(0.18, "amber"), term=_csi(0.01))),
        ("2026-09-01", _doc(amount=_csi(0.9, "red"), term=_csi(0.01))),
    ]
    chart = stability_chart(runs)
    assert chart is not None and chart.title == TITLES["stability"]
    assert [p.key for p in chart.panels] == ["score-score", "feature-amount", "feature-term"]
    amount = chart.panels[1]
    bars = [m for m in amount.marks if isinstance(m, Bar)]
    assert [b.high for b in bars] == [0.05, 0.18, CSI_CAP]  # 0.9 is drawn at the cap
    assert [b.cls for b in bars] == ["cell status-green", "cell status-amber", "cell status-red"]
    assert "CSI 0.9000, significant shift (drawn at the 0.5 cap)" in bars[2].title
    rules = [m for m in amount.marks if isinstance(m, Rule)]
    assert [(r.y, r.cls) for r in rules] == [(0.10, "band amber"), (0.25, "band red")]

    scene = layout(chart)
    row = _group(scene, "feature", "amount")
    rects = [i for i in row.items if isinstance(i, Rect)]
    heights = [r.h for r in rects]
    assert heights == sorted(heights) and heights[0] > 0
    bottoms = {round(r.y + r.h, 2) for r in rects}
    assert len(bottoms) == 1  # one baseline
    xs = [r.x for r in rects]
    assert xs == sorted(xs)  # oldest run first
    lines = {i.cls: i.y1 for i in row.items if isinstance(i, Segment) and "band" in i.cls}
    assert lines["band red"] < lines["band amber"]  # 0.25 is above 0.10 (y grows down)
    assert rects[2].y < lines["band red"] < rects[1].y < lines["band amber"] < rects[0].y


def test_a_feature_not_measured_in_a_run_is_drawn_as_not_measured_not_as_zero() -> None:
    runs = [
        ("2026-07-01", _doc(amount=_csi(0.2, "amber"))),
        ("2026-08-01", _doc(amount=_csi(None))),
    ]
    chart = stability_chart(runs)
    assert chart is not None
    marks = chart.panels[1].marks
    notes = [m for m in marks if isinstance(m, Note)]
    assert len(notes) == 1 and notes[0].text == "n/m" and notes[0].x == 1
    assert "not measurable: the period's counts have no such feature" in notes[0].title
    assert chart.table.rows[1] == ("CSI of amount", "0.2000 (moderate shift)", "not measurable")
    assert "not measurable: amount (CSI \u2013)" in chart.summary
    assert stability_chart([]) is None


def test_the_stability_chart_keeps_the_last_twelve_runs() -> None:
    runs = [(f"run {i}", _doc(amount=_csi(i / 100))) for i in range(15)]
    chart = stability_chart(runs)
    assert chart is not None
    assert [t.text for t in chart.x.ticks] == [f"run {i}" for i in range(3, 15)]


def test_the_band_edges_are_those_the_run_was_judged_by() -> None:
    strict = {"amber": 0.2, "red": 0.4, "higher_is_worse": True}
    document = {
        "features": {"amount": {"csi": {"value": 0.3, "thresholds": strict}, "status": "amber"}},
        "score": {"psi": {"value": 0.05, "status": "green"}},
        "thresholds": {"psi": {"amber": 0.05, "red": 0.15}},
    }
    chart = stability_chart([("2026-09-01", document)])
    assert chart is not None
    psi, amount = chart.panels
    assert [r.y for r in psi.marks if isinstance(r, Rule)] == [0.05, 0.15]
    assert [(r.y, r.label) for r in amount.marks if isinstance(r, Rule)] == [
        (0.2, "0.20"),
        (0.4, "0.40"),
    ]
    assert amount.y.high == 0.8  # room above a red edge of 0.4
    assert "each row's band edges" in chart.caption and "capped at 0.8" in chart.caption


# -- the score's distribution ------------------------------------------------------------------


def test_the_distribution_has_a_reference_and_a_period_bar_per_bin_at_their_shares() -> None:
    document = run_document(3, shift=0.4)
    chart = distribution_chart(document)
    bins = document["score"]["psi"]["bins"]
    shown = [b for b in bins if b["label"] != "missing"]
    bars = [m for m in chart.panels[0].marks if isinstance(m, Bar)]
    assert len(bars) == 2 * len(shown) and len(chart.table.rows) == len(shown)
    for i, b in enumerate(shown):
        reference, current = bars[2 * i], bars[2 * i + 1]
        assert (reference.cls, current.cls) == ("reference", "period")
        assert reference.high == b["reference_share"] and current.high == b["current_share"]
        assert reference.x < i < current.x
    assert chart.panels[0].y.high >= max(b.high for b in bars)
    scene = layout(chart)
    rects = {r.title: r for r in _items(scene) if isinstance(r, Rect) and r.cls == "period"}
    ordered = sorted(shown, key=lambda b: b["current_share"])
    heights = [
        next(r.h for t, r in rects.items() if t.startswith(f"Score bin {bin_label(b['label'])}:"))
        for b in ordered
    ]
    assert heights == sorted(heights)  # a larger share, a taller bar
    psi = document["score"]["psi"]
    assert f"PSI {psi['value']:.4f}, {status_text(psi['status'])}" in chart.summary
    assert [e.text for e in chart.legend] == ["reference profile", "this period"]


def test_without_a_score_the_distribution_says_why() -> None:
    chart = distribution_chart({"score": {"status": "not_measurable", "reason": "no score counts"}})
    assert chart.empty == "no score counts" and not chart.table.rows
    scene = layout(chart)
    assert any(isinstance(t, Text) and t.cls == "empty" for t in _items(scene))


# -- vintages ----------------------------------------------------------------------------------


def test_ks_and_auc_by_vintage_follow_the_values_with_the_auc_interval() -> None:
    chart = vintage_chart({"vintages": vintages()})
    assert chart.empty is None and [p.key for p in chart.panels] == ["auc", "ks"]
    assert [t.text for t in chart.x.ticks] == ["2026-07", "2026-08", "2026-09"]
    auc, ks = chart.panels
    points = [m for m in auc.marks if isinstance(m, Point)]
    assert [(p.x, p.y) for p in points] == [(0, 0.78), (1, 0.64)]
    assert "2026-08: AUC 0.640 (95% CI 0.580 to 0.700), amber" in points[1].title
    whiskers = [m for m in auc.marks if isinstance(m, Whisker)]
    assert [(w.low, w.high) for w in whiskers] == [(0.73, 0.83), (0.58, 0.70)]
    assert [m.points for m in auc.marks if isinstance(m, Line)] == [((0, 0.78), (1, 0.64))]
    notes = [m for m in ks.marks if isinstance(m, Note)]
    assert [(n.x, n.text) for n in notes] == [(2, "n/m")]
    assert "KS not measurable: too few outcomes" in notes[0].title
    assert [(r.y, r.cls) for r in auc.marks if isinstance(r, Rule)] == [
        (0.70, "band amber"),
        (0.60, "band red"),
    ]
    scene = layout(chart)
    markers = [m for m in _items(scene) if isinstance(m, Marker) and m.cls.startswith("series-auc")]
    assert markers[0].y < markers[1].y  # the higher AUC is drawn higher
    assert chart.table.rows[2][-1] == "not measurable (too few outcomes)"
    assert "2 measurable. Latest measurable, 2026-08" in chart.summary


@pytest.mark.parametrize("document", [{}, {"vintages": []}])
def test_a_run_without_vintages_says_there_are_none_yet(document: dict[str, Any]) -> None:
    chart = vintage_chart(document)
    assert chart.empty == NO_VINTAGES and chart.summary == NO_VINTAGES
    assert chart.title == TITLES["vintages"] and chart.x.label.startswith("Decision month")
    texts = " ".join(t.text for t in _items(layout(chart)) if isinstance(t, Text))
    assert "No vintages yet" in texts and "AUC with its 95% interval" in texts


# -- calibration -------------------------------------------------------------------------------


def test_calibration_points_sit_at_predicted_and_observed_rates_beside_the_diagonal() -> None:
    document = run_document(3, shift=0.4)
    chart = calibration_chart(document)
    bands = [b for b in document["score"]["calibration"]["bands"] if b["observed"] is not None]
    panel = chart.panels[0]
    diagonal = [m for m in panel.marks if isinstance(m, Line)]
    top = panel.y.high
    assert diagonal == [Line(((0.0, 0.0), (top, top)), "diagonal")]
    assert chart.x.high == top and 0 < top <= 1
    points = [m for m in panel.marks if isinstance(m, Point)]
    assert [(p.x, p.y) for p in points] == [(b["predicted"], b["observed"]) for b in bands]
    whiskers = [m for m in panel.marks if isinstance(m, Whisker)]
    assert [(w.low, w.high) for w in whiskers] == [tuple(b["observed_ci"]) for b in bands]

    scene = layout(chart)
    (line,) = [i for i in _items(scene) if isinstance(i, Polyline) and i.cls == "diagonal"]
    (start, end) = line.points
    assert start[0] < end[0] and start[1] > end[1]  # from bottom left to top right
    frame_axis = [i for i in _items(scene) if isinstance(i, Segment) and i.cls == "axis baseline"]
    assert start == (frame_axis[0].x1, frame_axis[0].y1)


def test_a_band_whose_prediction_is_outside_its_interval_is_a_hollow_diamond() -> None:
    document = {
        "score": {
            "calibration": {
                "bands": [
                    {"label": "[0.1, 0.2)", "n": 100, "events": 30, "predicted": 0.15,
                     "observed": 0.30, "observed_ci": [0.22, 0.40], "flags": ["outside_ci"]},
                    {"label": "[0.2, 0.3)", "n": 100, "events": 24, "predicted": 0.25,
                     "observed": 0.24, "observed_ci": [0.17, 0.33], "flags": []},
                ]
            }
        }
    }  # fmt: skip
    chart = calibration_chart(document)
    points = [m for m in chart.panels[0].marks if isinstance(m, Point)]
    assert [(p.shape, p.filled) for p in points] == [("diamond", False), ("circle", True)]
    assert "outside the interval" in points[0].title
    assert "0.1\u20130.2" in chart.summary
    assert chart.table.rows[0][-1] == "prediction outside the interval"


def test_calibration_without_outcomes_is_not_measurable_with_the_reason() -> None:
    chart = calibration_chart(run_document(4, outcomes=False))
    assert chart.empty and "no outcomes are known" in chart.empty
    assert chart.summary.startswith("Nothing to draw: ")
    assert not [m for m in chart.panels[0].marks if isinstance(m, Point)]


# -- all four, and the words ---------------------------------------------------------------------


def test_every_chart_of_a_run_has_a_title_axis_labels_and_a_text_alternative() -> None:
    first, second = run_document(2), run_document(3, shift=0.4) | {"vintages": vintages()}
    charts = run_charts([("2026-08-01", first), ("2026-09-01", second)], second)
    assert [c.key for c in charts] == ["stability", "distribution", "vintages", "calibration"]
    for chart in charts:
        assert isinstance(chart, Chart) and chart.title and chart.summary and chart.x.label
        assert all(p.y.label for p in chart.panels) and chart.table.headers
        texts = {t.text for t in _items(layout(chart)) if isinstance(t, Text)}
        assert chart.x.label in texts
        small = layout(chart, font=7.5, scale=0.65)
        assert small.width == pytest.approx(chart.width * 0.65, abs=0.01)


@pytest.mark.parametrize(
    ("label", "short"),
    [
        ("(-inf, 0.08736070367542359)", "< 0.0874"),
        ("[0.1, 0.25)", "0.1\u20130.25"),
        ("[0.4361, +inf)", "\u2265 0.436"),
        ("(-inf, +inf)", "all"),
        ("missing", "missing"),
        ("a category with a rather long name", "a category with a\u2026"),
    ],
)
def test_bin_labels_are_short(label: str, short: str) -> None:
    assert bin_label(label) == short


def test_periods_read_as_whole_days() -> None:
    assert period("2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z") == "2026-09-01 to 2026-09-30"
    assert period(None, None) == "all decisions"
