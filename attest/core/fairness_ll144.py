"""NYC Local Law 144 impact-ratio tables (6 RCNY §5-300, §5-301; catalogue NYC144-2 to -6).

The only codified bias-audit arithmetic in US law, and it generalises to credit: per category the
selection rate (selected / assessed) or scoring rate (share scoring above the median of the whole
sample), and the impact ratio against the most selected (highest-scoring) category. Computed for
each attribute alone and for the intersection of all of them (sex × race/ethnicity).

Two rules shape the table. The "unknown" category is counted and reported but takes no part in
impact ratios. A category below ``exclusion_share`` (2 %) of the audit data may be left out of
impact-ratio calculations; it is still listed with its count and rate and marked ``excluded``.
Shares are of everyone in the audit data, unknown included. Weighted data give weighted counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from attest.core.counts import UNKNOWN, GroupCounts, GroupKey, effective_size
from attest.core.fairness import (
    DEFAULT_MIN_N_EFF,
    NO_DATA,
    REFERENCE,
    TOO_SMALL,
    Metric,
    check_options,
    interval_json,
    rate_parts,
)
from attest.core.significance import Interval, katz_ratio_interval, wilson_interval
from attest.errors import InvalidInput

Form = Literal["selection", "scoring"]
DEFAULT_EXCLUSION_SHARE = 0.02
EXCLUDED = "excluded_below_share"
UNKNOWN_CATEGORY = "unknown_category"


@dataclass(frozen=True)
class CategoryRow:
    """One category of one table; ``count`` is the selected (or above-median) weight."""

    category: GroupKey
    n: float
    n_eff: float
    share: float
    count: float
    rate: float | None
    rate_ci: Interval | None
    impact_ratio: float | None
    impact_ratio_ci: Interval | None
    unknown: bool
    excluded: bool
    flags: tuple[str, ...]

    def to_json(self, attributes: Sequence[str]) -> dict[str, Any]:
        return {
            "category": dict(zip(attributes, self.category, strict=True)),
            "n": self.n,
            "n_eff": self.n_eff,
            "share": self.share,
            "count": self.count,
            "rate": self.rate,
            "rate_ci": interval_json(self.rate_ci),
            "impact_ratio": self.impact_ratio,
            "impact_ratio_ci": interval_json(self.impact_ratio_ci),
            "unknown": self.unknown,
            "excluded": self.excluded,
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class ImpactRatioTable:
    """Categories of one attribute, or of the intersection of several."""

    attributes: tuple[str, ...]
    reference_category: GroupKey | None
    reference_rate: float | None
    n_unknown: float
    rows: tuple[CategoryRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": list(self.attributes),
            "reference_category": (
                None
                if self.reference_category is None
                else dict(zip(self.attributes, self.reference_category, strict=True))
            ),
            "reference_rate": self.reference_rate,
            "n_unknown": self.n_unknown,
            "rows": [r.to_json(self.attributes) for r in self.rows],
        }


@dataclass(frozen=True)
class LL144Report:
    """The figures a bias-audit summary publishes (NYC144-8), one table per attribute set."""

    form: Form
    median_score: float | None
    exclusion_share: float
    n_total: float
    confidence: float
    min_n_eff: float
    tables: tuple[ImpactRatioTable, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "median_score": self.median_score,
            "exclusion_share": self.exclusion_share,
            "n_total": self.n_total,
            "confidence": self.confidence,
            "min_n_eff": self.min_n_eff,
            "tables": [t.to_json() for t in self.tables],
        }


def ll144_impact_ratios(
    counts: GroupCounts,
    *,
    form: Form = "selection",
    exclusion_share: float = DEFAULT_EXCLUSION_SHARE,
    unknown: str = UNKNOWN,
    confidence: float = 0.95,
    min_n_eff: float = DEFAULT_MIN_N_EFF,
) -> LL144Report:
    """Selection- or scoring-rate impact ratios for each attribute and their intersection.

    The scoring form needs counts made with ``score_threshold`` = the median score of the whole
    sample (``ScoreHistogram.median()``); its ``n`` is the scored weight. Categories whose
    ``n_eff`` is below ``min_n_eff`` keep their ratio (the law asks for it) and are flagged.
    """
    check_options(confidence, min_n_eff)
    if form not in ("selection", "scoring"):
        raise InvalidInput("form: expected selection or scoring")
    if not 0 <= exclusion_share < 1:
        raise InvalidInput("exclusion_share: must be in [0, 1)")
    metric: Metric = "selection_rate" if form == "selection" else "scoring_rate"
    if form == "scoring" and counts.score_threshold is None:
        raise InvalidInput("counts.score_threshold: the scoring form needs the sample's median")
    subsets: list[tuple[str, ...]] = [(a,) for a in counts.attributes]
    if len(counts.attributes) > 1:
        subsets.append(counts.attributes)
    _, total, _ = rate_parts(counts.overall(), metric)
    tables = tuple(
        _table(
            counts.marginal(subset), metric, total, exclusion_share, unknown, confidence, min_n_eff
        )
        for subset in subsets
    )
    return LL144Report(
        form,
        counts.score_threshold if form == "scoring" else None,
        exclusion_share,
        total,
        confidence,
        min_n_eff,
        tables,
    )


def _table(
    counts: GroupCounts,
    metric: Metric,
    total: float,
    exclusion_share: float,
    unknown: str,
    confidence: float,
    min_n_eff: float,
) -> ImpactRatioTable:
    parts = {key: rate_parts(counts.cells[key], metric) for key in counts.groups()}
    eligible: dict[GroupKey, float] = {}
    for key, (numerator, denominator, _) in parts.items():
        share = denominator / total if total > 0 else 0.0
        if unknown not in key and denominator > 0 and share >= exclusion_share:
            eligible[key] = numerator / denominator
    reference: GroupKey | None = None
    for key in sorted(eligible):  # ties go to the first key in sorted order
        if reference is None or eligible[key] > eligible[reference]:
            reference = key
    ref_rate = eligible[reference] if reference is not None else None
    ref_n_eff = effective_size(*parts[reference][1:]) if reference is not None else 0.0
    rows = []
    n_unknown = 0.0
    for key, (numerator, denominator, sq) in parts.items():
        n_eff = effective_size(denominator, sq)
        share = denominator / total if total > 0 else 0.0
        is_unknown = unknown in key
        n_unknown += denominator if is_unknown else 0.0
        value = numerator / denominator if denominator > 0 else None
        flags = []
        if value is None:
            flags.append(NO_DATA)
        if is_unknown:
            flags.append(UNKNOWN_CATEGORY)
        excluded = not is_unknown and value is not None and key not in eligible
        if excluded:
            flags.append(EXCLUDED)
        if value is not None and n_eff < min_n_eff:
            flags.append(TOO_SMALL)
        if key == reference:
            flags.append(REFERENCE)
        ratio = ratio_ci = None
        if key in eligible and ref_rate is not None and ref_rate > 0 and value is not None:
            ratio = value / ref_rate
            if key != reference:
                ratio_ci = katz_ratio_interval(
                    value, n_eff, ref_rate, ref_n_eff, confidence=confidence
                )
        rows.append(
            CategoryRow(
                key,
                denominator,
                n_eff,
                share,
                numerator,
                value,
                None if value is None else wilson_interval(value, n_eff, confidence=confidence),
                ratio,
                ratio_ci,
                is_unknown,
                excluded,
                tuple(flags),
            )
        )
    return ImpactRatioTable(counts.attributes, reference, ref_rate, n_unknown, tuple(rows))


__all__ = [
    "CategoryRow",
    "ImpactRatioTable",
    "LL144Report",
    "ll144_impact_ratios",
]
