"""Confidence intervals and significance tests for rates, written out so that the arithmetic is
inspectable in an examination and needs nothing beyond the standard library.

Weighted data (BISG probabilities, sampling weights) enter every function through an effective
sample size: a weighted rate ``p`` over Kish's ``n_eff = (Σw)²/Σw²`` is treated as ``p·n_eff``
successes in ``n_eff`` trials, the design-effect approach of Korn & Graubard (1998) and of Dean &
Pagano (2015) for binomial intervals from weighted samples. With all weights 1, ``n_eff = n`` and
each function is the textbook one; the oracle tests check them against scipy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

from attest.errors import InvalidInput

Interval = tuple[float, float]

# Two-sided Fisher p-value: tables whose probability is within this relative tolerance of the
# observed one count as "as extreme" (the tolerance R's fisher.test uses; scipy's is 1e-14).
_FISHER_TIES = 1e-7
# Tables less likely than exp(-600) of the mode's probability: the p-value is below 1e-250.
_FISHER_LOG_FLOOR = -600.0


def z_quantile(confidence: float) -> float:
    """The two-sided normal critical value: 1.959964 for 95 %."""
    if not 0 < confidence < 1:
        raise InvalidInput("confidence: must be strictly between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def normal_two_sided_p(z: float) -> float:
    """P(|Z| ≥ |z|), via erfc so that small p-values keep their precision."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def wilson_interval(rate: float, n_eff: float, *, confidence: float = 0.95) -> Interval | None:
    """Wilson score interval for a proportion (Wilson 1927, JASA 22:209-212), on ``n_eff``.

    Unlike the Wald interval it stays inside [0, 1] and keeps its coverage near 0 and 1, where
    approval rates of small groups often sit. None when there is no data.
    """
    if n_eff <= 0:
        return None
    z = z_quantile(confidence)
    z2 = z * z
    denominator = 1 + z2 / n_eff
    centre = (rate + z2 / (2 * n_eff)) / denominator
    half = z / denominator * math.sqrt(max(rate * (1 - rate), 0.0) / n_eff + z2 / (4 * n_eff**2))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def newcombe_difference_interval(
    p1: float, n1: float, p2: float, n2: float, *, confidence: float = 0.95
) -> Interval | None:
    """Interval for ``p1 - p2`` by Newcombe's hybrid score method (Stat Med 1998 17:873, no. 10).

    Built from the two Wilson intervals, so it inherits their behaviour near 0 and 1.
    """
    w1 = wilson_interval(p1, n1, confidence=confidence)
    w2 = wilson_interval(p2, n2, confidence=confidence)
    if w1 is None or w2 is None:
        return None
    (l1, u1), (l2, u2) = w1, w2
    d = p1 - p2
    return (
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def katz_ratio_interval(
    p1: float, n1: float, p2: float, n2: float, *, confidence: float = 0.95
) -> Interval | None:
    """Interval for ``p1 / p2`` on the log scale (Katz et al. 1978, Biometrics 34:469-474).

    ``Var(log p1/p2) = (1-p1)/x1 + (1-p2)/x2`` with ``x = p·n_eff`` successes. When group 1 has
    no successes the ratio is 0, the lower limit 0, and the upper limit uses the Haldane 0.5
    correction on every cell. None when ``p2`` is 0 (no ratio) or a group has no data.
    """
    if n1 <= 0 or n2 <= 0 or p2 <= 0:
        return None
    z = z_quantile(confidence)
    x1, x2 = p1 * n1, p2 * n2
    if x1 <= 0:
        c1, c2 = 0.5 / (n1 + 1), (x2 + 0.5) / (n2 + 1)
        se = math.sqrt((1 - c1) / 0.5 + (1 - c2) / (x2 + 0.5))
        return 0.0, math.exp(math.log(c1 / c2) + z * se)
    se = math.sqrt(max(1 - p1, 0.0) / x1 + max(1 - p2, 0.0) / x2)
    centre = math.log(p1 / p2)
    return math.exp(centre - z * se), math.exp(centre + z * se)


def two_proportion_z_test(p1: float, n1: float, p2: float, n2: float) -> tuple[float, float] | None:
    """Pooled two-proportion z-test (catalogue FAIR-Z): ``(z, two-sided p)``; None without data.

    Equal to the uncorrected Pearson chi-square on the 2x2 table (``z² = χ²``).
    """
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return 0.0, 1.0  # both rates 0 or both 1: no difference to test
    z = (p1 - p2) / math.sqrt(variance)
    return z, normal_two_sided_p(z)


def chi_square_2x2(
    a: float, b: float, c: float, d: float, *, correction: bool = False
) -> tuple[float, float] | None:
    """Pearson χ² (1 df) on ``[[a, b], [c, d]]`` (FAIR-CHI): ``(statistic, p)``.

    ``correction`` applies Yates' continuity correction as scipy's ``chi2_contingency`` does (each
    cell moved up to 0.5 towards its expected count). None when a margin is empty.
    """
    table = ((a, b), (c, d))
    rows = (a + b, c + d)
    cols = (a + c, b + d)
    total = a + b + c + d
    if min(rows) <= 0 or min(cols) <= 0:
        return None
    statistic = 0.0
    for i in range(2):
        for j in range(2):
            expected = rows[i] * cols[j] / total
            gap = abs(table[i][j] - expected)
            if correction:
                gap -= min(0.5, gap)
            statistic += gap * gap / expected
    return statistic, math.erfc(math.sqrt(statistic / 2))


def fisher_exact_2x2(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact p-value for ``[[a, b], [c, d]]`` (FAIR-FISH).

    The sum of the hypergeometric probabilities of every table with the observed margins that is
    no more likely than the observed one (scipy's and R's definition). Probabilities are walked
    outward from the mode as ratios of neighbours, so it needs neither factorials nor scipy and
    stops once the remaining tail cannot change the result.
    """
    for name, value in zip("abcd", (a, b, c, d), strict=True):
        if value < 0:
            raise InvalidInput(f"table.{name}: counts must not be negative")
    row1, row2, col1 = a + b, c + d, a + c
    total = row1 + row2
    if row1 == 0 or row2 == 0 or col1 == 0 or col1 == total:
        return 1.0
    low, high = max(0, col1 - row2), min(row1, col1)

    def log_pmf(k: int) -> float:  # up to a constant
        return -(
            math.lgamma(k + 1)
            + math.lgamma(row1 - k + 1)
            + math.lgamma(col1 - k + 1)
            + math.lgamma(row2 - col1 + k + 1)
        )

    def up(k: int) -> float:  # pmf(k + 1) / pmf(k)
        return (row1 - k) * (col1 - k) / ((k + 1) * (row2 - col1 + k + 1))

    mode = min(max((row1 + 1) * (col1 + 1) // (total + 2), low), high)
    if log_pmf(a) - log_pmf(mode) < _FISHER_LOG_FLOOR:
        return 0.0
    # Relative probabilities q(k) = pmf(k)/pmf(mode), walked down then up from the mode.
    q_observed = _walk_to(a, mode, up)
    limit = q_observed * (1 + _FISHER_TIES)
    extreme = 0.0
    total_q = 0.0
    for step in (-1, 1):
        k, q = mode, 1.0
        if step == 1:  # the mode itself was counted on the way down
            k, q = mode + 1, up(mode)
            if k > high:
                break
        while True:
            total_q += q
            if q <= limit:
                extreme += q
            nxt = k + step
            if nxt < low or nxt > high:
                break
            ratio = up(k) if step == 1 else 1 / up(nxt)
            q *= ratio
            if q <= limit and ratio < 1 and q / (1 - ratio) < 1e-17 * q_observed:
                total_q += q / (1 - ratio)  # bounded remainder, negligible
                extreme += q / (1 - ratio)
                break
            k = nxt
    return min(extreme / total_q, 1.0)


def _walk_to(target: int, mode: int, up: Callable[[int], float]) -> float:
    q = 1.0
    if target >= mode:
        for k in range(mode, target):
            q *= up(k)
    else:
        for k in range(mode - 1, target - 1, -1):
            q /= up(k)
    return q


def smd_interval(d: float, n1: float, n2: float, *, confidence: float = 0.95) -> Interval | None:
    """Large-sample interval for a standardized mean difference (Hedges & Olkin 1985, ch. 5).

    ``Var(d) ≈ (n1+n2)/(n1·n2) + d²/(2(n1+n2))``, on effective sample sizes. None below 2 each.
    """
    if n1 < 1 or n2 < 1 or n1 + n2 <= 2:
        return None
    z = z_quantile(confidence)
    se = math.sqrt((n1 + n2) / (n1 * n2) + d * d / (2 * (n1 + n2)))
    return d - z * se, d + z * se


__all__ = [
    "Interval",
    "chi_square_2x2",
    "fisher_exact_2x2",
    "katz_ratio_interval",
    "newcombe_difference_interval",
    "normal_two_sided_p",
    "smd_interval",
    "two_proportion_z_test",
    "wilson_interval",
    "z_quantile",
]
