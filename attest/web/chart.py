"""The factors chart: an explanation's attributions as signed horizontal bars, drawn as inline SVG.

Geometry is computed here and drawn by a template, so every label is escaped by Jinja. Bars go
right of a central axis for positive attributions and left for negative ones, longest first;
the signed value is printed beside each bar, so the chart does not rely on colour.
"""

from __future__ import annotations

import math
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
