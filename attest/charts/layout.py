"""Where a chart's marks go: a scene of simple shapes, from the top left, for either renderer.

The geometry is computed here once, so the SVG of the page and the drawing of the PDF report
place every bar, point and label alike; a renderer only translates shapes (the PDF flips y).
Sizes are given at an 11-point font and scale with the font asked for; ``scale`` sets the
width. Text widths are estimated (0.6 of the font size per character), which is enough to
thin crowded axis labels and wrap a long message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from attest.charts.spec import (
    Axis,
    Bar,
    Chart,
    LegendEntry,
    Line,
    Note,
    Panel,
    Point,
    Rule,
    Shape,
    Whisker,
)

Anchor = Literal["start", "middle", "end"]
LEFT = 58
RIGHT = 36
TOP = 8
PANEL_LABEL = 18
GAP = 10
X_TICKS = 18
X_LABEL = 20
LEGEND_ROW = 18
MAX_BAR = 40
MARKER = 4.5
CAP = 3.5
CHAR = 0.6  # an average character's width, in font sizes


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    cls: str
    title: str = ""


@dataclass(frozen=True)
class Segment:
    x1: float
    y1: float
    x2: float
    y2: float
    cls: str


@dataclass(frozen=True)
class Polyline:
    points: tuple[tuple[float, float], ...]
    cls: str


@dataclass(frozen=True)
class Marker:
    shape: Shape
    x: float
    y: float
    r: float
    cls: str
    title: str = ""
    filled: bool = True


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    cls: str
    size: float
    anchor: Anchor = "start"
    title: str = ""


@dataclass(frozen=True)
class Group:
    cls: str
    data: tuple[tuple[str, str], ...]
    items: tuple[Item, ...]


Item = Rect | Segment | Polyline | Marker | Text | Group


@dataclass(frozen=True)
class Scene:
    chart: Chart
    width: float
    height: float
    font: float
    items: tuple[Item, ...]


def _r(value: float) -> float:
    return round(value, 2)


def text_width(text: str, size: float) -> float:
    return len(text) * CHAR * size


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` in lines of at most ``width`` (estimated), broken between words."""
    per_line = max(8, int(width / (CHAR * size)))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


class _Frame:
    """One panel's plot area and how values map into it."""

    def __init__(self, x: Axis, y: Axis, left: float, right: float, top: float, bottom: float):
        self.x, self.y = x, y
        self.left, self.right, self.top, self.bottom = left, right, top, bottom

    def px(self, value: float) -> float:
        span = (self.x.high - self.x.low) or 1.0
        return _r(self.left + (value - self.x.low) / span * (self.right - self.left))

    def py(self, value: float) -> float:
        span = (self.y.high - self.y.low) or 1.0
        clamped = min(max(value, self.y.low), self.y.high)
        return _r(self.bottom - (clamped - self.y.low) / span * (self.bottom - self.top))

    @property
    def unit(self) -> float:
        return (self.right - self.left) / ((self.x.high - self.x.low) or 1.0)


def layout(chart: Chart, *, font: float = 11.0, scale: float = 1.0) -> Scene:
    """Place ``chart`` on a canvas ``chart.width * scale`` wide, text at ``font`` points."""
    s = font / 11.0
    width = _r(chart.width * scale)
    rows = chart.style == "rows"
    if rows:
        longest = max((text_width(p.label, font) for p in chart.panels), default=0.0)
        left = _r(min(max(longest + 14 * s, 90 * s), width * 0.3))
    else:
        left = _r(LEFT * s)
    right = _r(width - RIGHT * s)
    items: list[Item] = []
    y = TOP * s
    frames = []
    for panel in chart.panels:
        if not rows:
            items.append(
                Text(left, _r(y + 12 * s), panel.label or panel.y.label, "panel-label", font)
            )
            y += PANEL_LABEL * s
        bottom = y + panel.height * s
        frame = _Frame(chart.x, panel.y, left, right, _r(y + (4 * s if rows else 0)), _r(bottom))
        frames.append(frame)
        drawn = _panel(panel, frame, font, s, rows)
        if rows:
            drawn = [
                Text(_r(4 * s), _r(y + 13 * s), panel.label, "row-label", font),
                Text(_r(4 * s), _r(y + 25 * s), panel.y.label, "row-axis", _r(0.8 * font)),
                *drawn,
            ]
        items.append(Group(panel.cls, panel.data, tuple(drawn)))
        y = bottom + (0 if rows else GAP * s)
    if chart.empty and frames:
        first = frames[0]
        lines = wrap(chart.empty, first.right - first.left - 20 * s, font)
        middle = (first.top + first.bottom) / 2 - (len(lines) - 1) * 8 * s
        centre = _r((first.left + first.right) / 2)
        for i, line in enumerate(lines):
            items.append(Text(centre, _r(middle + i * 16 * s), line, "empty", font, "middle"))
    last = frames[-1] if frames else _Frame(chart.x, chart.x, left, right, y, y)
    tick_size = _r(0.9 * font)
    items.extend(_x_ticks(chart.x, last, tick_size, s))
    y = last.bottom + X_TICKS * s
    items.append(
        Text(_r((left + right) / 2), _r(y + 12 * s), chart.x.label, "axis-label", font, "middle")
    )
    y += X_LABEL * s
    legend, y = _legend(chart.legend, left, right, y, font, s)
    if legend:
        items.append(Group("legend", (), tuple(legend)))
    return Scene(chart, width, _r(y + 4 * s), font, tuple(items))


def _panel(panel: Panel, frame: _Frame, font: float, s: float, rows: bool) -> list[Item]:
    items: list[Item] = []
    if not rows:
        for tick in panel.y.ticks:
            at = frame.py(tick.value)
            items.append(Segment(frame.left, at, frame.right, at, "grid"))
            items.append(
                Text(
                    _r(frame.left - 5 * s),
                    _r(at + 3.5 * s),
                    tick.text,
                    "tick",
                    _r(0.9 * font),
                    "end",
                )
            )
        items.append(Segment(frame.left, frame.top, frame.left, frame.bottom, "axis"))
    items.append(Segment(frame.left, frame.bottom, frame.right, frame.bottom, "axis baseline"))
    for mark in panel.marks:
        items.extend(_mark(mark, frame, font, s))
    return items


def _mark(
    mark: Bar | Point | Whisker | Line | Rule | Note, frame: _Frame, font: float, s: float
) -> list[Item]:
    if isinstance(mark, Bar):
        width = min(mark.width * frame.unit, MAX_BAR * s)
        top, bottom = sorted((frame.py(mark.low), frame.py(mark.high)))
        top = min(top, _r(bottom - s))  # a bar of 0 is still a visible line, to point at
        x = frame.px(mark.x) - width / 2
        return [Rect(_r(x), top, _r(width), _r(bottom - top), mark.cls, mark.title)]
    if isinstance(mark, Point):
        x, y = frame.px(mark.x), frame.py(mark.y)
        return [Marker(mark.shape, x, y, _r(MARKER * s), mark.cls, mark.title, mark.filled)]
    if isinstance(mark, Whisker):
        x, low, high = frame.px(mark.x), frame.py(mark.low), frame.py(mark.high)
        cap = CAP * s
        return [
            Segment(x, low, x, high, mark.cls),
            Segment(_r(x - cap), low, _r(x + cap), low, f"{mark.cls} cap"),
            Segment(_r(x - cap), high, _r(x + cap), high, f"{mark.cls} cap"),
        ]
    if isinstance(mark, Line):
        return [Polyline(tuple((frame.px(x), frame.py(y)) for x, y in mark.points), mark.cls)]
    if isinstance(mark, Rule):
        y = frame.py(mark.y)
        line = Segment(frame.left, y, frame.right, y, mark.cls)
        if not mark.label:
            return [line]
        size = _r(0.8 * font)
        label = Text(
            _r(frame.right + 3 * s), _r(y + 3 * s), mark.label, f"rule-label {mark.cls}", size
        )
        return [line, label]
    y = _r(frame.py(mark.y) - 3 * s)
    return [Text(frame.px(mark.x), y, mark.text, mark.cls, _r(0.8 * font), "middle", mark.title)]


def _x_ticks(axis: Axis, frame: _Frame, size: float, s: float) -> list[Item]:
    if not axis.ticks:
        return []
    places = [frame.px(t.value) for t in axis.ticks]
    gaps = [b - a for a, b in zip(places, places[1:], strict=False)]
    room = min(gaps) if gaps else frame.right - frame.left
    widest = max(text_width(t.text, size) for t in axis.ticks) + 6 * s
    every = max(1, math.ceil(widest / max(room, 1e-9)))
    items: list[Item] = []
    for i, (tick, x) in enumerate(zip(axis.ticks, places, strict=True)):
        items.append(Segment(x, frame.bottom, x, _r(frame.bottom + 3 * s), "axis tick-mark"))
        if i % every == 0:
            y = _r(frame.bottom + 14 * s)
            items.append(Text(x, y, tick.text, "tick x-tick", size, "middle"))
    return items


def _legend(
    entries: tuple[LegendEntry, ...], left: float, right: float, y: float, font: float, s: float
) -> tuple[list[Item], float]:
    if not entries:
        return [], y
    items: list[Item] = []
    x = left
    size = _r(0.9 * font)
    for entry in entries:
        needed = 16 * s + text_width(entry.text, size) + 18 * s
        if x > left and x + needed > right:
            x, y = left, y + LEGEND_ROW * s
        middle = _r(y + 8 * s)
        if entry.shape == "bar":
            items.append(Rect(_r(x), _r(middle - 5 * s), _r(12 * s), _r(10 * s), entry.cls))
        elif entry.shape == "line":
            items.append(Segment(_r(x), middle, _r(x + 12 * s), middle, entry.cls))
        else:
            r = _r(MARKER * s)
            items.append(Marker(entry.shape, _r(x + 6 * s), middle, r, entry.cls, "", entry.filled))
        items.append(Text(_r(x + 16 * s), _r(middle + 3.5 * s), entry.text, "legend", size))
        x += needed
    return items, y + LEGEND_ROW * s
