"""Stability of a distribution against its reference: PSI for the score and CSI for each feature
(catalogue MON-PSI / MON-CSI), over binned counts.

Both are Σ (c − r)·ln(c / r) over the bins' shares. A bin empty on either side would make the term
infinite, so its share is floored at ``epsilon`` (1e-4 by default) and the bin is flagged
``epsilon_applied``; a bin the reference never saw filled is listed under ``no_reference_bins`` so a
reader knows the index leans on the floor. The epsilon used is recorded with every result. Status
bands are the catalogue's: < 0.10 no significant shift, 0.10–0.25 moderate, > 0.25 significant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from attest.core.bins import BinCounts
from attest.core.drift import (
    CSI_THRESHOLDS,
    PSI_THRESHOLDS,
    Thresholds,
    same_binning,
    status,
)
from attest.errors import InvalidInput

DEFAULT_EPSILON = 1e-4

# Flags on a stability bin.
EPSILON_APPLIED = "epsilon_applied"
NO_REFERENCE_MASS = "no_reference_mass"


@dataclass(frozen=True)
class StabilityBin:
    """One bin's reference and current mass and its term of the index."""

    label: str
    reference: float
    current: float
    reference_share: float
    current_share: float
    contribution: float
    flags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "reference": self.reference,
            "current": self.current,
            "reference_share": self.reference_share,
            "current_share": self.current_share,
            "contribution": self.contribution,
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class StabilityResult:
    """PSI of the score or CSI of one feature (``metric`` says which), bin by bin.

    ``smoothed_bins``: bins where a zero share was replaced by ``epsilon``. ``no_reference_bins``:
    bins that hold current rows but had no reference mass, with their current share (the
    epsilon makes their term finite, it does not make them go away). ``unseen_share``: the
    current share of categories the reference never had (categorical binnings only).
    """

    metric: Literal["psi", "csi"]
    feature: str | None
    value: float | None
    status: str
    reason: str | None
    epsilon: float
    include_missing: bool
    reference_n: float
    current_n: float
    smoothed_bins: tuple[str, ...]
    no_reference_bins: tuple[tuple[str, float], ...]
    unseen_share: float | None
    thresholds: Thresholds
    bins: tuple[StabilityBin, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "feature": self.feature,
            "value": self.value,
            "status": self.status,
            "reason": self.reason,
            "epsilon": self.epsilon,
            "include_missing": self.include_missing,
            "reference_n": self.reference_n,
            "current_n": self.current_n,
            "smoothed_bins": list(self.smoothed_bins),
            "no_reference_bins": [
                {"label": label, "current_share": share} for label, share in self.no_reference_bins
            ],
            "unseen_share": self.unseen_share,
            "thresholds": self.thresholds.to_json(),
            "bins": [b.to_json() for b in self.bins],
        }


def population_stability_index(
    reference: BinCounts,
    current: BinCounts,
    *,
    epsilon: float = DEFAULT_EPSILON,
    include_missing: bool = True,
    thresholds: Thresholds = PSI_THRESHOLDS,
) -> StabilityResult:
    """``PSI = Σ_i (c_i − r_i)·ln(c_i / r_i)`` over the shares ``r`` (reference) and ``c``
    (current) of each bin (MON-PSI): a symmetrised Kullback–Leibler divergence, ≥ 0.

    A zero share is floored at ``epsilon`` (on proportions, not renormalised) when the other
    side has mass; a bin empty on both sides contributes 0. The missing bin is a bin like any
    other unless ``include_missing`` is False (then the shares are of non-missing rows).
    """
    return _stability("psi", None, reference, current, epsilon, include_missing, thresholds)


def characteristic_stability_index(
    reference: BinCounts,
    current: BinCounts,
    *,
    feature: str,
    epsilon: float = DEFAULT_EPSILON,
    include_missing: bool = True,
    thresholds: Thresholds = CSI_THRESHOLDS,
) -> StabilityResult:
    """The PSI formula on one input feature's bins (MON-CSI variant (a)), named ``feature``."""
    if not isinstance(feature, str) or not feature:
        raise InvalidInput("feature: must be a non-empty name")
    return _stability("csi", feature, reference, current, epsilon, include_missing, thresholds)


def _stability(
    metric: Literal["psi", "csi"],
    feature: str | None,
    reference: BinCounts,
    current: BinCounts,
    epsilon: float,
    include_missing: bool,
    thresholds: Thresholds,
) -> StabilityResult:
    same_binning(reference, current)
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float) or not 0 < epsilon < 1:
        raise InvalidInput("epsilon: must be a number strictly between 0 and 1")
    binning = reference.binning
    indices = [
        i for i in range(len(binning.labels)) if include_missing or i != binning.missing_index
    ]
    ref_n = reference.total("n", indices)
    cur_n = current.total("n", indices)
    reason = None
    if ref_n <= 0:
        reason = "no reference mass: the reference counts are empty"
    elif cur_n <= 0:
        reason = "no current rows in this period"
    bins = []
    smoothed = []
    no_reference = []
    for i in indices if reason is None else ():
        label = binning.labels[i]
        r, c = reference.n[i], current.n[i]
        rs, cs = r / ref_n, c / cur_n
        flags = []
        if rs == 0 and cs == 0:
            term = 0.0
        else:
            if rs == 0 or cs == 0:
                flags.append(EPSILON_APPLIED)
                smoothed.append(label)
            if rs == 0:
                flags.append(NO_REFERENCE_MASS)
                no_reference.append((label, cs))
            rr, cc = (rs if rs > 0 else epsilon), (cs if cs > 0 else epsilon)
            term = (cc - rr) * math.log(cc / rr)
        bins.append(StabilityBin(label, r, c, rs, cs, term, tuple(flags)))
    value = None if reason is not None else math.fsum(b.contribution for b in bins)
    unseen = binning.unseen_index
    return StabilityResult(
        metric=metric,
        feature=feature,
        value=value,
        status=status(value, thresholds),
        reason=reason,
        epsilon=float(epsilon),
        include_missing=include_missing,
        reference_n=ref_n,
        current_n=cur_n,
        smoothed_bins=tuple(smoothed),
        no_reference_bins=tuple(no_reference),
        unseen_share=None if unseen is None or reason is not None else current.n[unseen] / cur_n,
        thresholds=thresholds,
        bins=tuple(bins),
    )
