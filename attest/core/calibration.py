"""Calibration over ``BinCounts``: Brier score (MON-BRIER), observed vs predicted event rate per
score band with Wilson intervals (MON-BIN), rank ordering (MON-RANK) and Hosmer–Lemeshow
(MON-HL), with the chi-square tail it needs written out in pure Python.

The score summed in the counts is the model's predicted probability of the event (bad, default);
the bands are the bins of the counts' binning. The sums and formulas are in ``attest.core.bins``.
A bin is used when its labelled rows have scores (``labelled_scored = labelled > 0``); a bin
whose labelled rows have no score at all (the score's own ``MISSING`` bin) is left out and
flagged ``no_scores``; a bin where only some have one cannot be calibrated and is refused.
No labelled rows means ``not_measurable``, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from attest.core.bins import NUMERIC, BinCounts
from attest.core.counts import effective_size
from attest.core.drift import NOT_MEASURABLE, Thresholds, status
from attest.core.fairness import interval_json
from attest.core.significance import Interval, wilson_interval, z_quantile
from attest.errors import InvalidInput

HL_P_THRESHOLDS = Thresholds(0.05, 0.01, higher_is_worse=False)
NO_DATA = "no_data"
NO_SCORES = "no_scores"
OUTSIDE_CI = "outside_ci"
NO_OUTCOMES = "no labelled rows with a score: no outcomes are known for this period"

_SLACK = 1e-9
# Incomplete gamma: stop when a term or a continued-fraction step changes the result by less than
# this relative amount (double precision); _TINY stands in for 0 in Lentz's method.
_EPS = 2.220446049250313e-16
_TINY = 1e-300
_MAX_ITERATIONS = 100_000


# --- the regularized incomplete gamma function and the chi-square tail ---------------------


def regularized_gamma_p(a: float, x: float) -> float:
    """``P(a, x) = γ(a, x) / Γ(a)``, the lower regularized incomplete gamma function."""
    _gamma_arguments(a, x)
    if x == 0:
        return 0.0
    if x < a + 1:
        return _gamma_series(a, x)
    return 1.0 - _gamma_continued_fraction(a, x)


def regularized_gamma_q(a: float, x: float) -> float:
    """``Q(a, x) = 1 − P(a, x) = Γ(a, x) / Γ(a)``, computed as Numerical Recipes' ``gammq``
    (Press et al., 3rd ed., §6.2): the series for P when ``x < a + 1``, where Q is not small,
    and otherwise the continued fraction for Q itself (modified Lentz), so that tiny tail
    probabilities keep their relative precision."""
    _gamma_arguments(a, x)
    if x == 0:
        return 1.0
    if x < a + 1:
        return 1.0 - _gamma_series(a, x)
    return _gamma_continued_fraction(a, x)


def chi_square_sf(statistic: float, df: float) -> float:
    """``P(χ²_df ≥ statistic) = Q(df/2, statistic/2)`` (scipy's ``chi2.sf``)."""
    if not df > 0 or not math.isfinite(df):
        raise InvalidInput("df: degrees of freedom must be positive")
    if math.isnan(statistic):
        raise InvalidInput("statistic: must be a number")
    if statistic <= 0:
        return 1.0
    if math.isinf(statistic):
        return 0.0
    return regularized_gamma_q(df / 2, statistic / 2)


def _gamma_arguments(a: float, x: float) -> None:
    if not a > 0 or not math.isfinite(a):
        raise InvalidInput("a: must be positive and finite")
    if not x >= 0 or not math.isfinite(x):
        raise InvalidInput("x: must be ≥ 0 and finite")


def _gamma_prefactor(a: float, x: float) -> float:
    return math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gamma_series(a: float, x: float) -> float:
    # P(a, x) = e^-x x^a / Γ(a) · Σ_n x^n / (a (a+1) ... (a+n)).
    term = total = 1.0 / a
    denominator = a
    for _ in range(_MAX_ITERATIONS):
        denominator += 1
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return min(total * _gamma_prefactor(a, x), 1.0)


def _gamma_continued_fraction(a: float, x: float) -> float:
    # Q(a, x) = e^-x x^a / Γ(a) · 1/(x+1-a- 1·(1-a)/(x+3-a- 2·(2-a)/(x+5-a- ...))).
    b = x + 1 - a
    c = 1 / _TINY
    d = 1 / b
    h = d
    for i in range(1, _MAX_ITERATIONS):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + an / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) <= _EPS:
            break
    return min(max(_gamma_prefactor(a, x) * h, 0.0), 1.0)


# --- Brier ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrierResult:
    """``BS = Σw(p − y)² / Σw`` over labelled rows with a score (lower is better)."""

    value: float | None
    n: float
    status: str | None
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": "brier",
            "value": self.value,
            "n": self.n,
            "status": self.status,
            "reason": self.reason,
        }


def brier_score(counts: BinCounts) -> BrierResult:
    """Exact from the sums whatever the binning:
    ``(Σ labelled_score_sq_sum − 2·Σ event_score_sum + Σ events) / Σ labelled``."""
    used = _calibrated_bins(counts)
    n = counts.total("labelled", used)
    if n <= 0:
        return BrierResult(None, n, NOT_MEASURABLE, NO_OUTCOMES)
    squares = counts.total("labelled_score_sq_sum", used)
    cross = counts.total("event_score_sum", used)
    events = counts.total("events", used)
    value = math.fsum((squares, -2 * cross, events)) / n
    return BrierResult(min(max(value, 0.0), 1.0), n, None, None)


# --- calibration bands and rank ordering ----------------------------------------------------


@dataclass(frozen=True)
class CalibrationBand:
    """Observed event rate against the mean predicted probability in one band.

    ``expected = n·predicted`` (the sum of predictions); ``gap = observed − predicted``. Flags:
    ``no_data``, ``no_scores``, ``outside_ci`` (the prediction is outside the observed rate's
    Wilson interval: catalogue MON-BIN's "outside the confidence interval").
    """

    label: str
    n: float
    n_eff: float
    events: float
    observed: float | None = None
    observed_ci: Interval | None = None
    predicted: float | None = None
    expected: float | None = None
    gap: float | None = None
    flags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "n": self.n,
            "n_eff": self.n_eff,
            "events": self.events,
            "observed": self.observed,
            "observed_ci": interval_json(self.observed_ci),
            "predicted": self.predicted,
            "expected": self.expected,
            "gap": self.gap,
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class RankOrder:
    """Rank ordering of the observed event rate across bands ordered by score (MON-RANK).

    Consecutive measured bands (``previous``, ``band``) are a *break* when the observed rate
    moves against the predicted rate (opposite signs of the two changes), and a *tie* when the
    observed rate does not move while the predicted one does. ``monotonic`` is True when there
    are no breaks (ties are listed for the reviewer but are not breaks).
    """

    monotonic: bool | None
    breaks: tuple[tuple[str, str], ...]
    ties: tuple[tuple[str, str], ...]
    bands: int
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": "rank_order",
            "monotonic": self.monotonic,
            "breaks": [{"previous": a, "band": b} for a, b in self.breaks],
            "break_count": len(self.breaks),
            "ties": [{"previous": a, "band": b} for a, b in self.ties],
            "bands": self.bands,
            "status": NOT_MEASURABLE if self.reason is not None else None,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CalibrationResult:
    """Every band, all bands together (calibration in the large) and the rank ordering."""

    overall: CalibrationBand
    bands: tuple[CalibrationBand, ...]
    rank_order: RankOrder
    confidence: float
    status: str | None
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": "calibration",
            "overall": self.overall.to_json(),
            "bands": [b.to_json() for b in self.bands],
            "rank_order": self.rank_order.to_json(),
            "confidence": self.confidence,
            "status": self.status,
            "reason": self.reason,
        }


def calibration(counts: BinCounts, *, confidence: float = 0.95) -> CalibrationResult:
    """Per band: ``observed = events / labelled`` with its Wilson interval (on Kish's n_eff),
    ``predicted = labelled_score_sum / labelled``; then the rank ordering of the ordered bands
    (numeric binnings, the ``MISSING`` bin left out)."""
    z_quantile(confidence)
    used = set(_calibrated_bins(counts))
    bands = tuple(
        _band(counts, [i], counts.binning.labels[i], i in used, confidence)
        for i in range(len(counts.binning.labels))
    )
    overall = _band(counts, sorted(used), "all", bool(used), confidence)
    if counts.binning.kind == NUMERIC:
        ordered = rank_order(bands[: counts.binning.value_bins])
    else:
        ordered = RankOrder(None, (), (), 0, "a categorical binning has no score order")
    reason = None if used else NO_OUTCOMES
    return CalibrationResult(
        overall, bands, ordered, confidence, NOT_MEASURABLE if reason else None, reason
    )


def rank_order(bands: Sequence[CalibrationBand]) -> RankOrder:
    """Breaks and ties between consecutive measured bands, in the order given (by score)."""
    measured = [b for b in bands if b.observed is not None and b.predicted is not None]
    if len(measured) < 2:
        return RankOrder(None, (), (), len(measured), "fewer than two bands with outcomes")
    breaks = []
    ties = []
    for before, after in zip(measured, measured[1:], strict=False):
        assert before.observed is not None and after.observed is not None
        assert before.predicted is not None and after.predicted is not None
        predicted = after.predicted - before.predicted
        observed = after.observed - before.observed
        if predicted == 0:
            continue
        if observed == 0:
            ties.append((before.label, after.label))
        elif (observed > 0) != (predicted > 0):
            breaks.append((before.label, after.label))
    return RankOrder(not breaks, tuple(breaks), tuple(ties), len(measured), None)


def _band(
    counts: BinCounts, bins: Sequence[int], label: str, used: bool, confidence: float
) -> CalibrationBand:
    n = counts.total("labelled", bins)
    n_eff = effective_size(n, counts.total("labelled_sq", bins))
    events = counts.total("events", bins)
    if n <= 0:
        return CalibrationBand(label, n, n_eff, events, flags=(NO_DATA,))
    if not used:
        return CalibrationBand(label, n, n_eff, events, flags=(NO_SCORES,))
    observed = min(events / n, 1.0)
    expected = counts.total("labelled_score_sum", bins)
    predicted = min(expected / n, 1.0)
    ci = wilson_interval(observed, n_eff, confidence=confidence)
    flags = (OUTSIDE_CI,) if ci is not None and not ci[0] <= predicted <= ci[1] else ()
    return CalibrationBand(
        label, n, n_eff, events, observed, ci, predicted, expected, observed - predicted, flags
    )


# --- Hosmer–Lemeshow ------------------------------------------------------------------------


@dataclass(frozen=True)
class HosmerLemeshowGroup:
    label: str
    n: float
    observed: float
    expected: float
    contribution: float

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "n": self.n,
            "observed": self.observed,
            "expected": self.expected,
            "contribution": self.contribution,
        }


@dataclass(frozen=True)
class HosmerLemeshowResult:
    """The HL statistic on ``df = g − 2`` degrees of freedom and its p-value; ``status`` is
    judged on the p-value (lower is worse)."""

    statistic: float | None
    df: int | None
    p_value: float | None
    status: str
    reason: str | None
    thresholds: Thresholds
    groups: tuple[HosmerLemeshowGroup, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": "hosmer_lemeshow",
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "status": self.status,
            "reason": self.reason,
            "thresholds": self.thresholds.to_json(),
            "groups": [g.to_json() for g in self.groups],
        }


def hosmer_lemeshow(
    counts: BinCounts, *, thresholds: Thresholds = HL_P_THRESHOLDS
) -> HosmerLemeshowResult:
    """``HL = Σ_g (O_g − n_g·p̄_g)² / (n_g·p̄_g·(1 − p̄_g))`` over the ``g`` bands with labelled,
    scored rows (the bins of the binning: score deciles of the reference by default, rather
    than deciles of the current period), and ``P(χ²_(g−2) ≥ HL)`` by ``chi_square_sf``.

    Not measurable with fewer than 3 such bands, or when a band's mean prediction is exactly 0
    or 1 (its term has no variance to divide by).
    """
    used = _calibrated_bins(counts)
    groups = []
    reason = None
    for i in used:
        n = counts.labelled[i]
        observed = counts.events[i]
        expected = counts.labelled_score_sum[i]
        mean = expected / n
        variance = n * mean * (1 - mean)
        if variance <= 0:
            reason = f"band {counts.binning.labels[i]} has a mean prediction of 0 or 1"
            break
        term = (observed - expected) ** 2 / variance
        groups.append(HosmerLemeshowGroup(counts.binning.labels[i], n, observed, expected, term))
    if not used:
        reason = NO_OUTCOMES
    elif reason is None and len(used) < 3:
        reason = "fewer than 3 bands with outcomes: g − 2 degrees of freedom would be < 1"
    if reason is not None:
        return HosmerLemeshowResult(None, None, None, NOT_MEASURABLE, reason, thresholds, ())
    statistic = math.fsum(g.contribution for g in groups)
    df = len(groups) - 2
    p_value = chi_square_sf(statistic, df)
    return HosmerLemeshowResult(
        statistic, df, p_value, status(p_value, thresholds), None, thresholds, tuple(groups)
    )


def _calibrated_bins(counts: BinCounts) -> list[int]:
    """Bins whose labelled rows all have a score; refuses a bin where only some do."""
    used = []
    for i in range(len(counts.binning.labels)):
        labelled, scored = counts.labelled[i], counts.labelled_scored[i]
        if scored <= 0:
            continue
        if abs(labelled - scored) > _SLACK * max(labelled, 1.0):
            raise InvalidInput(
                f"counts.labelled_scored[{i}]: calibration needs every labelled row of a bin "
                "to have a score, or none"
            )
        used.append(i)
    return used


__all__ = [
    "HL_P_THRESHOLDS",
    "NO_DATA",
    "NO_SCORES",
    "OUTSIDE_CI",
    "BrierResult",
    "CalibrationBand",
    "CalibrationResult",
    "HosmerLemeshowGroup",
    "HosmerLemeshowResult",
    "RankOrder",
    "brier_score",
    "calibration",
    "chi_square_sf",
    "hosmer_lemeshow",
    "rank_order",
    "regularized_gamma_p",
    "regularized_gamma_q",
]
