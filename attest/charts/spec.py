"""A chart as values: what is drawn where, in data units, with its words.

Nothing here knows pixels or colours. A chart is one or more panels stacked over a shared x
axis; each mark names what it means with ``cls`` (``status-red``, ``band amber``, ``reference``)
and each renderer styles those names, so status is never carried by colour alone: it is also
in the mark's ``title``, its shape or its place against the threshold rules, and in the chart's
``table``, its text alternative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Shape = Literal["circle", "square", "diamond", "triangle"]
Style = Literal["plot", "rows"]


@dataclass(frozen=True)
class Tick:
    value: float
    text: str


@dataclass(frozen=True)
class Axis:
    """A linear axis from ``low`` to ``high``; categories sit at 0, 1, 2, ... as ticks."""

    label: str
    low: float
    high: float
    ticks: tuple[Tick, ...] = ()


@dataclass(frozen=True)
class Bar:
    """A bar centred on ``x``, ``width`` x units wide, from ``low`` up to ``high``."""

    x: float
    width: float
    low: float
    high: float
    cls: str
    title: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    shape: Shape
    cls: str
    title: str
    filled: bool = True


@dataclass(frozen=True)
class Whisker:
    """A vertical interval at ``x``: a confidence interval."""

    x: float
    low: float
    high: float
    cls: str


@dataclass(frozen=True)
class Line:
    points: tuple[tuple[float, float], ...]
    cls: str


@dataclass(frozen=True)
class Rule:
    """A horizontal line across the panel at ``y``: a threshold, labelled with its value."""

    y: float
    cls: str
    label: str


@dataclass(frozen=True)
class Note:
    """Words at a place of the panel: a value that could not be measured says so there."""

    x: float
    y: float
    text: str
    cls: str
    title: str = ""


Mark = Bar | Point | Whisker | Line | Rule | Note


@dataclass(frozen=True)
class Panel:
    """One plot area: its value axis, marks and how big it is (points at an 11-point font)."""

    key: str
    y: Axis
    marks: tuple[Mark, ...]
    height: int = 200
    label: str = ""  # rows: the row's name; plot: shown above the panel beside the axis label
    cls: str = "panel"
    data: tuple[tuple[str, str], ...] = ()  # attributes for the panel's group (data-*)


@dataclass(frozen=True)
class LegendEntry:
    text: str
    cls: str
    shape: Literal["bar", "line", "circle", "square", "diamond", "triangle"]
    filled: bool = True


@dataclass(frozen=True)
class Table:
    """The chart's values as rows: its text alternative."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    x: Axis
    panels: tuple[Panel, ...]
    summary: str  # one or two sentences: what the chart shows, for those who cannot see it
    table: Table
    caption: str = ""  # how to read it
    legend: tuple[LegendEntry, ...] = ()
    empty: str | None = None  # nothing to draw, and why
    style: Style = "plot"
    width: int = 760  # at an 11-point font; a renderer may ask for another width
