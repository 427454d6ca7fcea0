"""fairlearn's summary numbers over ``GroupCounts``: one value for a whole table.

``demographic_parity_difference``, ``equalized_odds_ratio`` and the rest, with fairlearn's
``method="between_groups" | "to_overall"`` and ``agg="worst_case" | "mean"``, equal to fairlearn
on the same rows (unweighted or with ``sample_weight``). They use every group with data, however
small: for evidence with intervals and the small-sample guard use ``fairness.disparity_table``.
"""

from __future__ import annotations

from typing import Literal

from attest.core.counts import GroupCounts, GroupKey
from attest.core.fairness import Metric, rate
from attest.errors import InvalidInput

Method = Literal["between_groups", "to_overall"]
Agg = Literal["worst_case", "mean"]


def by_group(counts: GroupCounts, metric: Metric) -> dict[GroupKey, float]:
    """The metric for every group whose denominator is not empty (fairlearn's ``by_group``)."""
    values = {}
    for key in counts.groups():
        value = rate(counts.cells[key], metric)
        if value is not None:
            values[key] = value
    return values


def difference(
    counts: GroupCounts, metric: Metric, *, method: Method = "between_groups"
) -> float | None:
    """Largest gap between groups, or from the overall value (fairlearn ``.difference``).

    None when no group has data for the metric (a period without decisions, or outcomes).
    """
    _method(method)
    values, overall = _values(counts, metric)
    if overall is None:
        return None
    if method == "between_groups":
        return max(values) - min(values)
    return max(abs(v - overall) for v in values)


def ratio(
    counts: GroupCounts, metric: Metric, *, method: Method = "between_groups"
) -> float | None:
    """Smallest ratio between groups, or to the overall value, as a number ≤ 1 (fairlearn
    ``.ratio``); None without data or when it would divide by zero."""
    _method(method)
    values, overall = _values(counts, metric)
    if overall is None:
        return None
    if method == "between_groups":
        return min(values) / max(values) if max(values) > 0 else None
    if overall <= 0:
        return None
    return min(min(v / overall, overall / v) if v > 0 else 0.0 for v in values)


def demographic_parity_difference(
    counts: GroupCounts, *, method: Method = "between_groups"
) -> float | None:
    """Statistical parity difference of selection rates (FAIR-DP)."""
    return difference(counts, "selection_rate", method=method)


def demographic_parity_ratio(
    counts: GroupCounts, *, method: Method = "between_groups"
) -> float | None:
    """Ratio of selection rates; ``between_groups`` is the lowest AIR against the highest group."""
    return ratio(counts, "selection_rate", method=method)


def equal_opportunity_difference(
    counts: GroupCounts, *, method: Method = "between_groups"
) -> float | None:
    """Largest true-positive-rate gap (FAIR-EO, Hardt, Price & Srebro 2016)."""
    return difference(counts, "true_positive_rate", method=method)


def equal_opportunity_ratio(
    counts: GroupCounts, *, method: Method = "between_groups"
) -> float | None:
    return ratio(counts, "true_positive_rate", method=method)


def equalized_odds_difference(
    counts: GroupCounts, *, method: Method = "between_groups", agg: Agg = "worst_case"
) -> float | None:
    """The larger (or mean) of the TPR and FPR gaps (FAIR-EOD); None without outcomes."""
    tpr = difference(counts, "true_positive_rate", method=method)
    fpr = difference(counts, "false_positive_rate", method=method)
    if tpr is None or fpr is None:
        return None
    return max(tpr, fpr) if _agg(agg) == "worst_case" else (tpr + fpr) / 2


def equalized_odds_ratio(
    counts: GroupCounts, *, method: Method = "between_groups", agg: Agg = "worst_case"
) -> float | None:
    """The smaller (or mean) of the TPR and FPR ratios."""
    tpr = ratio(counts, "true_positive_rate", method=method)
    fpr = ratio(counts, "false_positive_rate", method=method)
    if tpr is None or fpr is None:
        return None
    return min(tpr, fpr) if _agg(agg) == "worst_case" else (tpr + fpr) / 2


def _agg(agg: Agg) -> Agg:
    if agg not in ("worst_case", "mean"):
        raise InvalidInput("agg: expected worst_case or mean")
    return agg


def _method(method: Method) -> None:
    if method not in ("between_groups", "to_overall"):
        raise InvalidInput("method: expected between_groups or to_overall")


def _values(counts: GroupCounts, metric: Metric) -> tuple[list[float], float | None]:
    return list(by_group(counts, metric).values()), rate(counts.overall(), metric)
