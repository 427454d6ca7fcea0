"""Monitoring metrics over bins against independent oracles on the raw rows.

Oracles: scikit-learn (roc_auc_score, brier_score_loss), scipy.stats (ks_2samp, chi2, binomtest's
Wilson interval) and direct numpy computations of the catalogue formulas. Data: the fixed arrays
in tests/data (80 rows) and the German credit data — Statlog (German Credit Data), UCI Machine
Learning Repository, Prof. Hans Hofmann, Universität Hamburg, 1994, DOI 10.24432/C5NC77,
CC BY 4.0 — scored two ways: the fixed logistic rule of tests/data/fairness_data.py and a
logistic regression fitted here (attest.demo.credit_model's pipeline). The event is bad credit;
each score is turned into the predicted probability of it (PD).

Binned metrics equal the oracles on bin indices exactly (to 1e-9); on the raw scores they stay
within the binning error bound each result reports (see attest.core.drift).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
import scipy.stats as st
from sklearn.metrics import brier_score_loss, roc_auc_score

from attest.core.bins import BinCounts, Binning
from attest.core.calibration import brier_score, calibration, hosmer_lemeshow
from attest.core.drift import auc, data_quality, hanley_mcneil_se, ks_discrimination, ks_two_sample
from attest.core.stability import (
    DEFAULT_EPSILON,
    characteristic_stability_index,
    population_stability_index,
)
from attest.demo.credit_model import good_credit, matrix, new_pipeline
from attest.demo.german_credit import applications
from tests.data.fairness_data import fixed, german

TOL = 1e-9


@dataclass(frozen=True)
class Scored:
    """Rows with a PD, the event (1 bad) and a weight; ``half`` splits reference / current."""

    pd: np.ndarray
    event: np.ndarray
    weight: np.ndarray

    @property
    def half(self) -> int:
        return len(self.pd) // 2


@cache
def fixed_rows() -> Scored:
    data = fixed()
    return Scored(1 - data.score, 1 - data.y_true, data.weight)


@cache
def german_rule() -> Scored:
    data = german()
    return Scored(1 - data.score, 1 - data.y_true, data.weight)


@cache
def german_logistic() -> Scored:
    rows = list(applications())
    x, good = matrix(rows), good_credit(rows)
    model = new_pipeline().fit(x, good)
    pd_bad = np.asarray(model.predict_proba(x)[:, 0], dtype=float)
    return Scored(pd_bad, 1 - good, german().weight)


DATASETS: dict[str, Callable[[], Scored]] = {
    "fixed": fixed_rows,
    "german_rule": german_rule,
    "german_logistic": german_logistic,
}


@pytest.fixture(scope="module", params=sorted(DATASETS))
def data(request: pytest.FixtureRequest) -> Scored:
    return DATASETS[request.param]()


def deciles(values: np.ndarray, bins: int = 10) -> Binning:
    return Binning.numeric_from_reference(values.tolist(), bins=bins)


def exact(values: np.ndarray) -> Binning:
    """Every distinct value its own bin."""
    distinct = np.unique(values)
    return Binning("numeric", edges=tuple(distinct[1:].tolist()))


def indices(binning: Binning, values: np.ndarray) -> np.ndarray:
    found = np.digitize(values, np.array(binning.edges))  # right-open bins, like bisect_right
    assert found.tolist() == [binning.bin_of(v) for v in values.tolist()]
    return found


def count(binning: Binning, data: Scored, *, weighted: bool = False) -> BinCounts:
    return BinCounts.from_values(
        binning,
        data.pd.tolist(),
        outcomes=data.event.tolist(),
        scores=data.pd.tolist(),
        weights=data.weight.tolist() if weighted else None,
    )


# --- AUC / Gini ----------------------------------------------------------------------------


@pytest.mark.parametrize("bins", [4, 10, 20])
def test_auc_equals_sklearn_on_bin_indices(data: Scored, bins: int) -> None:
    binning = deciles(data.pd, bins)
    idx = indices(binning, data.pd)
    result = auc(count(binning, data))
    assert result.auc is not None and result.gini is not None
    assert result.auc == pytest.approx(roc_auc_score(data.event, idx), abs=TOL)
    assert result.gini == pytest.approx(2 * roc_auc_score(data.event, idx) - 1, abs=TOL)
    flipped = auc(count(binning, data), higher_is_event=False)
    assert flipped.auc == pytest.approx(roc_auc_score(data.event, -idx), abs=TOL)
    weighted = auc(count(binning, data, weighted=True))
    assert weighted.auc == pytest.approx(
        roc_auc_score(data.event, idx, sample_weight=data.weight), abs=TOL
    )


@pytest.mark.parametrize("bins", [4, 10, 20])
def test_auc_on_raw_scores_is_within_the_reported_binning_bound(data: Scored, bins: int) -> None:
    result = auc(count(deciles(data.pd, bins), data))
    raw = roc_auc_score(data.event, data.pd)
    assert result.auc is not None and result.binning_error_bound is not None
    idx = indices(deciles(data.pd, bins), data.pd)
    same_bin_pairs = sum(
        np.sum((idx == k) & (data.event == 1)) * np.sum((idx == k) & (data.event == 0))
        for k in np.unique(idx)
    )
    bound = 0.5 * same_bin_pairs / (np.sum(data.event == 1) * np.sum(data.event == 0))
    assert result.binning_error_bound == pytest.approx(bound, abs=TOL)
    assert abs(result.auc - raw) <= result.binning_error_bound + TOL
    assert result.binning_error_bound < 1.0 / bins  # the bound is informative, not vacuous
    # Every distinct score its own bin: no binning error at all.
    assert auc(count(exact(data.pd), data)).auc == pytest.approx(raw, abs=TOL)


def test_hanley_mcneil_standard_error_and_interval_equal_the_direct_formula(data: Scored) -> None:
    result = auc(count(deciles(data.pd), data), confidence=0.9)
    a = result.auc
    assert a is not None and result.auc_ci is not None and result.gini_ci is not None
    n_e, n_n = float(np.sum(data.event == 1)), float(np.sum(data.event == 0))
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = np.sqrt((a * (1 - a) + (n_e - 1) * (q1 - a * a) + (n_n - 1) * (q2 - a * a)) / (n_e * n_n))
    assert result.standard_error == pytest.approx(se, abs=1e-12)
    assert hanley_mcneil_se(a, n_e, n_n) == pytest.approx(se, abs=1e-12)
    z = st.norm.ppf(0.95)
    assert result.auc_ci == pytest.approx((a - z * se, a + z * se), abs=1e-12)
    assert result.gini_ci == pytest.approx((2 * (a - z * se) - 1, 2 * (a + z * se) - 1), abs=1e-12)


# --- KS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bins", [4, 10, 20])
def test_discrimination_ks_equals_ks_2samp_on_bin_indices(data: Scored, bins: int) -> None:
    binning = deciles(data.pd, bins)
    idx = indices(binning, data.pd)
    result = ks_discrimination(count(binning, data))
    on_bins = st.ks_2samp(idx[data.event == 1], idx[data.event == 0])
    assert result.value == pytest.approx(on_bins.statistic, abs=TOL)
    assert result.cutoff is not None
    below = data.pd < result.cutoff
    gap = abs(np.mean(below[data.event == 1]) - np.mean(below[data.event == 0]))
    assert gap == pytest.approx(result.value, abs=TOL)
    # Raw scores: never below the binned KS, and above it by at most the reported bound.
    raw = st.ks_2samp(data.pd[data.event == 1], data.pd[data.event == 0]).statistic
    assert result.value is not None and result.binning_error_bound is not None
    assert result.value - TOL <= raw <= result.value + result.binning_error_bound + TOL


def test_two_sample_ks_equals_ks_2samp_on_bin_indices(data: Scored) -> None:
    h = data.half
    binning = deciles(data.pd, 7)  # not the reference's own deciles: its bins are uneven
    idx = indices(binning, data.pd)
    for current in (slice(h, None), np.argsort(data.pd)[: len(data.pd) // 3]):
        reference_counts = BinCounts.from_values(binning, data.pd[:h].tolist())
        current_counts = BinCounts.from_values(binning, data.pd[current].tolist())
        result = ks_two_sample(reference_counts, current_counts)
        expected = st.ks_2samp(idx[:h], idx[current]).statistic
        assert result.value == pytest.approx(expected, abs=TOL)


# --- PSI / CSI -----------------------------------------------------------------------------


def numpy_psi(reference: np.ndarray, current: np.ndarray, eps: float = DEFAULT_EPSILON) -> float:
    r = reference / reference.sum()
    c = current / current.sum()
    r, c = np.where(r == 0, eps, r), np.where(c == 0, eps, c)
    return float(np.sum((c - r) * np.log(c / r)))


def test_psi_equals_a_direct_numpy_computation(data: Scored) -> None:
    h = data.half
    binning = deciles(data.pd[:h])
    size = len(binning.labels)
    reference_idx = indices(binning, data.pd[:h])
    reference = BinCounts.from_values(binning, data.pd[:h].tolist())
    shifted = np.sort(data.pd)[len(data.pd) // 2 :]  # the riskier half: empty low bins
    for current_values in (data.pd[h:], shifted):
        current = BinCounts.from_values(binning, current_values.tolist())
        result = population_stability_index(reference, current)
        expected = numpy_psi(
            np.bincount(reference_idx, minlength=size).astype(float),
            np.bincount(indices(binning, current_values), minlength=size).astype(float),
        )
        assert result.value == pytest.approx(expected, abs=TOL)
    assert result.smoothed_bins  # the shifted half leaves the lowest bins empty
    assert result.status == "red"


def test_csi_of_german_features_equals_numpy() -> None:
    rows = list(applications())
    first, second = rows[:500], rows[500:]
    for feature, kind in (("duration_months", "numeric"), ("purpose", "categorical")):
        reference_values = [r[feature] for r in first]
        current_values = [r[feature] for r in second]
        if kind == "numeric":
            binning = Binning.numeric_from_reference(reference_values)
        else:
            binning = Binning.categorical_from_reference(reference_values)
        result = characteristic_stability_index(
            BinCounts.from_values(binning, reference_values),
            BinCounts.from_values(binning, current_values),
            feature=feature,
        )
        size = len(binning.labels)
        r = np.bincount([binning.bin_of(v) for v in reference_values], minlength=size)
        c = np.bincount([binning.bin_of(v) for v in current_values], minlength=size)
        assert result.value == pytest.approx(numpy_psi(r.astype(float), c.astype(float)), abs=TOL)
        assert result.feature == feature and result.metric == "csi"
        if kind == "categorical":
            unseen = sorted({str(v) for v in current_values} - set(binning.categories))
            share = sum(v in unseen for v in current_values) / len(current_values)
            assert result.unseen_share == pytest.approx(share, abs=TOL)


# --- calibration ---------------------------------------------------------------------------


@pytest.mark.parametrize("binning_of", [deciles, exact])
def test_brier_equals_sklearn(data: Scored, binning_of: Callable[[np.ndarray], Binning]) -> None:
    binning = binning_of(data.pd)
    result = brier_score(count(binning, data))
    assert result.value == pytest.approx(brier_score_loss(data.event, data.pd), abs=TOL)
    assert result.value == pytest.approx(np.mean((data.pd - data.event) ** 2), abs=TOL)
    weighted = brier_score(count(binning, data, weighted=True))
    assert weighted.value == pytest.approx(
        brier_score_loss(data.event, data.pd, sample_weight=data.weight), abs=TOL
    )


def direct_bands(binning: Binning, data: Scored) -> list[tuple[int, float, float, float]]:
    """(bin, n, observed events, expected events) for every bin with rows."""
    idx = indices(binning, data.pd)
    return [
        (
            int(k),
            float(np.sum(idx == k)),
            float(data.event[idx == k].sum()),
            float(data.pd[idx == k].sum()),
        )
        for k in np.unique(idx)
    ]


@pytest.mark.parametrize("bins", [5, 10])
def test_hosmer_lemeshow_and_its_p_value_equal_direct_computation(data: Scored, bins: int) -> None:
    binning = deciles(data.pd, bins)
    bands = direct_bands(binning, data)
    statistic = sum((o - e) ** 2 / (e * (1 - e / n)) for _, n, o, e in bands)
    result = hosmer_lemeshow(count(binning, data))
    assert result.statistic == pytest.approx(statistic, abs=TOL)
    assert result.df == len(bands) - 2
    assert result.p_value == pytest.approx(st.chi2.sf(statistic, len(bands) - 2), abs=TOL)
    assert [g.label for g in result.groups] == [binning.labels[k] for k, *_ in bands]


def test_calibration_bands_equal_direct_computation(data: Scored) -> None:
    binning = deciles(data.pd)
    result = calibration(count(binning, data))
    bands = direct_bands(binning, data)
    measured = [b for b in result.bands if b.observed is not None]
    assert len(measured) == len(bands)
    for band, (k, n, observed, expected) in zip(measured, bands, strict=True):
        assert band.label == binning.labels[k] and band.n == n
        assert band.observed == pytest.approx(observed / n, abs=TOL)
        assert band.predicted == pytest.approx(expected / n, abs=TOL)
        wilson = st.binomtest(int(observed), int(n)).proportion_ci(0.95, method="wilson")
        assert band.observed_ci == pytest.approx((wilson.low, wilson.high), abs=TOL)
    assert result.overall.observed == pytest.approx(np.mean(data.event), abs=TOL)
    assert result.overall.predicted == pytest.approx(np.mean(data.pd), abs=TOL)
    # Rank ordering: consecutive bands whose observed rate moves against the predicted one.
    breaks = [
        (binning.labels[a[0]], binning.labels[b[0]])
        for a, b in zip(bands, bands[1:], strict=False)
        if (b[2] / b[1] - a[2] / a[1]) * (b[3] / b[1] - a[3] / a[1]) < 0
    ]
    assert list(result.rank_order.breaks) == breaks
    assert result.rank_order.monotonic == (not breaks)


# --- data quality --------------------------------------------------------------------------


def test_missing_and_out_of_range_rates_on_german_duration() -> None:
    rows = list(applications())
    reference = [r["duration_months"] for r in rows[:500]]
    current: list[float | None] = [r["duration_months"] for r in rows[500:]]
    for i in range(0, len(current), 17):
        current[i] = None
    binning = Binning.numeric_from_reference(reference)
    result = data_quality(BinCounts.from_values(binning, current), feature="duration_months")
    present = np.array([v for v in current if v is not None], dtype=float)
    assert result.missing.value == pytest.approx(current.count(None) / len(current), abs=TOL)
    outside = np.sum((present < min(reference)) | (present > max(reference)))
    assert outside > 0  # the second half has durations the first never saw
    assert result.out_of_range is not None
    assert result.out_of_range.value == pytest.approx(outside / len(current), abs=TOL)
