"""Ongoing-monitoring metrics over ``BinCounts``: discrimination (KS, AUC / Gini), data quality
and decision rates, each with a green / amber / red status (catalogue §7), and the status bands
every monitoring metric is judged by.

Stability (PSI / CSI) is in ``attest.core.stability``; calibration (Brier, Hosmer–Lemeshow,
observed vs predicted by band, rank ordering) in ``attest.core.calibration``. Every function reads
only per-bin sums, so a period counted in SQL, or merged from days and partitions, gives the same
result as counting its rows here.

A metric whose inputs are empty is never 0: its value is None, its status ``NOT_MEASURABLE`` and
``reason`` says why (no reference mass, no labelled rows, no events, no non-events...).

Orientation: ``events`` are the outcome the score predicts (bad, default). AUC is the probability
that an event row sits in a *higher* score bin than a non-event row (ties ½), i.e. a higher score
means a more likely event (a PD). For a score where higher means safer (P(good), a points
scorecard) pass ``higher_is_event=False``. KS does not depend on the orientation.

Over bins, AUC equals ``sklearn.metrics.roc_auc_score(y, bin_index)`` and both KS statistics equal
``scipy.stats.ks_2samp``'s on the bin indices of the two samples, exactly. Against the raw scores
the binning costs at most what pairs or mass inside one bin can change, and each result carries
that bound (``binning_error_bound``):

    |AUC_bins − AUC_raw|  ≤  ½ · Σ_k e_k·g_k / (E·G)        (only same-bin pairs are scored ½)
    0 ≤ KS_raw − KS_bins  ≤  max_k min(a_k/A, b_k/B)        (the CDFs move monotonically in a bin)

with ``e, g`` events and non-events per bin (totals ``E, G``), ``a, b`` the two samples' masses.

Status thresholds are ``Thresholds(amber, red, higher_is_worse)``. Higher is worse: green below
``amber``, amber from ``amber`` up to and including ``red``, red above ``red``; lower is worse is
the mirror image. This reads the catalogue's PSI bands literally: < 0.10 no significant shift,
0.10–0.25 moderate (investigate), > 0.25 significant (act). Defaults:

    PSI, CSI          amber 0.10, red 0.25                 catalogue MON-PSI / MON-CSI
    relative decline  amber 0.10, red 0.20 (higher worse)  catalogue MON-KS / MON-AUC: "alert on
    of KS or AUC      vs development                       > 10–20% relative decline"
    AUC               amber 0.70, red 0.60 (lower worse)   ours (the catalogue names no level):
                                                           0.7 is the usual "acceptable"
    KS                amber 0.30, red 0.20 (lower worse)   ours: a common scorecard rule of thumb
    HL p-value        amber 0.05, red 0.01 (lower worse)   catalogue MON-HL "p < 0.05"; 0.01 ours

Results for metrics without thresholds (two-sample KS, data quality, rates) carry ``status`` None
unless they are not measurable; ``status(value, thresholds)`` applies any policy's thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from attest.core.bins import CATEGORICAL, NUMERIC, BinCounts
from attest.core.counts import effective_size
from attest.core.fairness import interval_json
from attest.core.significance import Interval, wilson_interval, z_quantile
from attest.errors import InvalidInput

GREEN = "green"
AMBER = "amber"
RED = "red"
NOT_MEASURABLE = "not_measurable"


@dataclass(frozen=True)
class Thresholds:
    """Where amber and red start; ``higher_is_worse`` False for AUC, KS and p-values."""

    amber: float
    red: float
    higher_is_worse: bool = True

    def __post_init__(self) -> None:
        for name in ("amber", "red"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(f"thresholds.{name}: must be a number")
            if not math.isfinite(value):
                raise InvalidInput(f"thresholds.{name}: must be finite")
        if self.higher_is_worse and self.red < self.amber:
            raise InvalidInput("thresholds.red: must not be below amber when higher is worse")
        if not self.higher_is_worse and self.red > self.amber:
            raise InvalidInput("thresholds.red: must not be above amber when lower is worse")

    def to_json(self) -> dict[str, Any]:
        return {"amber": self.amber, "red": self.red, "higher_is_worse": self.higher_is_worse}


PSI_THRESHOLDS = Thresholds(0.10, 0.25)
CSI_THRESHOLDS = Thresholds(0.10, 0.25)
RELATIVE_DECLINE_THRESHOLDS = Thresholds(0.10, 0.20)
AUC_THRESHOLDS = Thresholds(0.70, 0.60, higher_is_worse=False)
KS_THRESHOLDS = Thresholds(0.30, 0.20, higher_is_worse=False)


def status(value: float | None, thresholds: Thresholds) -> str:
    """Green, amber or red for ``value``; ``NOT_MEASURABLE`` when there is no (finite) value."""
    if value is None or not math.isfinite(value):
        return NOT_MEASURABLE
    if thresholds.higher_is_worse:
        if value > thresholds.red:
            return RED
        return AMBER if value >= thresholds.amber else GREEN
    if value < thresholds.red:
        return RED
    return AMBER if value <= thresholds.amber else GREEN


def thresholds_to_json(thresholds: Thresholds | None) -> dict[str, Any] | None:
    return None if thresholds is None else thresholds.to_json()


def same_binning(reference: BinCounts, current: BinCounts) -> None:
    if reference.binning != current.binning:
        raise InvalidInput("current.binning: must be the reference's binning")


# --- discrimination: KS and AUC / Gini ------------------------------------------------------


@dataclass(frozen=True)
class KsResult:
    """A Kolmogorov–Smirnov statistic over ordered bins, between the two ``samples``.

    ``cutoff``: the bin edge where the gap is largest (rows below it vs at or above it), None
    when the statistic is 0 or not measurable.
    """

    metric: Literal["ks_discrimination", "ks_two_sample"]
    samples: tuple[str, str]
    value: float | None
    status: str | None
    reason: str | None
    cutoff: float | None
    first_n: float
    second_n: float
    binning_error_bound: float | None
    thresholds: Thresholds | None

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "samples": list(self.samples),
            "value": self.value,
            "status": self.status,
            "reason": self.reason,
            "cutoff": self.cutoff,
            f"{self.samples[0]}_n": self.first_n,
            f"{self.samples[1]}_n": self.second_n,
            "binning_error_bound": self.binning_error_bound,
            "thresholds": thresholds_to_json(self.thresholds),
        }


def ks_discrimination(counts: BinCounts, *, thresholds: Thresholds = KS_THRESHOLDS) -> KsResult:
    """``KS = max_s |F_event(s) − F_non_event(s)|`` over the bin edges (MON-KS), on the labelled
    rows of the ordered score bins (the missing bin is left out)."""
    ordered = _ordered_bins(counts, "counts")
    events = [counts.events[i] for i in ordered]
    non_events = [counts.non_events[i] for i in ordered]
    reason = _outcome_reason(counts, ordered)
    return _ks(
        "ks_discrimination",
        ("events", "non_events"),
        counts,
        events,
        non_events,
        reason,
        thresholds,
    )


def ks_two_sample(reference: BinCounts, current: BinCounts) -> KsResult:
    """``max_s |F_reference(s) − F_current(s)|`` of the score's distribution over the bin edges
    (every row of the ordered bins, outcome or not)."""
    same_binning(reference, current)
    ordered = _ordered_bins(reference, "reference")
    first = [reference.n[i] for i in ordered]
    second = [current.n[i] for i in ordered]
    reason = None
    if math.fsum(first) <= 0:
        reason = "no reference mass: the reference counts are empty"
    elif math.fsum(second) <= 0:
        reason = "no current rows in this period"
    return _ks("ks_two_sample", ("reference", "current"), reference, first, second, reason, None)


def _ks(
    metric: Literal["ks_discrimination", "ks_two_sample"],
    samples: tuple[str, str],
    counts: BinCounts,
    first: list[float],
    second: list[float],
    reason: str | None,
    thresholds: Thresholds | None,
) -> KsResult:
    total_a, total_b = math.fsum(first), math.fsum(second)
    if reason is not None:
        return KsResult(
            metric, samples, None, NOT_MEASURABLE, reason, None, total_a, total_b, None, thresholds
        )
    best, at = 0.0, None
    cum_a = cum_b = 0.0
    bound = 0.0
    for k, (a, b) in enumerate(zip(first, second, strict=True)):
        cum_a += a
        cum_b += b
        gap = abs(cum_a / total_a - cum_b / total_b)
        if gap > best:
            best, at = gap, k
        bound = max(bound, min(a / total_a, b / total_b))
    edges = counts.binning.edges
    cutoff = edges[at] if at is not None and at < len(edges) else None
    return KsResult(
        metric,
        samples,
        best,
        None if thresholds is None else status(best, thresholds),
        None,
        cutoff,
        total_a,
        total_b,
        bound,
        thresholds,
    )


@dataclass(frozen=True)
class AucResult:
    """AUC and Gini with Hanley–McNeil intervals (MON-AUC); see ``auc``."""

    auc: float | None
    auc_ci: Interval | None
    gini: float | None
    gini_ci: Interval | None
    standard_error: float | None
    confidence: float
    events: float
    non_events: float
    higher_is_event: bool
    binning_error_bound: float | None
    status: str
    reason: str | None
    thresholds: Thresholds

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": "auc",
            "auc": self.auc,
            "auc_ci": interval_json(self.auc_ci),
            "gini": self.gini,
            "gini_ci": interval_json(self.gini_ci),
            "standard_error": self.standard_error,
            "confidence": self.confidence,
            "events": self.events,
            "non_events": self.non_events,
            "higher_is_event": self.higher_is_event,
            "binning_error_bound": self.binning_error_bound,
            "status": self.status,
            "reason": self.reason,
            "thresholds": self.thresholds.to_json(),
        }


def auc(
    counts: BinCounts,
    *,
    higher_is_event: bool = True,
    confidence: float = 0.95,
    thresholds: Thresholds = AUC_THRESHOLDS,
) -> AucResult:
    """``AUC = Σ_k e_k·(G_<k + ½·g_k) / (E·G)`` over the ordered score bins, ``Gini = 2·AUC − 1``.

    ``G_<k`` is the non-event mass in bins less event-like than bin k. The interval is
    ``AUC ± z·SE`` with Hanley & McNeil's (1982, Radiology 143:29-36) standard error
    (``hanley_mcneil_se``), clipped to [0, 1]; Gini's is its image under ``2·x − 1``. With
    weights, the weighted totals stand in for the two sample sizes (right for frequency weights).
    """
    z = z_quantile(confidence)
    ordered = _ordered_bins(counts, "counts")
    if not higher_is_event:
        ordered = ordered[::-1]
    events = [counts.events[i] for i in ordered]
    non_events = [counts.non_events[i] for i in ordered]
    total_e, total_g = math.fsum(events), math.fsum(non_events)
    reason = _outcome_reason(counts, ordered)
    if reason is not None:
        return AucResult(
            None,
            None,
            None,
            None,
            None,
            confidence,
            total_e,
            total_g,
            higher_is_event,
            None,
            NOT_MEASURABLE,
            reason,
            thresholds,
        )
    below = 0.0
    pairs = []
    ties = []
    for e, g in zip(events, non_events, strict=True):
        pairs.append(e * (below + g / 2))
        ties.append(e * g)
        below += g
    denominator = total_e * total_g
    value = min(max(math.fsum(pairs) / denominator, 0.0), 1.0)
    se = hanley_mcneil_se(value, total_e, total_g)
    ci = (max(value - z * se, 0.0), min(value + z * se, 1.0))
    return AucResult(
        value,
        ci,
        2 * value - 1,
        (2 * ci[0] - 1, 2 * ci[1] - 1),
        se,
        confidence,
        total_e,
        total_g,
        higher_is_event,
        math.fsum(ties) / (2 * denominator),
        status(value, thresholds),
        None,
        thresholds,
    )


def hanley_mcneil_se(auc: float, events: float, non_events: float) -> float:
    """Hanley & McNeil (1982) standard error of an AUC:

    ``SE² = [A(1−A) + (n_e − 1)(Q1 − A²) + (n_n − 1)(Q2 − A²)] / (n_e·n_n)``,
    ``Q1 = A/(2 − A)``, ``Q2 = 2A²/(1 + A)``, with ``n_e`` events and ``n_n`` non-events.
    """
    if not 0 <= auc <= 1:
        raise InvalidInput("auc: must be in [0, 1]")
    if not events > 0 or not non_events > 0:
        raise InvalidInput("events: need at least some events and some non-events")
    a2 = auc * auc
    q1 = auc / (2 - auc)
    q2 = 2 * a2 / (1 + auc)
    variance = (auc * (1 - auc) + (events - 1) * (q1 - a2) + (non_events - 1) * (q2 - a2)) / (
        events * non_events
    )
    return math.sqrt(max(variance, 0.0))


def _ordered_bins(counts: BinCounts, where: str) -> list[int]:
    if counts.binning.kind != NUMERIC:
        raise InvalidInput(f"{where}.binning: needs an ordered (numeric) binning of the score")
    return list(range(counts.binning.value_bins))


def _outcome_reason(counts: BinCounts, bins: Sequence[int]) -> str | None:
    labelled = counts.total("labelled", bins)
    events = counts.total("events", bins)
    if labelled <= 0:
        return "no labelled rows: no outcomes are known for this period"
    if events <= 0:
        return "no events among the labelled rows"
    if labelled - events <= 0:
        return "no non-events among the labelled rows"
    return None


@dataclass(frozen=True)
class Decline:
    """A metric now against its development value (catalogue MON-KS / MON-AUC)."""

    metric: str
    current: float | None
    development: float | None
    relative_decline: float | None
    status: str
    reason: str | None
    thresholds: Thresholds

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "current": self.current,
            "development": self.development,
            "relative_decline": self.relative_decline,
            "status": self.status,
            "reason": self.reason,
            "thresholds": self.thresholds.to_json(),
        }


def relative_decline(
    metric: str,
    current: float | None,
    development: float | None,
    *,
    thresholds: Thresholds = RELATIVE_DECLINE_THRESHOLDS,
) -> Decline:
    """``(development − current) / development`` (an improvement is negative): the catalogue's
    relative-decline approach for KS and AUC / Gini. Not measurable without both values or
    when the development value is not positive."""
    reason = None
    if current is None or not math.isfinite(current):
        reason = f"no current {metric}"
    elif development is None or not math.isfinite(development):
        reason = f"no development {metric}"
    elif development <= 0:
        reason = f"the development {metric} is not positive"
    if reason is not None or current is None or development is None:
        return Decline(metric, current, development, None, NOT_MEASURABLE, reason, thresholds)
    value = (development - current) / development
    return Decline(metric, current, development, value, status(value, thresholds), None, thresholds)


# --- data quality and decision rates --------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """``count / total`` with a Wilson interval (on Kish's n_eff for weighted totals)."""

    name: str
    count: float
    total: float
    value: float | None
    ci: Interval | None
    confidence: float
    status: str | None
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.name,
            "count": self.count,
            "total": self.total,
            "value": self.value,
            "ci": interval_json(self.ci),
            "confidence": self.confidence,
            "status": self.status,
            "reason": self.reason,
        }


def rate(
    name: str,
    count: float,
    total: float,
    *,
    total_sq: float | None = None,
    confidence: float = 0.95,
    thresholds: Thresholds | None = None,
) -> Rate:
    """A simple rate; ``total_sq`` (Σw²) for weighted counts, unit weights when None.
    Not measurable when ``total`` is 0."""
    z_quantile(confidence)
    count = _nonnegative(count, f"{name}.count")
    total = _nonnegative(total, f"{name}.total")
    if count > total * (1 + 1e-9) + 1e-9:
        raise InvalidInput(f"{name}.count: must not exceed the total")
    if total <= 0:
        reason = f"no rows to compute the {name.replace('_', ' ')} over"
        return Rate(name, count, total, None, None, confidence, NOT_MEASURABLE, reason)
    n_eff = total if total_sq is None else effective_size(total, _nonnegative(total_sq, "total_sq"))
    value = min(count / total, 1.0)
    return Rate(
        name,
        count,
        total,
        value,
        wilson_interval(value, n_eff, confidence=confidence),
        confidence,
        None if thresholds is None else status(value, thresholds),
        None,
    )


def approval_rate(
    approved: float,
    decisions: float,
    *,
    decisions_sq: float | None = None,
    confidence: float = 0.95,
) -> Rate:
    """Share of decisions that approved."""
    return rate("approval_rate", approved, decisions, total_sq=decisions_sq, confidence=confidence)


def override_rate(
    overrides: float,
    decisions: float,
    *,
    decisions_sq: float | None = None,
    confidence: float = 0.95,
) -> Rate:
    """Share of model decisions a person overrode (MON-OVR); high- and low-side overrides are
    two calls with their own counts."""
    return rate("override_rate", overrides, decisions, total_sq=decisions_sq, confidence=confidence)


@dataclass(frozen=True)
class DataQuality:
    """Missing, out-of-range and unseen-category rates of one feature in one period (MON-DQ)."""

    feature: str | None
    n: float
    missing: Rate
    out_of_range: Rate | None
    unseen: Rate | None

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": "data_quality",
            "feature": self.feature,
            "n": self.n,
            "missing_rate": self.missing.to_json(),
            "out_of_range_rate": None if self.out_of_range is None else self.out_of_range.to_json(),
            "unseen_rate": None if self.unseen is None else self.unseen.to_json(),
        }


def data_quality(
    counts: BinCounts, *, feature: str | None = None, confidence: float = 0.95
) -> DataQuality:
    """Rates over every row of the period: missing (the ``MISSING`` bin), out of the reference
    range (numeric) and unseen categories (categorical)."""
    binning = counts.binning
    n = counts.total("n")
    n_sq = counts.total("n_sq")
    missing = rate(
        "missing_rate",
        counts.n[binning.missing_index],
        n,
        total_sq=n_sq,
        confidence=confidence,
    )
    out_of_range = None
    unseen = None
    if binning.kind == CATEGORICAL and binning.unseen_index is not None:
        unseen = rate(
            "unseen_rate", counts.n[binning.unseen_index], n, total_sq=n_sq, confidence=confidence
        )
    else:
        out_of_range = rate(
            "out_of_range_rate",
            counts.total("out_of_range"),
            n,
            total_sq=n_sq,
            confidence=confidence,
        )
    return DataQuality(feature, n, missing, out_of_range, unseen)


def _nonnegative(value: Any, where: str) -> float:
    if isinstance(value, str | bytes | bool) or not hasattr(value, "__float__"):
        raise InvalidInput(f"{where}: must be a number")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise InvalidInput(f"{where}: must be a finite number ≥ 0")
    return number


__all__ = [
    "AMBER",
    "AUC_THRESHOLDS",
    "CSI_THRESHOLDS",
    "GREEN",
    "KS_THRESHOLDS",
    "NOT_MEASURABLE",
    "PSI_THRESHOLDS",
    "RED",
    "RELATIVE_DECLINE_THRESHOLDS",
    "AucResult",
    "DataQuality",
    "Decline",
    "KsResult",
    "Rate",
    "Thresholds",
    "approval_rate",
    "auc",
    "data_quality",
    "hanley_mcneil_se",
    "ks_discrimination",
    "ks_two_sample",
    "override_rate",
    "rate",
    "relative_decline",
    "same_binning",
    "status",
    "thresholds_to_json",
]
