"""What the monitoring charts share: their titles, value axes and threshold rules.

A threshold's edges are read from the result that was judged by them (a monitoring plan may set
its own), falling back to the catalogue's defaults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from attest.charts.spec import Axis, Chart, Panel, Rule, Table, Tick
from attest.charts.words import number

NOT_MEASURED = "n/m"
TITLES = {
    "stability": "Stability over the runs: PSI of the score and CSI per feature",
    "distribution": "Score distribution: this period against the reference",
    "vintages": "KS and AUC by vintage (decision month)",
    "calibration": "Calibration: observed against predicted event rate by score band",
}


def edges(result: Mapping[str, Any], default: tuple[float, float]) -> tuple[float, float]:
    """The (amber, red) edges ``result`` was judged by, or ``default``."""
    found = result.get("thresholds") if isinstance(result, Mapping) else None
    if isinstance(found, Mapping):
        amber, red = number(found.get("amber")), number(found.get("red"))
        if amber is not None and red is not None:
            return amber, red
    return default


def ticks(low: float, high: float, step: float, as_percent: bool = False) -> tuple[Tick, ...]:
    count = int(round((high - low) / step))
    values = [round(low + k * step, 10) for k in range(count + 1)]
    return tuple(Tick(v, f"{v:.0%}" if as_percent else f"{v:g}") for v in values)


def nice_top(largest: float, step: float, floor: float) -> float:
    """The top of a value axis: a little above ``largest``, on a whole ``step``."""
    return max(floor, math.ceil(largest * 1.08 / step - 1e-9) * step)


def categories(label: str, names: Sequence[str]) -> Axis:
    """An axis of named places at 0, 1, 2, ... (runs, bins, months)."""
    ticks = tuple(Tick(float(i), name) for i, name in enumerate(names))
    return Axis(label, -0.5, max(len(names), 1) - 0.5, ticks)


def rules(edges: tuple[float, float]) -> tuple[Rule, Rule]:
    return (
        Rule(edges[0], "band amber", f"{edges[0]:.2f}"),
        Rule(edges[1], "band red", f"{edges[1]:.2f}"),
    )


def empty(
    key: str, x: Axis, panels: tuple[Panel, ...], reason: str, headers: tuple[str, ...]
) -> Chart:
    """A chart with nothing to draw: its axes, and why."""
    return Chart(
        key=key,
        title=TITLES[key],
        x=x,
        panels=panels,
        summary=f"Nothing to draw: {reason}",
        table=Table(headers, ()),
        empty=reason,
    )
