"""Algebraic laws of per-bin counts, and metrics that do not care how the rows were sharded.

Weights and scores are small dyadic numbers (multiples of 1/8 and 1/4), whose sums are exact in
binary floating point, so the laws can be asserted with ``==`` rather than approximately.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from attest.core.bins import BinCounts, Binning
from attest.core.calibration import brier_score, calibration, hosmer_lemeshow
from attest.core.drift import auc, ks_discrimination
from attest.core.stability import population_stability_index

BINNING = Binning("numeric", edges=(-0.5, 0.0, 0.5), reference_min=-1.0, reference_max=1.0)
Row = tuple[Any, Any, Any, float]

row = st.tuples(
    st.none() | st.integers(-6, 6).map(lambda k: k / 4),  # value: 1.5 and -1.5 out of range
    st.none() | st.booleans(),  # outcome
    st.none() | st.integers(0, 4).map(lambda k: k / 4),  # score (a probability)
    st.integers(0, 16).map(lambda k: k / 8),  # weight
)
rows_lists = st.lists(row, max_size=40)
# Bin masses for PSI: dyadic, with empty bins likely.
masses = st.lists(st.integers(0, 64).map(lambda k: k / 8), min_size=5, max_size=5)


def count(rows: list[Row], *, calibrated: bool = False) -> BinCounts:
    """``calibrated``: a row has a score exactly when it has a value (the score's own counts),
    so that every bin can be calibrated."""
    return BinCounts.from_values(
        BINNING,
        [r[0] for r in rows],
        outcomes=[r[1] for r in rows],
        scores=[(None if r[0] is None else r[2] or 0.0) if calibrated else r[2] for r in rows],
        weights=[r[3] for r in rows],
    )


@given(rows_lists, rows_lists, rows_lists)
def test_merge_is_associative(a: list[Row], b: list[Row], c: list[Row]) -> None:
    x, y, z = count(a), count(b), count(c)
    assert x.merge(y).merge(z) == x.merge(y.merge(z))


@given(rows_lists, rows_lists)
def test_merge_is_commutative(a: list[Row], b: list[Row]) -> None:
    assert count(a).merge(count(b)) == count(b).merge(count(a))


@given(rows_lists)
def test_empty_counts_are_the_identity(a: list[Row]) -> None:
    empty = BinCounts.empty(BINNING)
    assert count(a).merge(empty) == count(a) == empty.merge(count(a))
    assert count([]) == empty


@given(rows_lists, st.data())
def test_counting_two_halves_and_merging_equals_counting_all_rows(
    rows: list[Row], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(rows)))
    assert count(rows[:cut]).merge(count(rows[cut:])) == count(rows)


@given(masses)
def test_psi_of_a_distribution_with_itself_is_zero(n: list[float]) -> None:
    counts = BinCounts(BINNING, n=tuple(n))
    result = population_stability_index(counts, counts)
    if sum(n) == 0:
        assert result.value is None and result.status == "not_measurable"
    else:
        assert result.value == 0.0 and result.smoothed_bins == ()


@given(masses, masses, st.sampled_from([1e-6, 1e-4, 1e-2]))
def test_psi_is_never_negative(r: list[float], c: list[float], epsilon: float) -> None:
    result = population_stability_index(
        BinCounts(BINNING, n=tuple(r)), BinCounts(BINNING, n=tuple(c)), epsilon=epsilon
    )
    if sum(r) == 0 or sum(c) == 0:
        assert result.value is None
    else:
        assert result.value is not None and result.value >= 0.0
        assert all(b.contribution >= 0.0 for b in result.bins)


@settings(max_examples=60)
@given(rows_lists, st.lists(st.integers(0, 3), max_size=40))
def test_metrics_are_unchanged_by_any_sharding(rows: list[Row], shards: list[int]) -> None:
    """Deal the rows to four shards in any pattern and merge in any order: identical results."""
    parts: list[list[Row]] = [[], [], [], []]
    for i, r in enumerate(rows):
        parts[shards[i] if i < len(shards) else 0].append(r)
    merged = BinCounts.empty(BINNING)
    for part in reversed(parts):
        merged = count(part, calibrated=True).merge(merged)
    whole = count(rows, calibrated=True)
    assert merged == whole
    for metric in (auc, ks_discrimination, brier_score, calibration, hosmer_lemeshow):
        assert metric(merged).to_json() == metric(whole).to_json()  # type: ignore[operator]
