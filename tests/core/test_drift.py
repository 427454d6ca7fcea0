"""Monitoring metrics on small hand-checked counts: values, status bands, what is recorded, and
"not measurable" (never 0) when the inputs are empty."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import scipy.stats as st

from attest.core.bins import UNSEEN, BinCounts, Binning
from attest.core.calibration import (
    HL_P_THRESHOLDS,
    NO_SCORES,
    OUTSIDE_CI,
    brier_score,
    calibration,
    chi_square_sf,
    hosmer_lemeshow,
    rank_order,
    regularized_gamma_p,
    regularized_gamma_q,
)
from attest.core.drift import (
    AMBER,
    AUC_THRESHOLDS,
    CSI_THRESHOLDS,
    GREEN,
    KS_THRESHOLDS,
    NOT_MEASURABLE,
    PSI_THRESHOLDS,
    RED,
    Thresholds,
    approval_rate,
    auc,
    data_quality,
    ks_discrimination,
    ks_two_sample,
    override_rate,
    rate,
    relative_decline,
    status,
)
from attest.core.stability import (
    EPSILON_APPLIED,
    NO_REFERENCE_MASS,
    characteristic_stability_index,
    population_stability_index,
)
from attest.errors import InvalidInput

SCORE = Binning("numeric", edges=(0.25, 0.5, 0.75), reference_min=0.0, reference_max=1.0)


def plain_json(result: Any) -> Any:
    """The result's JSON, refusing NaN and infinities as strict JSON does."""
    return json.loads(json.dumps(result.to_json(), allow_nan=False))


def counts(n: list[float], **fields: list[float]) -> BinCounts:
    return BinCounts(SCORE, n=tuple(n), **{k: tuple(v) for k, v in fields.items()})


# --- status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, GREEN), (0.0999, GREEN), (0.10, AMBER), (0.2, AMBER), (0.25, AMBER), (0.2501, RED)],
)
def test_psi_bands_follow_the_catalogue(value: float, expected: str) -> None:
    """MON-PSI: < 0.10 no significant shift, 0.10–0.25 moderate, > 0.25 significant."""
    assert status(value, PSI_THRESHOLDS) == expected
    assert status(value, CSI_THRESHOLDS) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.9, GREEN), (0.7001, GREEN), (0.70, AMBER), (0.65, AMBER), (0.60, AMBER), (0.59, RED)],
)
def test_lower_is_worse_bands_mirror_the_higher_ones(value: float, expected: str) -> None:
    assert status(value, AUC_THRESHOLDS) == expected


@pytest.mark.parametrize("value", [None, math.nan, math.inf])
def test_no_value_is_not_measurable_never_green(value: float | None) -> None:
    for thresholds in (PSI_THRESHOLDS, AUC_THRESHOLDS, KS_THRESHOLDS, HL_P_THRESHOLDS):
        assert status(value, thresholds) == NOT_MEASURABLE


def test_thresholds_in_the_wrong_order_are_refused() -> None:
    with pytest.raises(InvalidInput, match="thresholds.red"):
        Thresholds(0.25, 0.10)
    with pytest.raises(InvalidInput, match="thresholds.red"):
        Thresholds(0.6, 0.7, higher_is_worse=False)
    with pytest.raises(InvalidInput, match="thresholds.amber"):
        Thresholds(math.nan, 0.1)


# --- PSI / CSI -----------------------------------------------------------------------------


def test_psi_of_a_hand_computed_shift() -> None:
    reference = counts([25, 25, 25, 25, 0])
    current = counts([10, 20, 30, 40, 0])
    expected = sum((c - 0.25) * math.log(c / 0.25) for c in (0.1, 0.2, 0.3, 0.4))
    result = population_stability_index(reference, current)
    assert result.value == pytest.approx(expected, abs=1e-15)
    assert result.status == AMBER  # 0.2282
    assert result.metric == "psi" and result.smoothed_bins == () and result.epsilon == 1e-4
    assert [b.contribution for b in result.bins][0] == pytest.approx(
        (0.1 - 0.25) * math.log(0.4), abs=1e-15
    )
    assert population_stability_index(reference, reference).value == 0.0


def test_empty_bins_get_the_recorded_epsilon_and_no_reference_mass_is_reported() -> None:
    reference = counts([50, 50, 0, 0, 0])
    current = counts([50, 0, 40, 0, 10])  # bin 1 emptied; bin 2 and missing are new
    result = population_stability_index(reference, current, epsilon=1e-3)
    eps = 1e-3
    expected = (
        0.0  # bin 0: 0.5 vs 0.5
        + (eps - 0.5) * math.log(eps / 0.5)
        + (0.4 - eps) * math.log(0.4 / eps)
        + (0.1 - eps) * math.log(0.1 / eps)
    )
    assert result.value == pytest.approx(expected, abs=1e-15)
    assert result.epsilon == 1e-3
    assert result.smoothed_bins == (SCORE.labels[1], SCORE.labels[2], "missing")
    assert result.no_reference_bins == ((SCORE.labels[2], 0.4), ("missing", 0.1))
    assert result.bins[3].flags == ()  # empty on both sides: no term, no epsilon
    assert result.bins[2].flags == (EPSILON_APPLIED, NO_REFERENCE_MASS)
    assert result.status == RED
    without_missing = population_stability_index(reference, current, include_missing=False)
    assert without_missing.current_n == 90 and len(without_missing.bins) == 4
    plain_json(result)


def test_csi_is_named_per_feature_and_reports_unseen_categories() -> None:
    binning = Binning.categorical_from_reference(["A11", "A12", "A14"])
    reference = BinCounts.from_values(binning, ["A11"] * 40 + ["A12"] * 30 + ["A14"] * 30)
    current = BinCounts.from_values(binning, ["A11"] * 40 + ["A12"] * 30 + ["A13"] * 30)
    result = characteristic_stability_index(reference, current, feature="checking_status")
    assert result.metric == "csi" and result.feature == "checking_status"
    assert result.unseen_share == 0.3
    assert (UNSEEN, 0.3) in result.no_reference_bins
    assert result.status == RED
    assert plain_json(result)["no_reference_bins"] == [{"label": UNSEEN, "current_share": 0.3}]
    with pytest.raises(InvalidInput, match="feature"):
        characteristic_stability_index(reference, current, feature="")


def test_psi_without_reference_mass_or_current_rows_is_not_measurable() -> None:
    some = counts([1, 2, 3, 4, 0])
    for reference, current, why in (
        (counts([0] * 5), some, "reference"),
        (some, counts([0] * 5), "current"),
    ):
        result = population_stability_index(reference, current)
        assert result.value is None and result.status == NOT_MEASURABLE
        assert result.reason is not None and why in result.reason
        assert plain_json(result)["value"] is None


def test_psi_refuses_other_binnings_and_bad_epsilon() -> None:
    other = BinCounts(Binning("numeric", edges=(0.5,)), n=(1.0, 1.0, 0.0))
    with pytest.raises(InvalidInput, match="binning"):
        population_stability_index(counts([1, 1, 1, 1, 0]), other)
    with pytest.raises(InvalidInput, match="epsilon"):
        population_stability_index(counts([1] * 5), counts([1] * 5), epsilon=0.0)


# --- KS and AUC ----------------------------------------------------------------------------


def scored(events: list[float], non_events: list[float]) -> BinCounts:
    labelled = [e + g for e, g in zip(events, non_events, strict=True)]
    return counts(list(labelled), events=events, labelled=labelled, labelled_sq=labelled)


def test_auc_counts_ties_as_half_and_respects_orientation() -> None:
    table = scored([0, 1, 2, 3, 0], [3, 2, 1, 0, 0])
    # Pairs: events above non-events... computed by hand over the 6 x 6 event/non-event pairs.
    wins = 1 * (3 + 0.5 * 2) + 2 * (3 + 2 + 0.5 * 1) + 3 * (3 + 2 + 1 + 0.5 * 0)
    result = auc(table)
    assert result.auc == pytest.approx(wins / 36, abs=1e-15)
    assert result.gini == pytest.approx(2 * wins / 36 - 1, abs=1e-15)
    assert result.binning_error_bound == pytest.approx((2 + 2) / 2 / 36, abs=1e-15)
    flipped = auc(table, higher_is_event=False)
    assert flipped.auc == pytest.approx(1 - result.auc, abs=1e-15)
    assert result.auc_ci is not None and result.auc_ci[0] < result.auc < result.auc_ci[1]
    assert result.status == GREEN
    plain_json(result)


def test_hanley_mcneil_interval_uses_the_confidence_level() -> None:
    table = scored([5, 10, 20, 30, 0], [40, 20, 10, 5, 0])
    narrow, wide = auc(table, confidence=0.80), auc(table, confidence=0.99)
    assert narrow.auc == wide.auc and narrow.standard_error == wide.standard_error
    assert narrow.auc_ci is not None and wide.auc_ci is not None and narrow.standard_error
    half = narrow.auc_ci[1] - narrow.auc
    assert half == pytest.approx(st.norm.ppf(0.9) * narrow.standard_error, rel=1e-12)
    assert wide.auc_ci[0] < narrow.auc_ci[0]


@pytest.mark.parametrize(
    ("events", "non_events", "why"),
    [
        ([0, 0, 0, 0, 0], [0, 0, 0, 0, 0], "no labelled rows"),
        ([0, 0, 0, 0, 0], [1, 2, 3, 4, 0], "no events"),
        ([1, 2, 3, 4, 0], [0, 0, 0, 0, 0], "no non-events"),
        ([0, 0, 0, 0, 3], [0, 0, 0, 0, 3], "no labelled rows"),  # only in the missing bin
    ],
)
def test_discrimination_without_both_outcomes_is_not_measurable(
    events: list[float], non_events: list[float], why: str
) -> None:
    table = scored(events, non_events)
    area, ks = auc(table), ks_discrimination(table)
    for result in (area, ks):
        assert result.status == NOT_MEASURABLE
        assert result.reason is not None and why in result.reason
    assert area.auc is None and area.gini is None and area.auc_ci is None and ks.value is None
    assert plain_json(area)["auc"] is None and plain_json(ks)["value"] is None


def test_ks_and_its_cutoff_on_a_hand_computed_table() -> None:
    table = scored([0, 1, 2, 3, 0], [3, 2, 1, 0, 0])
    result = ks_discrimination(table)
    # Cumulative events 0, 1/6, 3/6, 1; non-events 3/6, 5/6, 1, 1: largest gap 4/6 after bin 1.
    assert result.value == pytest.approx(4 / 6, abs=1e-15)
    assert result.cutoff == 0.5
    assert result.status == GREEN
    assert ks_two_sample(counts([1, 1, 1, 1, 0]), counts([1, 1, 1, 1, 9])).value == 0.0


def test_ks_and_auc_need_an_ordered_binning() -> None:
    binning = Binning.categorical_from_reference(["a", "b"])
    table = BinCounts.from_values(binning, ["a", "b"], outcomes=[1, 0])
    for call in (auc, ks_discrimination):
        with pytest.raises(InvalidInput, match="binning"):
            call(table)


def test_relative_decline_against_development() -> None:
    result = relative_decline("gini", 0.44, 0.5)
    assert result.relative_decline == pytest.approx(0.12) and result.status == AMBER
    assert relative_decline("ks", 0.30, 0.40).status == RED
    assert relative_decline("ks", 0.42, 0.40).status == GREEN
    missing = relative_decline("gini", None, 0.5)
    assert missing.status == NOT_MEASURABLE and missing.relative_decline is None
    assert relative_decline("gini", 0.4, 0.0).status == NOT_MEASURABLE


# --- calibration ---------------------------------------------------------------------------


def test_calibration_brier_and_hl_without_outcomes_are_not_measurable() -> None:
    binning = Binning("numeric", edges=(0.5,))
    table = BinCounts.from_values(binning, [0.2, 0.7], scores=[0.2, 0.7])  # no outcomes yet
    brier, hl, bands = brier_score(table), hosmer_lemeshow(table), calibration(table)
    assert brier.value is None and brier.status == NOT_MEASURABLE and brier.reason
    assert hl.statistic is None and hl.p_value is None and hl.status == NOT_MEASURABLE
    assert bands.status == NOT_MEASURABLE and bands.overall.observed is None
    assert bands.rank_order.monotonic is None
    for result in (brier, hl, bands):
        assert plain_json(result)["reason"]


def test_hl_needs_three_bands() -> None:
    binning = Binning("numeric", edges=(0.5,))
    table = BinCounts.from_values(
        binning, [0.2, 0.2, 0.7, 0.7], outcomes=[0, 1, 1, 0], scores=[0.2, 0.2, 0.7, 0.7]
    )
    result = hosmer_lemeshow(table)
    assert result.status == NOT_MEASURABLE and result.reason and "3 bands" in result.reason
    assert brier_score(table).value == pytest.approx((0.04 + 0.64 + 0.09 + 0.49) / 4)


def test_hosmer_lemeshow_by_hand() -> None:
    values = [0.1] * 10 + [0.4] * 10 + [0.8] * 10
    outcomes = [1] + [0] * 9 + [1] * 6 + [0] * 4 + [1] * 8 + [0] * 2
    table = BinCounts.from_values(SCORE, values, outcomes=outcomes, scores=values)
    result = hosmer_lemeshow(table)
    expected = (
        (1 - 1) ** 2 / (10 * 0.1 * 0.9)
        + (6 - 4) ** 2 / (10 * 0.4 * 0.6)
        + (8 - 8) ** 2 / (10 * 0.8 * 0.2)
    )
    assert result.statistic == pytest.approx(expected, abs=1e-12)
    assert result.df == 1
    assert result.p_value == pytest.approx(st.chi2.sf(expected, 1), abs=1e-12)
    assert result.status == GREEN
    assert [g.label for g in result.groups] == [SCORE.labels[0], SCORE.labels[1], SCORE.labels[3]]
    plain_json(result)


def test_a_band_predicting_exactly_zero_makes_hl_not_measurable() -> None:
    values = [0.0] * 5 + [0.4] * 5 + [0.8] * 5
    table = BinCounts.from_values(SCORE, values, outcomes=[0, 1] * 7 + [0], scores=values)
    result = hosmer_lemeshow(table)
    assert result.status == NOT_MEASURABLE and result.reason and "0 or 1" in result.reason


def test_rank_order_breaks_and_ties_are_named() -> None:
    values = [0.1] * 10 + [0.3] * 10 + [0.6] * 10 + [0.9] * 10
    outcomes = [1] * 2 + [0] * 8 + [1] * 1 + [0] * 9 + [1] * 1 + [0] * 9 + [1] * 9 + [0]
    table = BinCounts.from_values(SCORE, values, outcomes=outcomes, scores=values)
    result = calibration(table).rank_order
    assert result.breaks == ((SCORE.labels[0], SCORE.labels[1]),)
    assert result.ties == ((SCORE.labels[1], SCORE.labels[2]),)
    assert result.monotonic is False and result.bands == 4
    # A score of P(good) binned in the same bands: the predicted PD falls as the bins rise.
    pd = [1 - v for v in values]
    flipped = BinCounts.from_values(SCORE, values, outcomes=outcomes, scores=pd)
    assert calibration(flipped).rank_order.breaks == ((SCORE.labels[2], SCORE.labels[3]),)
    assert rank_order([]).monotonic is None


def test_calibration_bands_flag_a_prediction_outside_the_interval() -> None:
    values = [0.1] * 100 + [0.6] * 100
    outcomes = [1] * 30 + [0] * 70 + [1] * 60 + [0] * 40  # low band observed 0.30 vs 0.10
    table = BinCounts.from_values(SCORE, values, outcomes=outcomes, scores=values)
    result = calibration(table)
    low, high = result.bands[0], result.bands[2]
    assert low.observed == 0.3 and low.predicted == pytest.approx(0.1) and OUTSIDE_CI in low.flags
    assert high.observed == 0.6 and high.flags == ()
    assert result.overall.n == 200 and result.overall.observed == 0.45
    plain_json(result)


def test_labelled_rows_without_scores_are_left_out_or_refused() -> None:
    binning = Binning("numeric", edges=(0.5,))
    # The score's own missing bin: outcomes known, no score. Left out, flagged.
    table = BinCounts.from_values(binning, [0.2, None], outcomes=[1, 0], scores=[0.2, None])
    result = calibration(table)
    assert NO_SCORES in result.bands[2].flags and result.overall.n == 1
    # Some labelled rows of one bin scored and some not: cannot be calibrated.
    mixed = BinCounts.from_values(binning, [0.2, 0.3], outcomes=[1, 0], scores=[0.2, None])
    for call in (brier_score, calibration, hosmer_lemeshow):
        with pytest.raises(InvalidInput, match=r"labelled_scored\[0\]"):
            call(mixed)


# --- the incomplete gamma function ---------------------------------------------------------


@pytest.mark.parametrize("a", [0.5, 1.0, 2.5, 4.0, 17.0, 250.0])
def test_regularized_gamma_matches_scipy_and_sums_to_one(a: float) -> None:
    import scipy.special as sp

    for x in (1e-6, 0.3, a / 2, a, a + 1, a + 1.0001, 2 * a + 5, 10 * a + 40):
        p, q = regularized_gamma_p(a, x), regularized_gamma_q(a, x)
        assert p == pytest.approx(sp.gammainc(a, x), rel=1e-11, abs=1e-14)
        assert q == pytest.approx(sp.gammaincc(a, x), rel=1e-10, abs=1e-300)
        assert p + q == pytest.approx(1.0, abs=1e-13)


def test_chi_square_tail_on_edges_and_bad_input() -> None:
    assert chi_square_sf(0.0, 3) == 1.0
    assert chi_square_sf(math.inf, 3) == 0.0
    assert chi_square_sf(400.0, 8) == pytest.approx(st.chi2.sf(400.0, 8), rel=1e-10)
    with pytest.raises(InvalidInput, match="df"):
        chi_square_sf(1.0, 0)
    with pytest.raises(InvalidInput, match="x"):
        regularized_gamma_q(1.0, -1.0)


# --- data quality and rates ----------------------------------------------------------------


def test_data_quality_rates() -> None:
    table = BinCounts.from_values(SCORE, [0.1, -0.5, 1.5, None, 0.6, None, 0.7, 0.8])
    result = data_quality(table, feature="score")
    assert result.missing.value == 0.25 and result.missing.count == 2
    assert result.out_of_range is not None and result.out_of_range.value == 0.25
    assert result.unseen is None
    assert result.missing.ci is not None and result.missing.ci[0] < 0.25 < result.missing.ci[1]
    binning = Binning.categorical_from_reference(["a"])
    categorical = data_quality(BinCounts.from_values(binning, ["a", "b", "c", None]))
    assert categorical.unseen is not None and categorical.unseen.value == 0.5
    assert categorical.out_of_range is None
    empty = data_quality(BinCounts.empty(SCORE))
    assert empty.missing.value is None and empty.missing.status == NOT_MEASURABLE
    plain_json(result)
    plain_json(empty)


def test_approval_and_override_rates_with_wilson_intervals() -> None:
    approved = approval_rate(70, 100)
    z = st.norm.ppf(0.975)
    centre = (0.7 + z * z / 200) / (1 + z * z / 100)
    half = z / (1 + z * z / 100) * math.sqrt(0.7 * 0.3 / 100 + z * z / 40000)
    assert approved.value == 0.7
    assert approved.ci == pytest.approx((centre - half, centre + half), abs=1e-12)
    overrides = override_rate(0, 0)
    assert overrides.value is None and overrides.status == NOT_MEASURABLE and overrides.reason
    assert override_rate(3, 50).value == 0.06
    with pytest.raises(InvalidInput, match="override_rate.count"):
        override_rate(51, 50)
    assert rate("x", 1, 4, thresholds=Thresholds(0.2, 0.3)).status == AMBER
