"""Count-based metrics against independent oracles on raw rows.

Unweighted: fairlearn (MetricFrame and its fairness functions), scikit-learn and scipy.stats, to
1e-9. Weighted: fairlearn where it takes ``sample_weight``, and otherwise a direct weighted
computation written out plainly with numpy. Data: the fixed arrays in tests/data and the German
credit data (age < 25 vs ≥ 25, personal_status_sex, credit_risk as truth, a fixed score).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from fairlearn import metrics as flm
from scipy.stats.contingency import relative_risk
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix

from attest.core.counts import GroupCounts, Observation, ScoreHistogram, score_band
from attest.core.fairness import disparity_table, false_positive_rate, selection_rate
from attest.core.fairness import true_positive_rate as tpr_of
from attest.core.fairness_ll144 import ll144_impact_ratios
from attest.core.fairness_scores import calibration_by_group, standardized_mean_difference
from attest.core.fairness_summary import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
)
from tests.data.fairness_data import Columns, fixed, german

TOL = 1e-9
Z95 = st.norm.ppf(0.975)
DATASETS: dict[str, Callable[[], Columns]] = {"fixed": fixed, "german": german}
EDGES = [0.0, 0.25, 0.5, 0.75, 1.0]  # sklearn's uniform bins for n_bins=4; no score sits on one


@pytest.fixture(scope="module", params=sorted(DATASETS))
def data(request: pytest.FixtureRequest) -> Columns:
    return DATASETS[request.param]()


def observations(data: Columns, weights: np.ndarray | None = None) -> list[Observation]:
    return [
        Observation(
            (str(data.a[i]), str(data.b[i])),
            bool(data.y_pred[i]),
            bool(data.y_true[i]),
            float(data.score[i]),
            1.0 if weights is None else float(weights[i]),
        )
        for i in range(len(data))
    ]


def counts_of(
    data: Columns, which: str, *, weighted: bool = False, threshold: float | None = None
) -> GroupCounts:
    table = GroupCounts.from_rows(
        observations(data, data.weight if weighted else None),
        attributes=data.attributes,
        score_threshold=threshold,
    )
    return table.marginal(attributes_of(data, which))


def attributes_of(data: Columns, which: str) -> tuple[str, ...]:
    return {"a": data.attributes[:1], "b": data.attributes[1:], "ab": data.attributes}[which]


def features(data: Columns, which: str) -> Any:
    columns = {data.attributes[0]: data.a, data.attributes[1]: data.b}
    frame = pd.DataFrame({name: columns[name] for name in attributes_of(data, which)})
    return frame


def group_masks(data: Columns, which: str) -> dict[tuple[str, ...], np.ndarray]:
    values = {"a": (data.a,), "b": (data.b,), "ab": (data.a, data.b)}[which]
    keys = sorted({tuple(str(v[i]) for v in values) for i in range(len(data))})
    return {
        key: np.logical_and.reduce([v == k for v, k in zip(values, key, strict=True)])
        for key in keys
    }


def both_outcomes(data: Columns, which: str) -> bool:
    """TPR and FPR are defined in every group (fairlearn would warn and give NaN otherwise)."""
    return all(
        (data.y_true[m] == 1).any() and (data.y_true[m] == 0).any()
        for m in group_masks(data, which).values()
    )


def restrict(data: Columns, which: str) -> Columns:
    keep = np.zeros(len(data), dtype=bool)
    for mask in group_masks(data, which).values():
        if (data.y_true[mask] == 1).any() and (data.y_true[mask] == 0).any():
            keep |= mask
    return replace(
        data,
        a=data.a[keep],
        b=data.b[keep],
        y_true=data.y_true[keep],
        y_pred=data.y_pred[keep],
        score=data.score[keep],
        weight=data.weight[keep],
    )


# --- rates by group, confusion cells and fairlearn's summary metrics ------------------------


@pytest.mark.parametrize("which", ["a", "b", "ab"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_rates_by_group_equal_fairlearn_metricframe(
    data: Columns, which: str, weighted: bool
) -> None:
    counts = counts_of(data, which, weighted=weighted)
    metrics: dict[str, Any] = {"selection_rate": flm.selection_rate}
    ours: dict[str, Callable[..., float | None]] = {"selection_rate": selection_rate}
    if both_outcomes(data, which):
        metrics |= {"tpr": flm.true_positive_rate, "fpr": flm.false_positive_rate}
        ours |= {"tpr": tpr_of, "fpr": false_positive_rate}
    weights = {name: {"sample_weight": data.weight} for name in metrics} if weighted else None
    frame = flm.MetricFrame(
        metrics=metrics,
        y_true=data.y_true,
        y_pred=data.y_pred,
        sensitive_features=features(data, which),
        sample_params=weights,
    )
    by_group = frame.by_group
    for key in counts.groups():
        index = key if len(key) > 1 else key[0]
        for name, metric in ours.items():
            assert metric(counts.cell(key)) == pytest.approx(by_group.loc[index, name], abs=TOL)
    for name, metric in ours.items():
        assert metric(counts.overall()) == pytest.approx(frame.overall[name], abs=TOL)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_confusion_cells_equal_sklearn(data: Columns, weighted: bool) -> None:
    counts = counts_of(data, "ab", weighted=weighted)
    for key, mask in group_masks(data, "ab").items():
        tn, fp, fn, tp = confusion_matrix(
            data.y_true[mask],
            data.y_pred[mask],
            labels=[0, 1],
            sample_weight=data.weight[mask] if weighted else None,
        ).ravel()
        cell = counts.cell(key)
        assert (cell.tp, cell.fp, cell.tn, cell.fn) == pytest.approx((tp, fp, tn, fn), abs=TOL)


SUMMARIES = [
    (demographic_parity_difference, flm.demographic_parity_difference, {}),
    (demographic_parity_ratio, flm.demographic_parity_ratio, {}),
    (equal_opportunity_difference, flm.equal_opportunity_difference, {}),
    (equal_opportunity_ratio, flm.equal_opportunity_ratio, {}),
    (equalized_odds_difference, flm.equalized_odds_difference, {"agg": "worst_case"}),
    (equalized_odds_difference, flm.equalized_odds_difference, {"agg": "mean"}),
    (equalized_odds_ratio, flm.equalized_odds_ratio, {"agg": "worst_case"}),
    (equalized_odds_ratio, flm.equalized_odds_ratio, {"agg": "mean"}),
]


@pytest.mark.parametrize("which", ["a", "b", "ab"])
@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    ("ours", "theirs", "options"), SUMMARIES, ids=[f"{s[1].__name__}{s[2]}" for s in SUMMARIES]
)
def test_summary_metrics_equal_fairlearn(
    data: Columns,
    which: str,
    method: Any,
    weighted: bool,
    ours: Callable[..., float | None],
    theirs: Callable[..., float],
    options: dict[str, Any],
) -> None:
    if not both_outcomes(data, which):
        # fairlearn (through sklearn) reports 0 for a TPR or FPR with no denominator, where we
        # report no value: compare on the groups that have both outcomes.
        data = restrict(data, which)
    counts = counts_of(data, which, weighted=weighted)
    expected = theirs(
        data.y_true,
        data.y_pred,
        sensitive_features=features(data, which),
        method=method,
        sample_weight=data.weight if weighted else None,
        **options,
    )
    assert ours(counts, method=method, **options) == pytest.approx(expected, abs=TOL)


# --- intervals and tests against scipy --------------------------------------------------------


def hand_z_test(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float]:
    p1, p2, pooled = x1 / n1, x2 / n2, (x1 + x2) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return z, 2 * st.norm.sf(abs(z))


@pytest.mark.parametrize("which", ["a", "b", "ab"])
@pytest.mark.parametrize("reference", ["most_favoured", "fixed", "overall"])
def test_unweighted_tests_and_intervals_equal_scipy(
    data: Columns, which: str, reference: str
) -> None:
    counts = counts_of(data, which)
    masks = group_masks(data, which)
    ref: Any = counts.groups()[-1] if reference == "fixed" else reference
    table = disparity_table(counts, reference=ref)
    ref_mask = masks[table.reference_group] if table.reference_group else None
    for row in table.groups:
        mask = masks[row.group]
        x1, n1 = int(data.y_pred[mask].sum()), int(mask.sum())
        assert (row.count, row.n, row.n_eff, row.rate) == pytest.approx((x1, n1, n1, x1 / n1))
        wilson = st.binomtest(x1, n1).proportion_ci(0.95, method="wilson")
        assert row.rate_ci == pytest.approx((wilson.low, wilson.high), abs=TOL)
        if row.group == table.reference_group:
            assert row.ratio == 1.0 and row.p_value_z is None
            continue
        # Tests: against the reference group, or against everyone else for "overall".
        other = ~mask if ref_mask is None else ref_mask
        x2, n2 = int(data.y_pred[other].sum()), int(other.sum())
        if n2 == 0:
            assert row.p_value_z is None and row.p_value_fisher is None
            continue
        z, p = hand_z_test(x1, n1, x2, n2)
        assert (row.z, row.p_value_z) == pytest.approx((z, p), abs=TOL)
        chi2 = st.chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)
        assert row.p_value_z == pytest.approx(chi2.pvalue, abs=TOL)
        fisher = st.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])
        assert row.p_value_fisher == pytest.approx(fisher.pvalue, abs=TOL)
        # Ratio and difference: against the reference rate (the overall rate for "overall").
        xr, nr = (
            (int(data.y_pred.sum()), len(data))
            if ref_mask is None
            else (int(data.y_pred[ref_mask].sum()), int(ref_mask.sum()))
        )
        assert row.difference == pytest.approx(x1 / n1 - xr / nr, abs=TOL)
        if xr == 0:
            assert row.ratio is None and row.ratio_ci is None
            assert "reference_rate_zero" in row.flags
            continue
        assert row.ratio == pytest.approx((x1 / n1) / (xr / nr), abs=TOL)
        assert row.difference == pytest.approx(x1 / n1 - xr / nr, abs=TOL)
        if x1 > 0:
            katz = relative_risk(x1, n1, xr, nr).confidence_interval(0.95)
            assert row.ratio_ci == pytest.approx((katz.low, katz.high), abs=TOL)


def test_a_rate_without_denominator_is_no_data_not_zero() -> None:
    rows = [Observation(("a",), True, True), Observation(("b",), False, True)]
    counts = GroupCounts.from_rows(rows, attributes=["g"])
    assert false_positive_rate(counts.cell(("a",))) is None
    table = disparity_table(counts, metric="false_positive_rate", min_n_eff=0)
    assert [row.flags for row in table.groups] == [("no_data",), ("no_data",)]
    assert equalized_odds_difference(counts) is None
    assert equal_opportunity_difference(counts) == 1.0


def test_disparity_table_on_true_positive_rate_is_equal_opportunity(data: Columns) -> None:
    counts = counts_of(data, "a")
    table = disparity_table(counts, metric="true_positive_rate", reference="most_favoured")
    gaps = [-row.difference for row in table.groups if row.difference is not None]
    assert max(gaps) == pytest.approx(
        flm.equal_opportunity_difference(
            data.y_true, data.y_pred, sensitive_features=features(data, "a")
        ),
        abs=TOL,
    )


# --- scores: SMD, calibration, LL144 -----------------------------------------------------------


@pytest.mark.parametrize("which", ["a", "b"])
def test_unweighted_smd_is_cohens_d_from_scipys_t(data: Columns, which: str) -> None:
    counts = counts_of(data, which)
    masks = group_masks(data, which)
    reference = counts.groups()[0]
    table = standardized_mean_difference(counts, reference=reference)
    for row in table.groups:
        if row.group == reference or row.n < 2:
            continue
        g, r = data.score[masks[row.group]], data.score[masks[reference]]
        t = st.ttest_ind(g, r, equal_var=True).statistic
        assert row.smd == pytest.approx(t * math.sqrt(1 / len(g) + 1 / len(r)), abs=TOL)
        assert row.mean == pytest.approx(g.mean(), abs=TOL)
        assert row.sd == pytest.approx(g.std(ddof=1), abs=TOL)


@pytest.mark.parametrize("which", ["a", "b"])
def test_unweighted_calibration_equals_sklearn_calibration_curve(data: Columns, which: str) -> None:
    assert not np.isin(data.score, EDGES[1:-1]).any()
    rows = [
        Observation((str(g), score_band(float(s), EDGES)), bool(p), bool(t), float(s))
        for g, s, p, t in zip(
            data.a if which == "a" else data.b, data.score, data.y_pred, data.y_true, strict=True
        )
    ]
    counts = GroupCounts.from_rows(rows, attributes=("group", "band"))
    table = calibration_by_group(counts, band_attribute="band", edges=EDGES)
    masks = group_masks(data, which)
    for group in table.groups:
        mask = masks[group.group]
        prob_true, prob_pred = calibration_curve(
            data.y_true[mask], data.score[mask], n_bins=4, strategy="uniform"
        )
        filled = [b for b in group.bands if b.n > 0]
        assert [b.observed for b in filled] == pytest.approx(list(prob_true), abs=TOL)
        assert [b.predicted for b in filled] == pytest.approx(list(prob_pred), abs=TOL)
        assert group.overall.observed == pytest.approx(data.y_true[mask].mean(), abs=TOL)


def test_ll144_rates_and_ratios_equal_numpy(data: Columns) -> None:
    median = ScoreHistogram.from_rows(observations(data), attributes=data.attributes).median()
    assert median == np.median(data.score)
    counts = counts_of(data, "ab", threshold=median)
    for form, outcome in [("selection", data.y_pred == 1), ("scoring", data.score > median)]:
        report = ll144_impact_ratios(counts, form=form, exclusion_share=0.0)  # type: ignore[arg-type]
        for table in report.tables:
            which = {1: "a" if table.attributes == data.attributes[:1] else "b", 2: "ab"}[
                len(table.attributes)
            ]
            masks = group_masks(data, which)
            rates = {key: outcome[mask].mean() for key, mask in masks.items()}
            best = max(rate for key, rate in rates.items() if "unknown" not in key)
            for row in table.rows:
                assert row.n == masks[row.category].sum()
                assert row.rate == pytest.approx(rates[row.category], abs=TOL)
                if "unknown" in row.category:  # counted, never in a ratio
                    assert row.unknown and row.impact_ratio is None
                    continue
                assert row.impact_ratio == pytest.approx(rates[row.category] / best, abs=TOL)


# --- weighted metrics against a plain numpy computation ----------------------------------------


def wilson(p: float, n: float) -> tuple[float, float]:
    z2 = Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)


@pytest.mark.parametrize("which", ["a", "b", "ab"])
def test_weighted_disparity_table_equals_numpy(data: Columns, which: str) -> None:
    counts = counts_of(data, which, weighted=True)
    masks = group_masks(data, which)
    table = disparity_table(counts, reference="most_favoured", min_n_eff=0)
    w, sel = data.weight, data.y_pred
    stats = {}
    for key, m in masks.items():
        n, n_eff = w[m].sum(), w[m].sum() ** 2 / (w[m] ** 2).sum()
        stats[key] = (np.sum(w[m] * sel[m]) / n, n, n_eff)
    best = max(stats, key=lambda k: stats[k][0])
    assert table.reference_group == best
    pr, _, nr = stats[best]
    for row in table.groups:
        p, n, n_eff = stats[row.group]
        assert (row.rate, row.n, row.n_eff) == pytest.approx((p, n, n_eff), abs=TOL)
        assert row.rate_ci == pytest.approx(wilson(p, n_eff), abs=TOL)
        if row.group == best:
            continue
        assert row.ratio == pytest.approx(p / pr, abs=TOL)
        if p > 0:
            se = math.sqrt((1 - p) / (p * n_eff) + (1 - pr) / (pr * nr))
            low, high = math.exp(math.log(p / pr) - Z95 * se), math.exp(math.log(p / pr) + Z95 * se)
            assert row.ratio_ci == pytest.approx((low, high), abs=TOL)
        pooled = (p * n_eff + pr * nr) / (n_eff + nr)
        z = (p - pr) / math.sqrt(pooled * (1 - pooled) * (1 / n_eff + 1 / nr))
        assert row.z == pytest.approx(z, abs=TOL)
        assert row.p_value_z == pytest.approx(2 * st.norm.sf(abs(z)), abs=TOL)
        x1, t1, x2, t2 = round(p * n_eff), round(n_eff), round(pr * nr), round(nr)
        fisher = st.fisher_exact([[x1, t1 - x1], [x2, t2 - x2]]).pvalue
        assert row.p_value_fisher == pytest.approx(fisher, abs=TOL)


@pytest.mark.parametrize("which", ["a", "b"])
def test_weighted_smd_equals_numpy(data: Columns, which: str) -> None:
    counts = counts_of(data, which, weighted=True)
    masks = group_masks(data, which)
    table = standardized_mean_difference(counts, reference="overall", min_n_eff=0)

    def moments(m: np.ndarray) -> tuple[float, float, float]:
        w, s = data.weight[m], data.score[m]
        mean = np.sum(w * s) / w.sum()
        var = np.sum(w * (s - mean) ** 2) / (w.sum() - np.sum(w**2) / w.sum())
        return mean, var, w.sum() ** 2 / np.sum(w**2)

    mr, vr, nr = moments(np.ones(len(data), dtype=bool))
    for row in table.groups:
        mean, var, n_eff = moments(masks[row.group])
        pooled = ((n_eff - 1) * var + (nr - 1) * vr) / (n_eff + nr - 2)
        assert row.mean == pytest.approx(mean, abs=TOL)
        assert row.sd == pytest.approx(math.sqrt(var), abs=TOL)
        assert row.smd == pytest.approx((mean - mr) / math.sqrt(pooled), abs=TOL)


def test_weighted_calibration_equals_numpy(data: Columns) -> None:
    rows = [
        Observation((str(g), score_band(float(s), EDGES)), bool(p), bool(t), float(s), float(w))
        for g, s, p, t, w in zip(
            data.b, data.score, data.y_pred, data.y_true, data.weight, strict=True
        )
    ]
    counts = GroupCounts.from_rows(rows, attributes=("group", "band"))
    table = calibration_by_group(counts, band_attribute="band", edges=EDGES, min_n_eff=0)
    bands = np.searchsorted(EDGES, data.score, side="right") - 1
    for group in table.groups:
        for i, band in enumerate(group.bands):
            m = (data.b == group.group[0]) & (bands == i)
            if not m.any():
                assert band.n == 0 and band.observed is None
                continue
            w = data.weight[m]
            assert band.observed == pytest.approx(np.sum(w * data.y_true[m]) / w.sum(), abs=TOL)
            assert band.predicted == pytest.approx(np.sum(w * data.score[m]) / w.sum(), abs=TOL)
            n_eff = w.sum() ** 2 / np.sum(w**2)
            assert band.observed_ci == pytest.approx(wilson(band.observed, n_eff), abs=TOL)


def test_unit_weights_take_the_unweighted_path_exactly(data: Columns) -> None:
    """Weights of exactly 1.0 give bit-identical counts and results to unweighted counting."""
    ones = np.ones(len(data))
    weighted = GroupCounts.from_rows(observations(data, ones), attributes=data.attributes)
    plain = GroupCounts.from_rows(
        [Observation(o.group, o.selected, o.truth, o.score) for o in observations(data)],
        attributes=data.attributes,
    )
    assert weighted == plain
    for key in plain.groups():
        assert plain.cell(key).n_eff == plain.cell(key).n
    for reference in ("most_favoured", "overall"):
        assert (
            disparity_table(weighted, reference=reference).to_json()
            == disparity_table(plain, reference=reference).to_json()
        )
