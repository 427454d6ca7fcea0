"""The monitoring page's view of runs: the latest run's tables, CSI over time, the alerts.

The CSI chart is one row per feature and one column per run (oldest first): each cell is a bar
whose height is the CSI (capped at ``CSI_CAP``), with the 0.10 and 0.25 band edges drawn across
the row, and the status written in the cell's title and class, so nothing relies on colour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_CHART_RUNS = 12
CSI_CAP = 0.5
ROW = 30
BAR_AREA = 24
LABEL_WIDTH = 170
COLUMN = 44
STATUS_TEXT = {
    "green": "stable",
    "amber": "moderate shift",
    "red": "significant shift",
    "not_measurable": "not measurable",
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def fixed(value: Any, places: int = 4) -> str:
    number = _number(value)
    return "–" if number is None else f"{number:.{places}f}"


def percent(rate: Any) -> str:
    number = _number((rate or {}).get("value") if isinstance(rate, Mapping) else rate)
    return "–" if number is None else f"{number:.1%}"


def feature_rows(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, result in (document.get("features") or {}).items():
        csi = result.get("csi") or {}
        quality = result.get("data_quality") or {}
        rows.append(
            {
                "name": name,
                "csi": fixed(csi.get("value")),
                "status": result.get("status", "not_measurable"),
                "reason": result.get("reason") or csi.get("reason"),
                "missing": percent(quality.get("missing_rate")),
                "out_of_range": percent(quality.get("out_of_range_rate")),
                "unseen": percent(csi.get("unseen_share")),
                "no_reference": [b["label"] for b in csi.get("no_reference_bins") or []],
            }
        )
    return rows


def score_rows(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    score = document.get("score") or {}
    if "psi" not in score:
        return []
    auc = score.get("auc") or {}
    ci = auc.get("auc_ci")
    interval = (
        f"{fixed(ci[0], 3)} to {fixed(ci[1], 3)}" if isinstance(ci, list | tuple) and ci else ""
    )
    hl = score.get("hosmer_lemeshow") or {}
    brier = score.get("brier") or {}
    return [
        _metric("PSI of the score", score["psi"], fixed(score["psi"].get("value"))),
        _metric(
            "KS, events against non-events",
            score.get("ks_discrimination") or {},
            fixed((score.get("ks_discrimination") or {}).get("value")),
        ),
        _metric("AUC", auc, fixed(auc.get("auc"), 3), interval),
        _metric("Hosmer–Lemeshow p-value", hl, fixed(hl.get("p_value"), 3)),
        _metric("Brier score", brier, fixed(brier.get("value"))),
    ]


def _metric(name: str, result: Mapping[str, Any], value: str, extra: str = "") -> dict[str, Any]:
    status = result.get("status") or ("not_measurable" if value == "–" else "")
    return {
        "name": name,
        "value": value,
        "interval": extra,
        "status": status,
        "reason": result.get("reason"),
    }


@dataclass(frozen=True)
class Cell:
    x: float
    y: float
    height: float
    status: str
    title: str


@dataclass(frozen=True)
class FeatureRow:
    feature: str
    y: float
    cells: tuple[Cell, ...]
    amber_y: float
    red_y: float


@dataclass(frozen=True)
class CsiChart:
    rows: tuple[FeatureRow, ...]
    columns: tuple[tuple[float, str], ...]  # x and the run's label
    width: int
    height: int
    label_width: int = LABEL_WIDTH


def _bar_y(top: float, value: float) -> float:
    return top + BAR_AREA * (1 - min(value, CSI_CAP) / CSI_CAP)


def csi_chart(runs: Sequence[tuple[str, Mapping[str, Any]]]) -> CsiChart | None:
    """``runs``: (label, document), oldest first."""
    if not runs:
        return None
    features: list[str] = []
    for _label, document in runs:
        for name in document.get("features") or {}:
            if name not in features:
                features.append(name)
    rows = []
    for number, feature in enumerate(features):
        top = 20 + number * ROW
        cells = []
        for column, (label, document) in enumerate(runs):
            result = (document.get("features") or {}).get(feature) or {}
            value = _number((result.get("csi") or {}).get("value"))
            status = str(result.get("status", "not_measurable"))
            x = LABEL_WIDTH + column * COLUMN + 8
            bar_top = _bar_y(top, value) if value is not None else top + BAR_AREA
            title = (
                f"{feature}, {label}: CSI {value:.4f}, {STATUS_TEXT.get(status, status)}"
                if value is not None
                else f"{feature}, {label}: not measurable"
            )
            cells.append(Cell(x, bar_top, top + BAR_AREA - bar_top, status, title))
        rows.append(FeatureRow(feature, top, tuple(cells), _bar_y(top, 0.10), _bar_y(top, 0.25)))
    columns = tuple(
        (LABEL_WIDTH + i * COLUMN + 8 + 14, label) for i, (label, _d) in enumerate(runs)
    )
    width = LABEL_WIDTH + len(runs) * COLUMN + 16
    return CsiChart(tuple(rows), columns, width, 20 + len(features) * ROW + 24)
