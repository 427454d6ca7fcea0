"""Group fairness metrics over ``GroupCounts``: rates, disparities, intervals and tests.

Names follow fairlearn (``selection_rate``, ``true_positive_rate``, ``equalized_odds_ratio``,
``method="between_groups" | "to_overall"``) so that reviewers recognise them, and every
unweighted value equals fairlearn's on the raw rows (see tests/core/test_fairness_oracle.py).
Favourable = selected (approved); truth good = the applicant repaid (catalogue §5.2).

``disparity_table`` is the evidence form (BIAS-RUN): per group the rate with its interval, the
adverse impact ratio and the difference against a reference, both with intervals, p-values, and
flags. A group whose effective sample size is below ``min_n_eff`` is flagged ``too_small`` and
``fairness_verdict.verdict`` never passes or fails it. fairlearn's one-number summaries
(``demographic_parity_difference`` ...) are in ``fairness_summary``; scores (SMD, calibration)
in ``fairness_scores``; NYC LL144 tables in ``fairness_ll144``.

Intervals and tests on weighted data use Kish's effective sample size (see ``significance``).
Against ``reference="overall"`` the ratio and difference compare a group with everyone (itself
included), as fairlearn's ``to_overall`` does; their intervals treat the two as independent,
which overstates the variance (conservative), while the p-values test the group against everyone
else (the complement), which is the independent comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from attest.core.counts import Cell, GroupCounts, GroupKey, effective_size
from attest.core.significance import (
    Interval,
    fisher_exact_2x2,
    katz_ratio_interval,
    newcombe_difference_interval,
    two_proportion_z_test,
    wilson_interval,
    z_quantile,
)
from attest.errors import InvalidInput

Metric = Literal["selection_rate", "true_positive_rate", "false_positive_rate", "scoring_rate"]
ReferenceChoice = Literal["most_favoured", "overall"]

DEFAULT_MIN_N_EFF = 30.0
METRICS: tuple[Metric, ...] = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "scoring_rate",
)

# Flags on a group's comparison; the verdict turns them into reasons.
NO_DATA = "no_data"
TOO_SMALL = "too_small"
REFERENCE = "reference"
REFERENCE_NO_DATA = "reference_no_data"
REFERENCE_TOO_SMALL = "reference_too_small"
REFERENCE_RATE_ZERO = "reference_rate_zero"


def rate_parts(cell: Cell, metric: Metric) -> tuple[float, float, float]:
    """``(numerator, denominator, Σw² of the denominator)`` of a metric in one cell."""
    if metric == "selection_rate":
        return cell.selected, cell.n, cell.n_sq
    if metric == "true_positive_rate":
        return cell.tp, cell.good, cell.good_sq
    if metric == "false_positive_rate":
        return cell.fp, cell.bad, cell.bad_sq
    if metric == "scoring_rate":
        return cell.above, cell.scored, cell.scored_sq
    raise InvalidInput(f"metric: expected one of {', '.join(METRICS)}")


def rate(cell: Cell, metric: Metric) -> float | None:
    """The weighted rate, or None when its denominator is empty."""
    numerator, denominator, _ = rate_parts(cell, metric)
    return numerator / denominator if denominator > 0 else None


def selection_rate(cell: Cell) -> float | None:
    """Share of decisions that were favourable: Σw·selected / Σw."""
    return rate(cell, "selection_rate")


def true_positive_rate(cell: Cell) -> float | None:
    """Share of good outcomes that were approved: TP / (TP + FN)."""
    return rate(cell, "true_positive_rate")


def false_positive_rate(cell: Cell) -> float | None:
    """Share of bad outcomes that were approved: FP / (FP + TN)."""
    return rate(cell, "false_positive_rate")


@dataclass(frozen=True)
class GroupComparison:
    """One group's rate against the reference; ``n`` and ``n_eff`` are of the rate's
    denominator (all decisions for the selection rate, good outcomes for the TPR...)."""

    group: GroupKey
    n: float
    n_eff: float
    count: float
    rate: float | None = None
    rate_ci: Interval | None = None
    ratio: float | None = None
    ratio_ci: Interval | None = None
    difference: float | None = None
    difference_ci: Interval | None = None
    z: float | None = None
    p_value_z: float | None = None
    p_value_fisher: float | None = None
    flags: tuple[str, ...] = ()

    def to_json(self, attributes: Sequence[str]) -> dict[str, Any]:
        return {
            "group": dict(zip(attributes, self.group, strict=True)),
            "n": self.n,
            "n_eff": self.n_eff,
            "count": self.count,
            "rate": self.rate,
            "rate_ci": interval_json(self.rate_ci),
            "ratio": self.ratio,
            "ratio_ci": interval_json(self.ratio_ci),
            "difference": self.difference,
            "difference_ci": interval_json(self.difference_ci),
            "marginal_effect_points": None if self.difference is None else 100 * self.difference,
            "z": self.z,
            "p_value_z": self.p_value_z,
            "p_value_fisher": self.p_value_fisher,
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class DisparityTable:
    """Every group of one metric against one reference (a BIAS-RUN metrics block)."""

    metric: Metric
    attributes: tuple[str, ...]
    reference: str  # "group", "most_favoured" or "overall"
    reference_group: GroupKey | None
    reference_rate: float | None
    reference_n_eff: float
    overall_rate: float | None
    overall_n: float
    confidence: float
    min_n_eff: float
    groups: tuple[GroupComparison, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "attributes": list(self.attributes),
            "reference": self.reference,
            "reference_group": _group_json(self.attributes, self.reference_group),
            "reference_rate": self.reference_rate,
            "reference_n_eff": self.reference_n_eff,
            "overall_rate": self.overall_rate,
            "overall_n": self.overall_n,
            "confidence": self.confidence,
            "min_n_eff": self.min_n_eff,
            "groups": [g.to_json(self.attributes) for g in self.groups],
        }


def disparity_table(
    counts: GroupCounts,
    *,
    metric: Metric = "selection_rate",
    reference: Sequence[str] | ReferenceChoice = "most_favoured",
    confidence: float = 0.95,
    min_n_eff: float = DEFAULT_MIN_N_EFF,
) -> DisparityTable:
    """Rate, adverse impact ratio (FAIR-AIR), difference (FAIR-DP / unadjusted FAIR-ME) with
    intervals and z / Fisher p-values (FAIR-Z, FAIR-FISH) for every group against ``reference``:
    a group key, the ``"most_favoured"`` group (highest rate among groups large enough to judge,
    as the four-fifths rule reads), or ``"overall"``.

    With ``metric="true_positive_rate"`` the differences are the equal-opportunity gaps (FAIR-EO).
    """
    if metric not in METRICS:
        raise InvalidInput(f"metric: expected one of {', '.join(METRICS)}")
    if metric == "scoring_rate" and counts.score_threshold is None:
        raise InvalidInput("counts.score_threshold: the scoring rate needs counts made at a cut")
    check_options(confidence, min_n_eff)
    overall = counts.overall()
    kind, ref_key, ref_cell = _reference(counts, metric, reference, min_n_eff)
    ref_num, ref_den, ref_sq = rate_parts(ref_cell, metric)
    ref_rate = ref_num / ref_den if ref_den > 0 else None
    ref_n_eff = effective_size(ref_den, ref_sq)
    groups = []
    for key in counts.groups():
        cell = counts.cells[key]
        test_cell = overall - cell if kind == "overall" else ref_cell
        groups.append(
            _compare(
                key,
                cell,
                metric,
                reference=(ref_rate, ref_n_eff),
                test=test_cell,
                is_reference=key == ref_key,
                confidence=confidence,
                min_n_eff=min_n_eff,
            )
        )
    overall_num, overall_den, _ = rate_parts(overall, metric)
    return DisparityTable(
        metric=metric,
        attributes=counts.attributes,
        reference=kind,
        reference_group=ref_key,
        reference_rate=ref_rate,
        reference_n_eff=ref_n_eff,
        overall_rate=overall_num / overall_den if overall_den > 0 else None,
        overall_n=overall_den,
        confidence=confidence,
        min_n_eff=min_n_eff,
        groups=tuple(groups),
    )


def _reference(
    counts: GroupCounts,
    metric: Metric,
    reference: Sequence[str] | ReferenceChoice,
    min_n_eff: float,
) -> tuple[str, GroupKey | None, Cell]:
    if reference == "overall":
        return "overall", None, counts.overall()
    if reference == "most_favoured":
        key = most_favoured(counts, metric, min_n_eff=min_n_eff)
        return "most_favoured", key, counts.cell(key) if key is not None else Cell()
    if isinstance(reference, str):
        raise InvalidInput("reference: a group key (tuple of values), most_favoured or overall")
    cell = counts.cell(reference, field="reference")
    return "group", tuple(reference), cell


def most_favoured(
    counts: GroupCounts, metric: Metric, *, min_n_eff: float = DEFAULT_MIN_N_EFF
) -> GroupKey | None:
    """The group with the highest rate among those with ``n_eff ≥ min_n_eff`` (else among all
    with data; ties go to the first key in sorted order). None when no group has data."""
    best: dict[bool, tuple[float, GroupKey]] = {}
    for key in counts.groups():
        numerator, denominator, sq = rate_parts(counts.cells[key], metric)
        if denominator <= 0:
            continue
        value = numerator / denominator
        large = effective_size(denominator, sq) >= min_n_eff
        if large not in best or value > best[large][0]:
            best[large] = (value, key)
    for large in (True, False):
        if large in best:
            return best[large][1]
    return None


def _compare(
    key: GroupKey,
    cell: Cell,
    metric: Metric,
    *,
    reference: tuple[float | None, float],
    test: Cell,
    is_reference: bool,
    confidence: float,
    min_n_eff: float,
) -> GroupComparison:
    numerator, denominator, sq = rate_parts(cell, metric)
    n_eff = effective_size(denominator, sq)
    if denominator <= 0:
        return GroupComparison(key, denominator, n_eff, numerator, flags=(NO_DATA,))
    value = numerator / denominator
    base = GroupComparison(
        key,
        denominator,
        n_eff,
        numerator,
        rate=value,
        rate_ci=wilson_interval(value, n_eff, confidence=confidence),
    )
    flags = [TOO_SMALL] if n_eff < min_n_eff else []
    if is_reference:
        return replace(base, ratio=1.0, difference=0.0, flags=(REFERENCE, *flags))
    ref_rate, ref_n_eff = reference
    if ref_rate is None:
        return replace(base, flags=(*flags, REFERENCE_NO_DATA))
    if ref_n_eff < min_n_eff:
        flags.append(REFERENCE_TOO_SMALL)
    if ref_rate <= 0:
        flags.append(REFERENCE_RATE_ZERO)
    t_num, t_den, t_sq = rate_parts(test, metric)
    t_rate = t_num / t_den if t_den > 0 else 0.0
    t_n_eff = effective_size(t_den, t_sq)
    tested = two_proportion_z_test(value, n_eff, t_rate, t_n_eff)
    return replace(
        base,
        ratio=value / ref_rate if ref_rate > 0 else None,
        ratio_ci=katz_ratio_interval(value, n_eff, ref_rate, ref_n_eff, confidence=confidence),
        difference=value - ref_rate,
        difference_ci=newcombe_difference_interval(
            value, n_eff, ref_rate, ref_n_eff, confidence=confidence
        ),
        z=None if tested is None else tested[0],
        p_value_z=None if tested is None else tested[1],
        p_value_fisher=fisher_on_effective_counts(value, n_eff, t_rate, t_n_eff),
        flags=tuple(flags),
    )


def fisher_on_effective_counts(p1: float, n1: float, p2: float, n2: float) -> float | None:
    """Fisher's exact test on the table of ``round(p·n_eff)`` successes in ``round(n_eff)``.

    Exact counts for unweighted data; for weighted data a design-effect approximation, since the
    hypergeometric needs whole counts. None when a group rounds to nobody.
    """
    t1, t2 = round(n1), round(n2)
    if t1 <= 0 or t2 <= 0:
        return None
    x1, x2 = min(round(p1 * n1), t1), min(round(p2 * n2), t2)
    return fisher_exact_2x2(x1, t1 - x1, x2, t2 - x2)


def check_options(confidence: float, min_n_eff: float) -> None:
    """Refuse a confidence level outside (0, 1) or a negative minimum sample size up front."""
    z_quantile(confidence)
    if not min_n_eff >= 0:
        raise InvalidInput("min_n_eff: must be a number ≥ 0")


def interval_json(interval: Interval | None) -> list[float] | None:
    return None if interval is None else [interval[0], interval[1]]


def _group_json(attributes: Sequence[str], key: GroupKey | None) -> dict[str, str] | None:
    return None if key is None else dict(zip(attributes, key, strict=True))
