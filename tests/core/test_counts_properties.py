"""Algebraic laws of mergeable counts, and metrics that do not care how the rows were sharded.

Weights and scores are small dyadic numbers (multiples of 1/8 and 1/4), whose sums are exact in
binary floating point, so the laws can be asserted with ``==`` rather than approximately.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from attest.core.counts import GroupCounts, Observation, ScoreHistogram
from attest.core.fairness import disparity_table
from attest.core.fairness_ll144 import ll144_impact_ratios
from attest.core.fairness_scores import standardized_mean_difference
from attest.core.fairness_summary import equalized_odds_difference

ATTRIBUTES = ("sex", "race")
THRESHOLD = 1.0

observation = st.builds(
    Observation,
    group=st.tuples(st.sampled_from(["F", "M"]), st.sampled_from(["A", "B", "C", None])),
    selected=st.booleans(),
    truth=st.none() | st.booleans(),
    score=st.none() | st.integers(-8, 8).map(lambda k: k / 4),
    weight=st.integers(0, 16).map(lambda k: k / 8),
)
rows_lists = st.lists(observation, max_size=40)


def count(rows: list[Observation]) -> GroupCounts:
    return GroupCounts.from_rows(rows, attributes=ATTRIBUTES, score_threshold=THRESHOLD)


@given(rows_lists, rows_lists, rows_lists)
def test_merge_is_associative(
    a: list[Observation], b: list[Observation], c: list[Observation]
) -> None:
    x, y, z = count(a), count(b), count(c)
    assert x.merge(y).merge(z) == x.merge(y.merge(z))


@given(rows_lists, rows_lists)
def test_merge_is_commutative(a: list[Observation], b: list[Observation]) -> None:
    assert count(a).merge(count(b)) == count(b).merge(count(a))


@given(rows_lists)
def test_empty_table_is_the_identity(a: list[Observation]) -> None:
    empty = GroupCounts.empty(ATTRIBUTES, score_threshold=THRESHOLD)
    assert count(a).merge(empty) == count(a) == empty.merge(count(a))
    assert count([]) == empty


@given(rows_lists, st.data())
def test_counting_in_parts_equals_counting_at_once(
    rows: list[Observation], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(rows)))
    assert count(rows[:cut]).merge(count(rows[cut:])) == count(rows)


@given(rows_lists)
def test_marginal_equals_counting_the_attribute_alone(rows: list[Observation]) -> None:
    alone = GroupCounts.from_rows(
        [Observation((r.group[1],), r.selected, r.truth, r.score, r.weight) for r in rows],
        attributes=("race",),
        score_threshold=THRESHOLD,
    )
    assert count(rows).marginal(("race",)) == alone


@given(rows_lists, rows_lists)
def test_histograms_merge_like_counts(a: list[Observation], b: list[Observation]) -> None:
    def histogram(rows: list[Observation]) -> ScoreHistogram:
        return ScoreHistogram.from_rows(rows, attributes=ATTRIBUTES)

    assert histogram(a).merge(histogram(b)) == histogram(a + b)
    assert histogram(a).merge(histogram(b)).median() == histogram(b + a).median()


@settings(max_examples=60)
@given(rows_lists, st.lists(st.integers(0, 3), max_size=40))
def test_metrics_are_unchanged_by_any_sharding(rows: list[Observation], shards: list[int]) -> None:
    """Deal the rows to four shards in any pattern and any merge order: identical results."""
    parts: list[list[Observation]] = [[], [], [], []]
    for i, row in enumerate(rows):
        parts[shards[i] if i < len(shards) else 0].append(row)
    merged = GroupCounts.empty(ATTRIBUTES, score_threshold=THRESHOLD)
    for part in reversed(parts):
        merged = count(part).merge(merged)
    whole = count(rows)
    assert merged == whole
    for metric in ("selection_rate", "true_positive_rate", "scoring_rate"):
        for reference in ("most_favoured", "overall", ("F", "A")):
            assert (
                disparity_table(merged, metric=metric, reference=reference, min_n_eff=2).to_json()
                == disparity_table(whole, metric=metric, reference=reference, min_n_eff=2).to_json()
            )
    assert (
        standardized_mean_difference(merged).to_json()
        == standardized_mean_difference(whole).to_json()
    )
    assert (
        ll144_impact_ratios(merged, form="scoring").to_json()
        == ll144_impact_ratios(whole, form="scoring").to_json()
    )
    assert equalized_odds_difference(merged) == equalized_odds_difference(whole)
