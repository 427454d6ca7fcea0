"""GroupCounts: building from rows and from SQL aggregates, validation, marginals, histograms."""

from __future__ import annotations

import sqlite3
from dataclasses import fields
from decimal import Decimal

import numpy as np
import pytest

from attest.core.counts import (
    AGGREGATE_FIELDS,
    UNKNOWN,
    Cell,
    GroupCounts,
    Observation,
    ScoreHistogram,
    band_labels,
    score_band,
)
from attest.errors import InvalidInput
from tests.data.fairness_data import fixed, german

# The aggregate query the SQL layer runs (module docstring of attest.core.counts), verbatim here
# so that a change to the row shape shows up as a failing test.
AGGREGATE_SQL = """
SELECT sex, race,
  SUM(w) AS n,
  SUM(w * w) AS n_sq,
  SUM(w * selected) AS selected,
  SUM(CASE WHEN truth = 1 AND selected = 1 THEN w END) AS tp,
  SUM(CASE WHEN truth = 0 AND selected = 1 THEN w END) AS fp,
  SUM(CASE WHEN truth = 0 AND selected = 0 THEN w END) AS tn,
  SUM(CASE WHEN truth = 1 AND selected = 0 THEN w END) AS fn,
  SUM(CASE WHEN truth = 1 THEN w * w END) AS good_sq,
  SUM(CASE WHEN truth = 0 THEN w * w END) AS bad_sq,
  SUM(CASE WHEN score IS NOT NULL THEN w END) AS scored,
  SUM(CASE WHEN score IS NOT NULL THEN w * w END) AS scored_sq,
  SUM(w * score) AS score_sum,
  SUM(w * score * score) AS score_sq_sum,
  SUM(CASE WHEN score > :threshold THEN w END) AS above
FROM decisions GROUP BY sex, race
"""


def observations(weighted: bool = True) -> list[Observation]:
    data = fixed()
    return [
        Observation(
            (str(data.a[i]), str(data.b[i])),
            bool(data.y_pred[i]),
            bool(data.y_true[i]),
            float(data.score[i]),
            float(data.weight[i]) if weighted else 1.0,
        )
        for i in range(len(data))
    ]


def test_cell_fields_are_the_aggregate_columns() -> None:
    assert tuple(f.name for f in fields(Cell)) == AGGREGATE_FIELDS


def test_from_rows_sums_by_hand() -> None:
    rows = [
        Observation(("F",), True, True, 0.9, 0.5),
        Observation(("F",), False, True, 0.2, 0.25),
        Observation(("F",), True, False, None, 1.0),
        Observation(("F",), False, None, 0.4, 2.0),
        Observation(("M",), True, None, None),
    ]
    counts = GroupCounts.from_rows(rows, attributes=["sex"], score_threshold=0.3)
    f = counts.cell(("F",))
    assert f == Cell(
        n=3.75,
        n_sq=0.25 + 0.0625 + 1 + 4,
        selected=1.5,
        tp=0.5,
        fp=1.0,
        tn=0.0,
        fn=0.25,
        good_sq=0.25 + 0.0625,
        bad_sq=1.0,
        scored=2.75,
        scored_sq=0.25 + 0.0625 + 4,
        score_sum=0.5 * 0.9 + 0.25 * 0.2 + 2 * 0.4,
        score_sq_sum=0.5 * 0.81 + 0.25 * 0.04 + 2 * 0.16,
        above=2.5,
    )
    assert f.labelled == 1.75 and f.good == 0.75 and f.bad == 1.0
    assert counts.cell(("M",)).n_eff == 1.0
    assert counts.cell(("nobody",)) == Cell()
    assert counts.cell(("nobody",)).n_eff == 0.0


def test_from_aggregates_equals_from_rows_through_real_sql() -> None:
    rows = observations()
    threshold = 0.55
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE decisions (sex TEXT, race TEXT, selected INT, truth INT, score REAL, w REAL)"
    )
    db.executemany(
        "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?)",
        [
            (r.group[0], r.group[1], int(r.selected), int(bool(r.truth)), r.score, r.weight)
            for r in rows
        ],
    )
    cursor = db.execute(AGGREGATE_SQL, {"threshold": threshold})
    names = [d[0] for d in cursor.description]
    aggregates = [dict(zip(names, values, strict=True)) for values in cursor]
    from_sql = GroupCounts.from_aggregates(
        aggregates, attributes=("sex", "race"), score_threshold=threshold
    )
    direct = GroupCounts.from_rows(rows, attributes=("sex", "race"), score_threshold=threshold)
    assert from_sql.groups() == direct.groups()
    for key in direct.groups():
        for name in AGGREGATE_FIELDS:
            assert getattr(from_sql.cell(key), name) == pytest.approx(
                getattr(direct.cell(key), name), rel=1e-12, abs=1e-12
            )


def test_a_cut_needs_the_above_column() -> None:
    row = {"g": "a", "n": 1, "n_sq": 1, "selected": 1, "scored": 1}
    with pytest.raises(InvalidInput, match=r"rows\[0\]\.above"):
        GroupCounts.from_aggregates([row], attributes=["g"], score_threshold=0.5)
    counts = GroupCounts.from_aggregates(
        [{**row, "above": None}], attributes=["g"], score_threshold=0.5
    )
    assert counts.cell(("a",)).above == 0.0


def test_from_aggregates_adds_partial_rows_and_accepts_decimal_and_nulls() -> None:
    part = {"g": "a", "n": Decimal("2"), "n_sq": 2, "selected": 1, "tp": None}
    counts = GroupCounts.from_aggregates([part, part], attributes=["g"])
    assert counts.cell(("a",)) == Cell(n=4.0, n_sq=4.0, selected=2.0)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"g": "a", "n_sq": 1, "selected": 1}, "rows[0].n"),
        ({"g": "a", "n": 1, "n_sq": 1, "selected": 2}, "rows[0].selected"),
        ({"g": "a", "n": 1, "n_sq": 1, "selected": -1}, "rows[0].selected"),
        ({"g": "a", "n": "1", "n_sq": 1, "selected": 1}, "rows[0].n"),
        ({"g": "a", "n": float("nan"), "n_sq": 1, "selected": 1}, "rows[0].n"),
        ({"g": "a", "n": 1, "n_sq": 1, "selected": 1, "tp": 1, "fp": 1}, "rows[0].tp"),
        ({"g": "a", "n": 1, "n_sq": 1, "selected": 1, "above": 1, "scored": 1}, "rows[0].above"),
        ({"g": "a", "n": 2, "n_sq": 5, "selected": 1}, "rows[0].n_sq"),
        ({"g": "a", "n": 2, "n_sq": 0, "selected": 1}, "rows[0].n_sq"),
        ({"n": 1, "n_sq": 1, "selected": 1}, "rows[0].g"),
        ({"g": 3, "n": 1, "n_sq": 1, "selected": 1}, "rows[0][0]"),
    ],
)
def test_from_aggregates_rejects_bad_rows_naming_the_field(
    row: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput, match=field.replace("[", r"\[").replace("]", r"\]")):
        GroupCounts.from_aggregates([row], attributes=["g"])


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (Observation(("a",), True, weight=-1.0), r"rows\[0\].weight"),
        (Observation(("a",), True, weight=float("inf")), r"rows\[0\].weight"),
        (Observation(("a",), True, score=float("nan")), r"rows\[0\].score"),
        (Observation(("a", "b"), True), r"rows\[0\].group"),
    ],
)
def test_from_rows_rejects_bad_rows_naming_the_field(row: Observation, field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        GroupCounts.from_rows([row], attributes=["g"])


def test_attribute_names_are_checked() -> None:
    for bad in ([], ["a", "a"], "sex", [""]):
        with pytest.raises(InvalidInput, match="attributes"):
            GroupCounts.empty(bad)


def test_missing_values_count_as_unknown() -> None:
    counts = GroupCounts.from_rows([Observation(("F", None), True)], attributes=("sex", "race"))
    assert counts.groups() == [("F", UNKNOWN)]
    rows = [{"sex": None, "race": "A", "n": 1, "n_sq": 1, "selected": 0}]
    assert GroupCounts.from_aggregates(rows, attributes=("sex", "race")).groups() == [
        (UNKNOWN, "A")
    ]


def test_merge_refuses_tables_that_do_not_match() -> None:
    a = GroupCounts.empty(["sex"])
    with pytest.raises(InvalidInput, match="counts.attributes"):
        a.merge(GroupCounts.empty(["race"]))
    with pytest.raises(InvalidInput, match="counts.score_threshold"):
        a.merge(GroupCounts.empty(["sex"], score_threshold=0.5))


def test_marginal_of_the_intersection_is_the_direct_count() -> None:
    rows = observations()
    both = GroupCounts.from_rows(rows, attributes=("sex", "race"))
    only_race = GroupCounts.from_rows(
        [Observation((r.group[1],), r.selected, r.truth, r.score, r.weight) for r in rows],
        attributes=("race",),
    )
    marginal = both.marginal(("race",))
    assert marginal.groups() == only_race.groups()
    for key in only_race.groups():
        for name in AGGREGATE_FIELDS:
            assert getattr(marginal.cell(key), name) == pytest.approx(
                getattr(only_race.cell(key), name), rel=1e-12
            )
    swapped = both.marginal(("race", "sex"))
    assert swapped.cell(("A", "F")) == both.cell(("F", "A"))
    with pytest.raises(InvalidInput, match="'age'"):
        both.marginal(("age",))


@pytest.mark.parametrize("data", [fixed, german])
def test_histogram_median_is_numpys_median(data: object) -> None:
    columns = data()  # type: ignore[operator]
    rows = [
        Observation((str(a),), True, score=float(s))
        for a, s in zip(columns.a, columns.score, strict=True)
    ]
    histogram = ScoreHistogram.from_rows(rows, attributes=["g"])
    assert histogram.median() == np.median(columns.score)
    odd = ScoreHistogram.from_rows(rows[:-1], attributes=["g"])
    assert odd.median() == np.median(columns.score[:-1])


def test_weighted_median_and_histogram_merge() -> None:
    rows = [Observation(("a",), True, score=s, weight=w) for s, w in [(1, 1), (2, 1), (3, 2)]]
    assert ScoreHistogram.from_rows(rows, attributes=["g"]).median() == 2.5  # cumulative 2 of 4
    heavy = [*rows, Observation(("b",), True, score=0.5, weight=0.5)]
    first = ScoreHistogram.from_rows(heavy[:2], attributes=["g"])
    second = ScoreHistogram.from_rows(heavy[2:], attributes=["g"])
    merged = first.merge(second)
    assert merged == ScoreHistogram.from_rows(heavy, attributes=["g"])
    assert merged.median() == 2.0  # half of 4.5 is passed at 2
    assert ScoreHistogram.from_rows([], attributes=["g"]).median() is None
    aggregated = ScoreHistogram.from_aggregates(
        [{"g": "a", "score": 1, "n": 1}, {"g": "a", "score": 1, "n": 2}], attributes=["g"]
    )
    assert aggregated.weights == {("a",): {1.0: 3.0}}
    with pytest.raises(InvalidInput, match="histogram.attributes"):
        aggregated.merge(ScoreHistogram.from_rows([], attributes=["h"]))


def test_score_bands() -> None:
    edges = [0.0, 0.25, 0.5, 1.0]
    assert band_labels(edges) == ("[0.0, 0.25)", "[0.25, 0.5)", "[0.5, 1.0]")
    assert score_band(0.0, edges) == "[0.0, 0.25)"
    assert score_band(0.25, edges) == "[0.25, 0.5)"
    assert score_band(1.0, edges) == "[0.5, 1.0]"
    with pytest.raises(InvalidInput, match="score"):
        score_band(1.5, edges)
    with pytest.raises(InvalidInput, match="edges"):
        band_labels([0.0, 0.0])
