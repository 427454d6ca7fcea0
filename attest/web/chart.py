"""Charts drawn as inline SVG: an explanation's factors, and adverse impact ratios over time.

Geometry is computed here and drawn by a template, so every label is escaped by Jinja.

The factors chart: bars go right of a central axis for positive attributions and left for
negative ones, longest first; the signed value is printed beside each bar, so the chart does not
rely on colour.

The AIR chart: one column per bias run, oldest first; in each, one point per group at its
adverse impact ratio with a vertical line for the ratio's confidence interval, and a dashed line
at the four-fifths threshold. Groups differ by marker shape as well as colour; a group too small
to judge is drawn hollow and a flagged one with a heavy outline, so nothing relies on colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

WIDTH = 680
LABEL_WIDTH = 180
VALUE_WIDTH = 90
ROW_HEIGHT = 26
BAR_HEIGHT = 16
TOP = 8
MAX_BARS = 30
MAX_LABEL = 24


@dataclass(frozen=True)
class Bar:
    feature: str
    label: str
    value: float
    value_text: str
    positive: bool
    x: float
    width: float
    y: float
    text_y: float


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    width: int
    height: int
    axis_x: float
    label_x: float
    value_x: float
    omitted: int
    bar_height: int = BAR_HEIGHT


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def format_signed(value: float) -> str:
    text = f"{value:+.4g}" if abs(value) < 1e4 else f"{value:+.0f}"
    return text.replace("-", "\u2212")  # a real minus sign reads better than a hyphen


def attribution_chart(attributions: Any) -> Chart | None:
    """The chart of ``{feature: number}``, or None when there is nothing to draw."""
    if not isinstance(attributions, dict):
        return None
    values = [
        (str(name), number)
        for name, raw in attributions.items()
        if (number := _number(raw)) is not None
    ]
    if not values:
        return None
    values.sort(key=lambda item: (-abs(item[1]), item[0]))
    shown, omitted = values[:MAX_BARS], len(values) - MAX_BARS
    plot_left = LABEL_WIDTH + 10
    plot_right = WIDTH - VALUE_WIDTH - 10
    half = (plot_right - plot_left) / 2
    axis = plot_left + half
    largest = max(abs(v) for _, v in shown) or 1.0
    bars = []
    for row, (name, value) in enumerate(shown):
        length = abs(value) / largest * half
        if value != 0:
            length = max(length, 1.0)
        y = TOP + row * ROW_HEIGHT
        bars.append(
            Bar(
                feature=name,
                label=name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1] + "\u2026",
                value=value,
                value_text=format_signed(value),
                positive=value >= 0,
                x=round(axis if value >= 0 else axis - length, 2),
                width=round(length, 2),
                y=y,
                text_y=y + BAR_HEIGHT - 3,
            )
        )
    return Chart(
        bars=tuple(bars),
        width=WIDTH,
        height=TOP * 2 + len(bars) * ROW_HEIGHT,
        axis_x=round(axis, 2),
        label_x=LABEL_WIDTH,
        value_x=WIDTH - VALUE_WIDTH,
        omitted=max(omitted, 0),
    )


# -- adverse impact ratios over time -----------------------------------------------------------

AIR_WIDTH = 760
AIR_LEFT = 52
AIR_RIGHT = 12
AIR_TOP = 12
AIR_PLOT_HEIGHT = 240
AIR_AXIS_LABELS = 34  # below the plot: run dates
AIR_LEGEND_ROW = 20
AIR_LEGEND_ENTRY = 180
AIR_CEILING = 2.0  # ratios and interval ends above this are drawn at the top edge, marked
AIR_MARKER = 5.0
AIR_SERIES = 6  # colours (and shapes) before they repeat
MAX_AIR_GROUPS = 12


@dataclass(frozen=True)
class AirValue:
    """One group's ratio in one run, as the result document has it."""

    group: str
    ratio: float | None
    low: float | None
    high: float | None
    outcome: str  # pass / flag / too_small / no_data


@dataclass(frozen=True)
class AirColumn:
    run_id: str
    label: str
    values: tuple[AirValue, ...]


@dataclass(frozen=True)
class AirPoint:
    run_id: str
    group: str
    series: int
    shape: int
    outcome: str
    ratio: float
    low: float | None
    high: float | None
    x: float
    y: float
    y_low: float | None
    y_high: float | None
    clipped: bool
    marker: str  # SVG path data
    title: str


@dataclass(frozen=True)
class AirTick:
    value: float
    text: str
    y: float


@dataclass(frozen=True)
class AirLegend:
    group: str
    series: int
    marker: str
    x: float
    y: float
    text_x: float


@dataclass(frozen=True)
class AirChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    ticks: tuple[AirTick, ...]
    threshold: float
    threshold_y: float
    parity_y: float
    columns: tuple[tuple[str, str, float, bool], ...]  # run id, label, x, label shown
    label_y: float
    points: tuple[AirPoint, ...]
    legend: tuple[AirLegend, ...]
    omitted_groups: int


def marker_path(shape: int, x: float, y: float, r: float = AIR_MARKER) -> str:
    """A closed marker around (x, y): circle, square, diamond, triangles up and down, hexagon."""

    def path(*corners: tuple[float, float]) -> str:
        return "M" + " L".join(f"{x + dx:.2f},{y + dy:.2f}" for dx, dy in corners) + " Z"

    kind = shape % AIR_SERIES
    if kind == 0:
        return (
            f"M{x - r:.2f},{y:.2f} a{r:g},{r:g} 0 1,0 {2 * r:g},0 a{r:g},{r:g} 0 1,0 {-2 * r:g},0 Z"
        )
    if kind == 1:
        q = r * 0.9
        return path((-q, -q), (q, -q), (q, q), (-q, q))
    if kind == 2:
        q = r * 1.25
        return path((0, -q), (q, 0), (0, q), (-q, 0))
    if kind == 3:
        q = r * 1.2
        return path((0, -q), (q, q * 0.8), (-q, q * 0.8))
    if kind == 4:
        q = r * 1.2
        return path((0, q), (q, -q * 0.8), (-q, -q * 0.8))
    h = r * 1.1
    return path(*((h * math.cos(a), h * math.sin(a)) for a in (math.pi * k / 3 for k in range(6))))


def _ratio_text(value: float) -> str:
    return f"{value:.3f}"


def air_chart(
    columns: Sequence[AirColumn], *, threshold: float = 0.80, confidence: float = 0.95
) -> AirChart | None:
    """The chart of ``columns`` (oldest run first), or None when no run has a ratio to draw."""
    groups: list[str] = []
    for column in columns:
        for value in column.values:
            if value.ratio is not None and value.group not in groups:
                groups.append(value.group)
    if not groups:
        return None
    shown, omitted = groups[:MAX_AIR_GROUPS], max(len(groups) - MAX_AIR_GROUPS, 0)
    drawn = [
        v
        for c in columns
        for v in c.values
        if v.ratio is not None and v.group in shown and math.isfinite(v.ratio)
    ]
    highest = max(
        [threshold, 1.0]
        + [v.ratio for v in drawn if v.ratio is not None]
        + [v.high for v in drawn if v.high is not None and math.isfinite(v.high)]
    )
    top_value = min(AIR_CEILING, math.ceil(highest * 1.05 / 0.2 - 1e-9) * 0.2)
    top, bottom = float(AIR_TOP), float(AIR_TOP + AIR_PLOT_HEIGHT)
    left, right = float(AIR_LEFT), float(AIR_WIDTH - AIR_RIGHT)

    def y_of(value: float) -> tuple[float, bool]:
        clipped = value > top_value
        value = min(max(value, 0.0), top_value)
        return round(bottom - (bottom - top) * value / top_value, 2), clipped

    width = (right - left) / len(columns)
    every = max(1, math.ceil(84 / width))  # a date label needs about 84 pixels
    spread = min(width * 0.7, 16.0 * len(shown))
    level = round(confidence * 100)
    points = []
    placed = []
    for i, column in enumerate(columns):
        centre = left + width * (i + 0.5)
        placed.append((column.run_id, column.label, round(centre, 2), i % every == 0))
        for value in column.values:
            if value.ratio is None or value.group not in shown or not math.isfinite(value.ratio):
                continue
            series = shown.index(value.group)
            offset = 0.0 if len(shown) == 1 else spread * (series / (len(shown) - 1) - 0.5)
            x = round(centre + offset, 2)
            y, clipped = y_of(value.ratio)
            y_low = y_of(value.low)[0] if value.low is not None else None
            y_high = None
            if value.high is not None:
                y_high, high_clipped = y_of(value.high if math.isfinite(value.high) else 1e9)
                clipped = clipped or high_clipped
            interval = (
                f" ({level}% CI {_ratio_text(value.low)} to {_ratio_text(value.high)})"
                if value.low is not None and value.high is not None
                else ""
            )
            shape = series % AIR_SERIES + series // AIR_SERIES
            points.append(
                AirPoint(
                    run_id=column.run_id,
                    group=value.group,
                    series=series % AIR_SERIES,
                    shape=shape,
                    outcome=value.outcome,
                    ratio=value.ratio,
                    low=value.low,
                    high=value.high,
                    x=x,
                    y=y,
                    y_low=y_low,
                    y_high=y_high,
                    clipped=clipped,
                    marker=marker_path(shape, x, y),
                    title=(
                        f"{value.group}, run of {column.label}: AIR "
                        f"{_ratio_text(value.ratio)}{interval}, {value.outcome.replace('_', ' ')}"
                    ),
                )
            )
    step = 0.2 if top_value <= 1.4 else 0.4
    ticks = tuple(
        AirTick(round(k * step, 2), f"{k * step:.1f}", y_of(k * step)[0])
        for k in range(int(round(top_value / step)) + 1)
    )
    per_row = max(1, int((right - left) // AIR_LEGEND_ENTRY))
    legend_top = bottom + AIR_AXIS_LABELS + 8
    legend = []
    for series, group in enumerate(shown):
        row, place = divmod(series, per_row)
        x = left + place * AIR_LEGEND_ENTRY + AIR_MARKER
        y = legend_top + row * AIR_LEGEND_ROW
        shape = series % AIR_SERIES + series // AIR_SERIES
        legend.append(AirLegend(group, series % AIR_SERIES, marker_path(shape, x, y), x, y, x + 12))
    rows = math.ceil(len(shown) / per_row)
    return AirChart(
        width=AIR_WIDTH,
        height=int(legend_top + rows * AIR_LEGEND_ROW),
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        ticks=ticks,
        threshold=threshold,
        threshold_y=y_of(threshold)[0],
        parity_y=y_of(1.0)[0],
        columns=tuple(placed),
        label_y=bottom + 18,
        points=tuple(points),
        legend=tuple(legend),
        omitted_groups=omitted,
    )
