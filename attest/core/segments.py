"""Segments: how the score performs within each group of a segment feature (catalogue §7, "by
segment"), such as loan purpose or channel.

A model can hold up overall and fail for one kind of applicant. For each bin of the segment feature
(its reference bins: categories as they are, numbers by reference deciles, plus unseen and missing)
the period's score counts give the share of decisions, the approval rate, the bad rate among the
labelled, KS and AUC. Segment statuses are reported, not raised as alerts: a small segment's AUC is
noisy, and its interval says how much, so a reviewer judges it beside the run's own alerts. A
segment without labelled outcomes is ``not_measurable`` with the reason, never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attest.core.bins import BinCounts, Binning
from attest.core.drift import (
    AMBER,
    AUC_THRESHOLDS,
    GREEN,
    KS_THRESHOLDS,
    RED,
    Thresholds,
    approval_rate,
)
from attest.core.ranking_power import ranking_power
from attest.errors import InvalidInput

_RANK = {GREEN: 0, AMBER: 1, RED: 2}


def counts_by_segment(
    rows: Iterable[Mapping[str, Any]], score_binning: Binning, segment_binning: Binning
) -> tuple[dict[int, BinCounts], dict[int, float]]:
    """Score bin rows that each carry ``segment`` (the segment feature's bin) split into the
    score counts of each segment, and each segment's favourable decisions (``selected``)."""
    grouped: dict[int, list[Mapping[str, Any]]] = {}
    for i, row in enumerate(rows):
        segment = row.get("segment")
        if isinstance(segment, bool) or not isinstance(segment, int):
            raise InvalidInput(f"rows[{i}].segment: must be a bin index")
        if not 0 <= segment < len(segment_binning.labels):
            raise InvalidInput(f"rows[{i}].segment: no bin {segment} in the segment's bins")
        grouped.setdefault(segment, []).append(row)
    counts = {
        segment: BinCounts.from_aggregates(found, binning=score_binning)
        for segment, found in grouped.items()
    }
    selected = {
        segment: sum(float(r.get("selected") or 0.0) for r in found)
        for segment, found in grouped.items()
    }
    return counts, selected


def segment_results(
    feature: str,
    segment_binning: Binning,
    counts: Mapping[int, BinCounts],
    selected: Mapping[int, float],
    *,
    ks_thresholds: Thresholds = KS_THRESHOLDS,
    auc_thresholds: Thresholds = AUC_THRESHOLDS,
) -> dict[str, Any]:
    """The segments of ``feature`` with decisions in the period, in the segment binning's order."""
    total = sum(c.total("n") for c in counts.values())
    rows = []
    for index, label in enumerate(segment_binning.labels):
        found = counts.get(index)
        if found is None or found.total("n") <= 0:
            continue
        rows.append(
            _segment(label, found, selected.get(index, 0.0), total, ks_thresholds, auc_thresholds)
        )
    return {"feature": feature, "decisions": total, "segments": rows}


def _segment(
    label: str,
    counts: BinCounts,
    approved: float,
    total: float,
    ks_thresholds: Thresholds,
    auc_thresholds: Thresholds,
) -> dict[str, Any]:
    decisions = counts.total("n")
    power = ranking_power(counts, ks_thresholds=ks_thresholds, auc_thresholds=auc_thresholds)
    result: dict[str, Any] = {
        "segment": label,
        "decisions": decisions,
        "share": decisions / total if total > 0 else None,
        "approval_rate": approval_rate(approved, decisions).to_json(),
    }
    return result | power
