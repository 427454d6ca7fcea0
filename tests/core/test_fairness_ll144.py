"""NYC LL144 impact-ratio tables: the 2 % exclusion, the unknown category, intersections."""

from __future__ import annotations

import pytest

from attest.core.canonical import canonical_bytes
from attest.core.counts import UNKNOWN, GroupCounts, Observation, ScoreHistogram
from attest.core.fairness_ll144 import ll144_impact_ratios
from attest.errors import InvalidInput


def race_counts() -> GroupCounts:
    """A 500 (50 % selected), B 480 (40 %), C 15 (1.5 % of 1,000; 80 %), unknown 5."""
    rows = [
        {"race": "A", "n": 500, "n_sq": 500, "selected": 250},
        {"race": "B", "n": 480, "n_sq": 480, "selected": 192},
        {"race": "C", "n": 15, "n_sq": 15, "selected": 12},
        {"race": None, "n": 5, "n_sq": 5, "selected": 5},
    ]
    return GroupCounts.from_aggregates(rows, attributes=["race"])


def test_categories_under_two_percent_are_reported_but_not_in_ratios() -> None:
    report = ll144_impact_ratios(race_counts())
    (table,) = report.tables
    rows = {r.category[0]: r for r in table.rows}
    assert report.n_total == 1000 and table.n_unknown == 5
    # C has the highest rate but is excluded, so A (the most selected of the rest) is reference.
    assert table.reference_category == ("A",) and table.reference_rate == 0.5
    assert rows["C"].excluded and rows["C"].impact_ratio is None
    assert (rows["C"].n, rows["C"].count, rows["C"].rate, rows["C"].share) == (15, 12, 0.8, 0.015)
    assert "excluded_below_share" in rows["C"].flags and "too_small" in rows["C"].flags
    assert rows["B"].impact_ratio == pytest.approx(0.8) and rows["B"].impact_ratio_ci is not None
    assert rows["A"].impact_ratio == 1.0 and "reference" in rows["A"].flags
    unknown = rows[UNKNOWN]
    assert unknown.unknown and not unknown.excluded and unknown.impact_ratio is None
    assert (unknown.n, unknown.rate) == (5, 1.0)
    assert canonical_bytes(report.to_json())


def test_exclusion_is_optional_and_the_share_threshold_is_a_parameter() -> None:
    (table,) = ll144_impact_ratios(race_counts(), exclusion_share=0.0).tables
    rows = {r.category[0]: r for r in table.rows}
    assert table.reference_category == ("C",)
    assert rows["A"].impact_ratio == pytest.approx(0.5 / 0.8)
    assert not rows["C"].excluded
    (strict,) = ll144_impact_ratios(race_counts(), exclusion_share=0.49).tables
    assert [r.category for r in strict.rows if r.impact_ratio is not None] == [("A",)]
    with pytest.raises(InvalidInput, match="exclusion_share"):
        ll144_impact_ratios(race_counts(), exclusion_share=2)


def test_sex_race_and_intersectional_tables() -> None:
    rows = []
    for sex, race, n, selected in [
        ("F", "A", 100, 40),
        ("F", "B", 100, 30),
        ("M", "A", 100, 60),
        ("M", "B", 100, 50),
        ("M", None, 10, 10),
    ]:
        rows += [Observation((sex, race), i < selected) for i in range(n)]
    counts = GroupCounts.from_rows(rows, attributes=("sex", "race"))
    report = ll144_impact_ratios(counts)
    assert [t.attributes for t in report.tables] == [("sex",), ("race",), ("sex", "race")]
    sex, race, both = report.tables
    assert {r.category: r.rate for r in sex.rows} == {("F",): 0.35, ("M",): 120 / 210}
    assert sex.n_unknown == 0  # sex is known for everyone
    assert race.n_unknown == 10 and race.reference_category == ("A",)
    assert {r.category: r.impact_ratio for r in both.rows} == {
        ("F", "A"): pytest.approx(0.4 / 0.6),
        ("F", "B"): pytest.approx(0.5),
        ("M", "A"): 1.0,
        ("M", "B"): pytest.approx(0.5 / 0.6),
        ("M", UNKNOWN): None,
    }
    assert both.n_unknown == 10


def test_scoring_rate_uses_the_sample_median() -> None:
    rows = [Observation(("F",), False, score=float(s)) for s in (1, 2, 3, 4)]
    rows += [Observation(("M",), False, score=float(s)) for s in (3, 4, 5, 6)]
    median = ScoreHistogram.from_rows(rows, attributes=["sex"]).median()
    assert median == 3.5
    counts = GroupCounts.from_rows(rows, attributes=["sex"], score_threshold=median)
    report = ll144_impact_ratios(counts, form="scoring", exclusion_share=0.0)
    (table,) = report.tables
    assert report.median_score == 3.5
    assert {r.category: (r.rate, r.impact_ratio) for r in table.rows} == {
        ("F",): (0.25, pytest.approx(1 / 3)),
        ("M",): (0.75, 1.0),
    }
    with pytest.raises(InvalidInput, match="score_threshold"):
        ll144_impact_ratios(GroupCounts.from_rows(rows, attributes=["sex"]), form="scoring")


def test_no_data_gives_an_empty_table_not_a_ratio() -> None:
    report = ll144_impact_ratios(GroupCounts.empty(["sex"]))
    (table,) = report.tables
    assert report.n_total == 0 and table.rows == () and table.reference_category is None
    assert canonical_bytes(report.to_json())
