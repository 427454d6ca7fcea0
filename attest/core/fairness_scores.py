"""Fairness of continuous outputs: standardized mean difference (FAIR-SMD) and calibration by
group (FAIR-CAL), from the score moments in ``GroupCounts``.

Scores are summed raw (Σw·s, Σw·s²), which keeps the counts mergeable; the variance then loses
about ``(mean/sd)² · 1e-16`` of relative precision, harmless unless scores sit far from zero
relative to their spread (centre them first if so, e.g. subtract the scale's midpoint).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from attest.core.counts import Cell, GroupCounts, GroupKey, band_labels, effective_size
from attest.core.fairness import (
    DEFAULT_MIN_N_EFF,
    NO_DATA,
    REFERENCE,
    REFERENCE_NO_DATA,
    REFERENCE_TOO_SMALL,
    TOO_SMALL,
    check_options,
    interval_json,
)
from attest.core.significance import Interval, smd_interval, wilson_interval
from attest.errors import InvalidInput

NO_SPREAD = "no_spread"
OUTSIDE_CI = "outside_ci"
_SLACK = 1e-9


def score_mean(cell: Cell) -> float | None:
    """Weighted mean score, Σw·s / Σw over scored rows."""
    return cell.score_sum / cell.scored if cell.scored > 0 else None


def score_variance(cell: Cell) -> float | None:
    """Weighted variance with reliability weights: Σw(s-m)² / (Σw - Σw²/Σw).

    With unit weights this is the sample variance (``ddof=1``). None below two effective rows.
    """
    if cell.scored <= 0 or effective_size(cell.scored, cell.scored_sq) <= 1:
        return None
    squares = cell.score_sq_sum - cell.score_sum * cell.score_sum / cell.scored
    return max(squares, 0.0) / (cell.scored - cell.scored_sq / cell.scored)


@dataclass(frozen=True)
class ScoreGroup:
    """One group's scores against the reference's."""

    group: GroupKey
    n: float
    n_eff: float
    mean: float | None = None
    sd: float | None = None
    smd: float | None = None
    smd_ci: Interval | None = None
    flags: tuple[str, ...] = ()

    def to_json(self, attributes: Sequence[str]) -> dict[str, Any]:
        return {
            "group": dict(zip(attributes, self.group, strict=True)),
            "n": self.n,
            "n_eff": self.n_eff,
            "mean": self.mean,
            "sd": self.sd,
            "smd": self.smd,
            "smd_ci": interval_json(self.smd_ci),
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class SmdTable:
    attributes: tuple[str, ...]
    reference: str
    reference_group: GroupKey | None
    reference_mean: float | None
    reference_sd: float | None
    reference_n_eff: float
    confidence: float
    min_n_eff: float
    groups: tuple[ScoreGroup, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": "standardized_mean_difference",
            "attributes": list(self.attributes),
            "reference": self.reference,
            "reference_group": (
                None
                if self.reference_group is None
                else dict(zip(self.attributes, self.reference_group, strict=True))
            ),
            "reference_mean": self.reference_mean,
            "reference_sd": self.reference_sd,
            "reference_n_eff": self.reference_n_eff,
            "confidence": self.confidence,
            "min_n_eff": self.min_n_eff,
            "groups": [g.to_json(self.attributes) for g in self.groups],
        }


def standardized_mean_difference(
    counts: GroupCounts,
    *,
    reference: Sequence[str] | Literal["most_favoured", "overall"] = "overall",
    confidence: float = 0.95,
    min_n_eff: float = DEFAULT_MIN_N_EFF,
) -> SmdTable:
    """``SMD = (mean_g - mean_ref) / s_pooled`` per group (FAIR-SMD), with a Hedges-Olkin interval.

    ``s_pooled² = ((n_g-1)s_g² + (n_ref-1)s_ref²) / (n_g + n_ref - 2)`` on effective sizes, so
    unit weights give Cohen's d exactly. ``"most_favoured"`` is the group with the highest mean
    (higher score = more favourable) among those large enough to judge.
    """
    check_options(confidence, min_n_eff)
    kind, ref_key, ref = _score_reference(counts, reference, min_n_eff)
    ref_mean, ref_var = score_mean(ref), score_variance(ref)
    ref_n_eff = effective_size(ref.scored, ref.scored_sq)
    groups = []
    for key in counts.groups():
        cell = counts.cells[key]
        n_eff = effective_size(cell.scored, cell.scored_sq)
        mean, var = score_mean(cell), score_variance(cell)
        base = ScoreGroup(key, cell.scored, n_eff, mean, None if var is None else var**0.5)
        flags = [TOO_SMALL] if n_eff < min_n_eff else []
        if mean is None:
            groups.append(ScoreGroup(key, cell.scored, n_eff, flags=(NO_DATA,)))
            continue
        if key == ref_key:
            groups.append(replace(base, smd=0.0, flags=(REFERENCE, *flags)))
            continue
        if ref_mean is None:
            groups.append(replace(base, flags=(*flags, REFERENCE_NO_DATA)))
            continue
        if ref_n_eff < min_n_eff:
            flags.append(REFERENCE_TOO_SMALL)
        pooled = _pooled_variance(var, n_eff, ref_var, ref_n_eff)
        if pooled is None:
            groups.append(replace(base, flags=(*flags, NO_SPREAD)))
            continue
        smd = (mean - ref_mean) / pooled**0.5
        ci = smd_interval(smd, n_eff, ref_n_eff, confidence=confidence)
        groups.append(replace(base, smd=smd, smd_ci=ci, flags=tuple(flags)))
    return SmdTable(
        counts.attributes,
        kind,
        ref_key,
        ref_mean,
        None if ref_var is None else ref_var**0.5,
        ref_n_eff,
        confidence,
        min_n_eff,
        tuple(groups),
    )


def _pooled_variance(var1: float | None, n1: float, var2: float | None, n2: float) -> float | None:
    if var1 is None or var2 is None or n1 + n2 <= 2:
        return None
    pooled = ((n1 - 1) * var1 + (n2 - 1) * var2) / (n1 + n2 - 2)
    return pooled if pooled > 0 else None


def _score_reference(
    counts: GroupCounts,
    reference: Sequence[str] | Literal["most_favoured", "overall"],
    min_n_eff: float,
) -> tuple[str, GroupKey | None, Cell]:
    if reference == "overall":
        return "overall", None, counts.overall()
    if reference == "most_favoured":
        best: dict[bool, tuple[float, GroupKey]] = {}
        for key in counts.groups():
            cell = counts.cells[key]
            mean = score_mean(cell)
            if mean is None:
                continue
            large = effective_size(cell.scored, cell.scored_sq) >= min_n_eff
            if large not in best or mean > best[large][0]:
                best[large] = (mean, key)
        for large in (True, False):
            if large in best:
                key = best[large][1]
                return "most_favoured", key, counts.cells[key]
        return "most_favoured", None, Cell()
    if isinstance(reference, str):
        raise InvalidInput("reference: a group key (tuple of values), most_favoured or overall")
    cell = counts.cell(reference, field="reference")
    return "group", tuple(reference), cell


@dataclass(frozen=True)
class CalibrationBand:
    """Observed outcome rate against the mean predicted probability in one score band."""

    band: str
    n: float
    n_eff: float
    observed: float | None = None
    observed_ci: Interval | None = None
    predicted: float | None = None
    gap: float | None = None
    flags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "band": self.band,
            "n": self.n,
            "n_eff": self.n_eff,
            "observed": self.observed,
            "observed_ci": interval_json(self.observed_ci),
            "predicted": self.predicted,
            "gap": self.gap,
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class CalibrationGroup:
    """A group's bands, its calibration-in-the-large and its expected calibration error."""

    group: GroupKey
    overall: CalibrationBand
    expected_calibration_error: float | None
    bands: tuple[CalibrationBand, ...]

    def to_json(self, attributes: Sequence[str]) -> dict[str, Any]:
        return {
            "group": dict(zip(attributes, self.group, strict=True)),
            "overall": self.overall.to_json(),
            "expected_calibration_error": self.expected_calibration_error,
            "bands": [b.to_json() for b in self.bands],
        }


@dataclass(frozen=True)
class CalibrationTable:
    attributes: tuple[str, ...]
    band_attribute: str
    outcome: str
    confidence: float
    min_n_eff: float
    groups: tuple[CalibrationGroup, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": "calibration_by_group",
            "attributes": list(self.attributes),
            "band_attribute": self.band_attribute,
            "outcome": self.outcome,
            "confidence": self.confidence,
            "min_n_eff": self.min_n_eff,
            "groups": [g.to_json(self.attributes) for g in self.groups],
        }


def calibration_by_group(
    counts: GroupCounts,
    *,
    band_attribute: str,
    edges: Sequence[float],
    predicts: Literal["good", "bad"] = "good",
    confidence: float = 0.95,
    min_n_eff: float = DEFAULT_MIN_N_EFF,
) -> CalibrationTable:
    """Observed rate of the predicted outcome vs the mean score, per group and score band.

    The counts must carry the band as an attribute (``score_band(score, edges)`` per row, or the
    same labels from SQL) and come from rows with both a score and an outcome, so that the mean
    score and the observed rate describe the same people. The score is the model's probability
    of the good outcome (``predicts="good"``) or of the bad one (a PD: ``predicts="bad"``). A band
    whose mean prediction falls outside the observed rate's interval is flagged ``outside_ci``.
    """
    check_options(confidence, min_n_eff)
    if band_attribute not in counts.attributes:
        raise InvalidInput("band_attribute: not an attribute of these counts")
    if predicts not in ("good", "bad"):
        raise InvalidInput("predicts: expected good or bad")
    labels = band_labels(edges)
    group_attributes = tuple(a for a in counts.attributes if a != band_attribute)
    table = counts.marginal((*group_attributes, band_attribute))
    groups: dict[GroupKey, dict[str, Cell]] = {}
    for key in table.groups():
        group, band = key[:-1], key[-1]
        if band not in labels:
            raise InvalidInput(f"counts.{band_attribute}: {band!r} is not one of the given bands")
        cell = table.cells[key]
        if abs(cell.scored - cell.labelled) > _SLACK * max(cell.n, 1.0):
            raise InvalidInput(
                "counts: calibration needs rows with both a score and an outcome; count only those"
            )
        groups.setdefault(group, {})[band] = cell
    results = []
    for group in sorted(groups):
        bands = [
            _band(label, groups[group].get(label, Cell()), predicts, confidence, min_n_eff)
            for label in labels
        ]
        total = Cell()
        for cell in groups[group].values():
            total = total + cell
        judged = [b for b in bands if b.gap is not None]
        weight = sum(b.n for b in judged)
        ece = sum(b.n * abs(b.gap or 0.0) for b in judged) / weight if weight > 0 else None
        overall = _band("all", total, predicts, confidence, min_n_eff)
        results.append(CalibrationGroup(group, overall, ece, tuple(bands)))
    return CalibrationTable(
        group_attributes, band_attribute, predicts, confidence, min_n_eff, tuple(results)
    )


def _band(
    label: str, cell: Cell, predicts: str, confidence: float, min_n_eff: float
) -> CalibrationBand:
    n = cell.labelled
    n_eff = effective_size(n, cell.good_sq + cell.bad_sq)
    if n <= 0:
        return CalibrationBand(label, n, n_eff, flags=(NO_DATA,))
    observed = (cell.good if predicts == "good" else cell.bad) / n
    predicted = cell.score_sum / cell.scored
    ci = wilson_interval(observed, n_eff, confidence=confidence)
    flags = []
    if n_eff < min_n_eff:
        flags.append(TOO_SMALL)
    elif ci is not None and not ci[0] <= predicted <= ci[1]:
        flags.append(OUTSIDE_CI)
    return CalibrationBand(
        label, n, n_eff, observed, ci, predicted, observed - predicted, tuple(flags)
    )
