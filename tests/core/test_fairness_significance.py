"""attest.core.significance against scipy.stats and against published worked examples."""

from __future__ import annotations

import math

import pytest
import scipy.stats as st
from hypothesis import example, given, settings
from hypothesis import strategies as st_h
from scipy.stats.contingency import relative_risk

from attest.core.significance import (
    chi_square_2x2,
    fisher_exact_2x2,
    katz_ratio_interval,
    newcombe_difference_interval,
    normal_two_sided_p,
    smd_interval,
    two_proportion_z_test,
    wilson_interval,
    z_quantile,
)
from attest.errors import InvalidInput

TOL = 1e-9
cells = st_h.integers(0, 60) | st_h.integers(0, 5000)


@settings(max_examples=400)
@given(cells, cells, cells, cells)
@example(18, 2, 8, 3)
@example(47, 43, 43, 47)  # symmetric margins: probabilities tie exactly
@example(16883, 16848, 16848, 16883)
@example(0, 5, 0, 7)
@example(3, 0, 0, 3)
def test_fisher_exact_equals_scipy(a: int, b: int, c: int, d: int) -> None:
    expected = st.fisher_exact([[a, b], [c, d]]).pvalue
    assert fisher_exact_2x2(a, b, c, d) == pytest.approx(expected, abs=TOL)


def test_fisher_exact_on_large_and_extreme_tables() -> None:
    n = 10**8
    far = fisher_exact_2x2(n * 6 // 10, n * 4 // 10, n * 61 // 100, n * 39 // 100)
    assert far == 0.0  # below 1e-250
    near = fisher_exact_2x2(600_000, 400_000, 601_000, 399_000)
    assert near == pytest.approx(st.fisher_exact([[600_000, 400_000], [601_000, 399_000]]).pvalue)
    with pytest.raises(InvalidInput, match="table.c"):
        fisher_exact_2x2(1, 1, -1, 1)


@settings(max_examples=200)
@given(cells, cells, cells, cells, st_h.booleans())
def test_chi_square_equals_scipy(a: int, b: int, c: int, d: int, correction: bool) -> None:
    ours = chi_square_2x2(a, b, c, d, correction=correction)
    if min(a + b, c + d, a + c, b + d) == 0:
        assert ours is None
        return
    theirs = st.chi2_contingency([[a, b], [c, d]], correction=correction)
    assert ours == pytest.approx((theirs.statistic, theirs.pvalue), abs=TOL)


@settings(max_examples=200)
@given(st_h.integers(1, 500), st_h.integers(1, 500), st_h.data())
def test_z_test_squared_is_the_uncorrected_chi_square(
    n1: int, n2: int, data: st_h.DataObject
) -> None:
    x1 = data.draw(st_h.integers(0, n1))
    x2 = data.draw(st_h.integers(0, n2))
    z, p = two_proportion_z_test(x1 / n1, n1, x2 / n2, n2) or (math.nan, math.nan)
    chi = chi_square_2x2(x1, n1 - x1, x2, n2 - x2)
    if chi is None:
        assert (z, p) == (0.0, 1.0)
    else:
        assert (z * z, p) == pytest.approx(chi, abs=TOL)


@settings(max_examples=200)
@given(st_h.integers(1, 2000), st_h.data(), st_h.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_equals_scipy(n: int, data: st_h.DataObject, confidence: float) -> None:
    k = data.draw(st_h.integers(0, n))
    ci = st.binomtest(k, n).proportion_ci(confidence, method="wilson")
    assert wilson_interval(k / n, n, confidence=confidence) == pytest.approx(
        (ci.low, ci.high), abs=TOL
    )


@settings(max_examples=200)
@given(st_h.integers(1, 2000), st_h.integers(1, 2000), st_h.data())
def test_katz_equals_scipy_relative_risk(n1: int, n2: int, data: st_h.DataObject) -> None:
    x1 = data.draw(st_h.integers(1, n1))
    x2 = data.draw(st_h.integers(1, n2))
    ci = relative_risk(x1, n1, x2, n2).confidence_interval(0.95)
    assert katz_ratio_interval(x1 / n1, n1, x2 / n2, n2) == pytest.approx(
        (ci.low, ci.high), rel=TOL
    )


def test_katz_edge_cases() -> None:
    low, high = katz_ratio_interval(0.0, 10, 0.5, 10) or (math.nan, math.nan)
    # Haldane: 0.5 added to every cell for the upper limit, the lower limit is 0.
    c1, c2 = 0.5 / 11, 5.5 / 11
    se = math.sqrt((1 - c1) / 0.5 + (1 - c2) / 5.5)
    assert low == 0.0
    assert high == pytest.approx(math.exp(math.log(c1 / c2) + st.norm.ppf(0.975) * se), rel=1e-12)
    assert katz_ratio_interval(0.5, 10, 0.0, 10) is None  # no ratio without a reference rate
    assert katz_ratio_interval(0.5, 0, 0.5, 10) is None


def test_published_worked_examples() -> None:
    # Newcombe (1998), Stat Med 17:857 (single proportion) and 17:873 (difference), method 10.
    assert wilson_interval(81 / 263, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert newcombe_difference_interval(56 / 70, 70, 48 / 80, 80) == pytest.approx(
        (0.0524, 0.3339), abs=5e-5
    )
    assert newcombe_difference_interval(9 / 10, 10, 3 / 10, 10) == pytest.approx(
        (0.1705, 0.8090), abs=5e-5
    )


def test_normal_helpers_and_small_inputs() -> None:
    assert z_quantile(0.95) == pytest.approx(st.norm.ppf(0.975), abs=1e-12)
    assert normal_two_sided_p(1.0) == pytest.approx(2 * st.norm.sf(1.0), abs=1e-15)
    assert normal_two_sided_p(-9.0) == pytest.approx(2 * st.norm.sf(9.0), rel=1e-12)
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(InvalidInput, match="confidence"):
            z_quantile(bad)
    assert wilson_interval(0.5, 0) is None
    assert two_proportion_z_test(0.5, 0, 0.5, 10) is None
    assert newcombe_difference_interval(0.5, 0, 0.5, 10) is None
    d, n1, n2 = 0.4, 50.0, 70.0
    se = math.sqrt((n1 + n2) / (n1 * n2) + d * d / (2 * (n1 + n2)))
    assert smd_interval(d, n1, n2) == pytest.approx(
        (d - 1.959963984540054 * se, d + 1.959963984540054 * se)
    )
    assert smd_interval(d, 1, 1) is None
