"""A monitoring run's tables as rows of words: its features, its score metrics, its alerts.

The web page and the PDF report print these same rows, so they cannot say different things.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attest.charts.words import DASH, fixed, interval, moment, percent, status_text

METRIC_NAMES = {
    "csi": "CSI",
    "psi": "PSI",
    "ks_discrimination": "KS",
    "auc": "AUC",
    "hosmer_lemeshow": "Hosmer\u2013Lemeshow",
}


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
    hl = score.get("hosmer_lemeshow") or {}
    brier = score.get("brier") or {}
    ks = score.get("ks_discrimination") or {}
    return [
        _metric("PSI of the score", score["psi"], fixed(score["psi"].get("value")), drift=True),
        _metric("KS, events against non-events", ks, fixed(ks.get("value"))),
        _metric("AUC", auc, fixed(auc.get("auc"), 3), interval(auc.get("auc_ci"))),
        _metric("Hosmer\u2013Lemeshow p-value", hl, fixed(hl.get("p_value"), 3)),
        _metric("Brier score", brier, fixed(brier.get("value"))),
    ]


def _metric(
    name: str, result: Mapping[str, Any], value: str, extra: str = "", *, drift: bool = False
) -> dict[str, Any]:
    """``drift``: the status reads as a shift (stable, moderate, significant), else as a level."""
    status = result.get("status") or ("not_measurable" if value == DASH else "")
    return {
        "name": name,
        "drift": drift,
        "value": value,
        "interval": extra,
        "status": status,
        "reason": result.get("reason"),
    }


def alert_rows(alerts: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Each alert with what was done about it (or that it is still open), in words."""
    rows = []
    for alert in alerts:
        metric = METRIC_NAMES.get(str(alert.get("metric")), str(alert.get("metric")))
        where = alert.get("feature") or "the score"
        state = str(alert.get("state") or "open")
        if state == "open":
            done = "open: nothing recorded yet"
        else:
            reference = f" ({alert['reference']})" if alert.get("reference") else ""
            who = f"{alert.get('acted_by') or DASH}, {moment(alert.get('acted_at'))}"
            done = f"{state}{reference} by {who}: {alert.get('note') or ''}"
        rows.append(
            {
                "number": str(alert.get("number", "")),
                "metric": f"{metric} of {where}",
                "value": fixed(alert.get("value")),
                "status": status_text(alert.get("status"), alert.get("metric") in ("csi", "psi")),
                "state": state,
                "done": done.strip(),
            }
        )
    return rows
