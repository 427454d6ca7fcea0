"""How well the score ranks one slice of decisions (a vintage, a segment): KS and AUC on its
labelled decisions, the bad rate, and the worse of the two statuses. A slice without labelled
decisions is ``not_measurable`` with the reason, never 0."""

from __future__ import annotations

from typing import Any

from attest.core.bins import BinCounts
from attest.core.drift import (
    AMBER,
    AUC_THRESHOLDS,
    GREEN,
    KS_THRESHOLDS,
    NOT_MEASURABLE,
    RED,
    Thresholds,
    auc,
    ks_discrimination,
)

_RANK = {GREEN: 0, AMBER: 1, RED: 2}


def ranking_power(
    counts: BinCounts,
    *,
    ks_thresholds: Thresholds = KS_THRESHOLDS,
    auc_thresholds: Thresholds = AUC_THRESHOLDS,
) -> dict[str, Any]:
    """``labelled``, ``bad_rate``, ``ks``, ``auc``, ``status`` (and ``reason`` when nothing could
    be judged)."""
    labelled = counts.total("labelled")
    ks = ks_discrimination(counts, thresholds=ks_thresholds)
    ranking = auc(counts, thresholds=auc_thresholds)
    judged = [s for s in (ks.status, ranking.status) if s in _RANK]
    result: dict[str, Any] = {
        "labelled": labelled,
        "bad_rate": counts.total("events") / labelled if labelled > 0 else None,
        "ks": ks.to_json(),
        "auc": ranking.to_json(),
    }
    if judged:
        result["status"] = max(judged, key=lambda s: _RANK[s])
    else:
        result["status"] = NOT_MEASURABLE
        result["reason"] = ranking.reason or ks.reason
    return result
