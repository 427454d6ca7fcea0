"""Reference binning and per-bin counts: cut points, special bins, storage and bad input."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from attest.core.bins import MISSING, UNSEEN, BinCounts, Binning
from attest.errors import InvalidInput


def test_deciles_of_distinct_values_hold_a_tenth_each() -> None:
    binning = Binning.numeric_from_reference(range(1, 1001))
    assert binning.edges == tuple(float(100 * j + 1) for j in range(1, 10))
    counts = BinCounts.from_values(binning, list(range(1, 1001)))
    assert counts.n[: binning.value_bins] == (100.0,) * 10
    assert binning.labels[0] == "(-inf, 101.0)"
    assert binning.labels[1] == "[101.0, 201.0)"
    assert binning.labels[9] == "[901.0, +inf)"
    assert binning.labels[-1] == MISSING


@pytest.mark.parametrize("bins", [1, 3, 7, 10, 20])
def test_cut_points_follow_the_documented_quantile_and_leave_no_reference_bin_empty(
    bins: int,
) -> None:
    """Cut j is x_(⌊j·n/B⌋) of the sorted values, with duplicates and the minimum dropped."""
    rng = np.random.default_rng(bins)
    values = np.round(rng.gamma(2.0, 3.0, size=317), 0)  # many ties
    xs = np.sort(values)
    n = len(xs)
    expected: list[float] = []
    for j in range(1, bins):
        cut = float(xs[j * n // bins])
        if cut > xs[0] and (not expected or cut > expected[-1]):
            expected.append(cut)
    binning = Binning.numeric_from_reference(values.tolist(), bins=bins)
    assert binning.edges == tuple(expected)
    assert (binning.reference_min, binning.reference_max) == (float(xs[0]), float(xs[-1]))
    counts = BinCounts.from_values(binning, values.tolist())
    assert all(c > 0 for c in counts.n[: binning.value_bins])
    assert sum(counts.out_of_range) == 0
    # The same bins as numpy's digitize on the right-open intervals.
    assert [binning.bin_of(v) for v in values] == np.digitize(values, expected).tolist()


def test_a_value_on_a_cut_point_goes_to_the_bin_above_and_ties_merge_bins() -> None:
    values = [0.0] * 50 + [1.0] * 50
    binning = Binning.numeric_from_reference(values)
    assert binning.edges == (1.0,)  # nine tied cut points collapse into one
    assert binning.bin_of(1.0) == 1
    assert binning.bin_of(0.999) == 0
    assert BinCounts.from_values(binning, values).n == (50.0, 50.0, 0.0)


def test_a_constant_feature_has_one_value_bin_and_anything_else_is_out_of_range() -> None:
    binning = Binning.numeric_from_reference([3.0] * 20)
    assert binning.edges == ()
    assert binning.labels == ("(-inf, +inf)", MISSING)
    counts = BinCounts.from_values(binning, [3.0, 2.0, 4.0, None])
    assert counts.n == (3.0, 1.0)
    assert counts.out_of_range == (2.0, 0.0)


def test_out_of_range_values_fall_in_the_end_bins_and_are_also_counted() -> None:
    binning = Binning.numeric_from_reference(list(range(10)), bins=5)
    assert binning.bin_of(-100) == 0 and binning.is_out_of_range(-100)
    assert binning.bin_of(100) == binning.value_bins - 1 and binning.is_out_of_range(100)
    assert not binning.is_out_of_range(0) and not binning.is_out_of_range(9)
    assert binning.bin_of(math.inf) == binning.value_bins - 1 and binning.is_out_of_range(math.inf)
    counts = BinCounts.from_values(binning, [-1, 0, 5, 9, 10, 11])
    assert counts.out_of_range[0] == 1.0 and counts.out_of_range[binning.value_bins - 1] == 2.0
    assert sum(counts.out_of_range) == 3.0


def test_none_and_nan_are_missing_for_both_kinds() -> None:
    numeric = Binning.numeric_from_reference([1.0, 2.0, float("nan"), None, 3.0], bins=3)
    assert numeric.edges == (2.0, 3.0)  # the NaN and None were not reference values
    for value in (None, float("nan"), np.nan):
        assert numeric.bin_of(value) == numeric.missing_index
        assert not numeric.is_out_of_range(value)
    categorical = Binning.categorical_from_reference(["b", "a", None, float("nan"), "b"])
    assert categorical.categories == ("a", "b")
    assert categorical.bin_of(None) == categorical.bin_of(float("nan")) == 3


def test_unseen_categories_have_their_own_bin() -> None:
    binning = Binning.categorical_from_reference(["A12", "A11", "A14", "A11", 7])
    assert binning.categories == ("7", "A11", "A12", "A14")
    assert binning.labels == ("7", "A11", "A12", "A14", UNSEEN, MISSING)
    assert binning.bin_of("A13") == binning.unseen_index == 4
    assert binning.bin_of(7) == 0
    counts = BinCounts.from_values(binning, ["A11", "A13", "A99", None])
    assert counts.n == (0.0, 1.0, 0.0, 0.0, 2.0, 1.0)


def test_an_all_missing_reference_gives_a_binning_that_still_counts() -> None:
    numeric = Binning.numeric_from_reference([None, float("nan")])
    assert numeric.labels == ("(-inf, +inf)", MISSING)
    assert numeric.reference_min is None  # no range: out of range is not tracked
    assert BinCounts.from_values(numeric, [1.0, None]).n == (1.0, 1.0)
    categorical = Binning.categorical_from_reference([None])
    assert categorical.labels == (UNSEEN, MISSING)
    assert categorical.bin_of("anything") == 0


@pytest.mark.parametrize(
    "binning",
    [
        Binning.numeric_from_reference([0.1 * k for k in range(37)]),
        Binning.numeric_from_reference([-0.0, 1e-300, 2.5e10, 3.3333333333333335]),
        Binning.numeric_from_reference([None]),
        Binning("numeric", edges=(0.2, 0.4, 0.6)),
        Binning.categorical_from_reference(["x", "é", "A11"]),
        Binning.categorical_from_reference([]),
    ],
)
def test_binning_and_counts_round_trip_through_json_exactly(binning: Binning) -> None:
    stored = json.loads(json.dumps(binning.to_json()))
    again = Binning.from_json(stored)
    assert again == binning
    assert again.labels == binning.labels
    assert [repr(e) for e in again.edges] == [repr(e) for e in binning.edges]
    values: list[Any] = [None, 0.3, 7.0] if binning.kind == "numeric" else ["x", "new", None]
    counts = BinCounts.from_values(
        binning, values, outcomes=[1, 0, None], scores=[0.1, 1 / 3, 0.7], weights=[1, 0.5, 2]
    )
    assert BinCounts.from_json(json.loads(json.dumps(counts.to_json()))) == counts


def test_from_aggregates_adds_rows_per_bin_and_equals_counting_rows() -> None:
    binning = Binning("numeric", edges=(0.5,), reference_min=0.0, reference_max=1.0)
    values = [0.2, 0.7, 0.9, None, 1.5, 0.1]
    outcomes = [1, 0, 1, 0, None, 0]
    scores = [0.25, 0.5, 0.75, None, 0.5, 0.125]

    def counted(part: slice) -> BinCounts:
        return BinCounts.from_values(
            binning, values[part], outcomes=outcomes[part], scores=scores[part]
        )

    aggregates: list[dict[str, Any]] = []
    for part, key in ((slice(0, 3), "index"), (slice(3, None), "label")):
        sums = counted(part).to_json()["counts"]
        for i, label in enumerate(binning.labels):
            bin_key: int | str = i if key == "index" else label
            aggregates.append({"bin": bin_key, **{name: v[i] for name, v in sums.items()}})
    assert BinCounts.from_aggregates(aggregates, binning=binning) == counted(slice(None))
    # Only n is required; absent squares mean unit weights; SQL NULL and Decimal are accepted.
    minimal = BinCounts.from_aggregates(
        [{"bin": 0, "n": Decimal(3), "events": None, "labelled": 2}], binning=binning
    )
    assert minimal.n_sq[0] == 3.0 and minimal.labelled_sq[0] == 2.0 and minimal.events[0] == 0.0


def test_merge_adds_and_refuses_other_binnings() -> None:
    binning = Binning.categorical_from_reference(["a", "b"])
    one = BinCounts.from_values(binning, ["a", "b"], outcomes=[1, 0])
    two = BinCounts.from_values(binning, ["a", None], outcomes=[None, 1])
    assert one.merge(two) == BinCounts.from_values(
        binning, ["a", "b", "a", None], outcomes=[1, 0, None, 1]
    )
    assert one.merge(BinCounts.empty(binning)) == one
    other = Binning.categorical_from_reference(["a", "c"])
    with pytest.raises(InvalidInput, match="binning"):
        one.merge(BinCounts.empty(other))


def test_weighted_rows_fill_every_sum() -> None:
    binning = Binning("numeric", edges=(0.5,))
    counts = BinCounts.from_values(
        binning, [0.1, 0.2, 0.8], outcomes=[1, 0, None], scores=[0.5, 0.25, 1.0], weights=[2, 3, 1]
    )
    assert counts.n == (5.0, 1.0, 0.0)
    assert counts.n_sq == (13.0, 1.0, 0.0)
    assert counts.events == (2.0, 0.0, 0.0)
    assert counts.labelled == (5.0, 0.0, 0.0)
    assert counts.non_events == (3.0, 0.0, 0.0)
    assert counts.score_sum == (1.75, 1.0, 0.0)
    assert counts.labelled_score_sq_sum == (2 * 0.25 + 3 * 0.0625, 0.0, 0.0)
    assert counts.event_score_sum == (1.0, 0.0, 0.0)
    assert counts.total("scored") == 6.0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: Binning.numeric_from_reference([1, 2], bins=0), "bins"),
        (lambda: Binning.numeric_from_reference([1, "2"]), r"values\[1\]"),
        (lambda: Binning.numeric_from_reference([1, math.inf]), r"values\[1\]"),
        (lambda: Binning.categorical_from_reference(["a", 1.5]), r"values\[1\]"),
        (lambda: Binning.categorical_from_reference(["missing"]), r"categories\[0\]"),
        (lambda: Binning("numeric", edges=(2.0, 1.0)), "binning.edges"),
        (lambda: Binning("numeric", edges=(1.0, math.nan)), r"binning.edges\[1\]"),
        (lambda: Binning("numeric", reference_min=2.0, reference_max=1.0), "reference_max"),
        (lambda: Binning("numeric", reference_min=2.0), "reference_min"),
        (lambda: Binning("ordinal"), "binning.kind"),  # type: ignore[arg-type]
        (lambda: Binning.from_json({"kind": "numeric", "edges": [1.0], "labels": ["x"]}), "labels"),
        (lambda: Binning("numeric").bin_of("3"), "value"),
        (lambda: Binning("numeric").bin_of(True), "value"),
        (lambda: BinCounts(Binning("numeric"), n=(1.0, -1.0)), r"counts.n\[1\]"),
        (lambda: BinCounts(Binning("numeric"), n=(1.0,)), "counts.n"),
        (lambda: BinCounts(Binning("numeric"), n=(1.0, 0.0), events=(1.0, 0.0)), "events"),
        (
            lambda: BinCounts.from_values(Binning("numeric"), [1.0], outcomes=[2]),
            r"outcomes\[0\]",
        ),
        (lambda: BinCounts.from_values(Binning("numeric"), [1.0], scores=[1.5]), r"scores\[0\]"),
        (lambda: BinCounts.from_values(Binning("numeric"), [1.0], weights=[-1]), r"weights\[0\]"),
        (lambda: BinCounts.from_values(Binning("numeric"), [1.0], outcomes=[]), "outcomes"),
        (
            lambda: BinCounts.from_aggregates([{"bin": 2, "n": 1}], binning=Binning("numeric")),
            "bin",
        ),
        (
            lambda: BinCounts.from_aggregates([{"bin": "x", "n": 1}], binning=Binning("numeric")),
            "bin",
        ),
        (
            lambda: BinCounts.from_aggregates([{"bin": 0}], binning=Binning("numeric")),
            r"rows\[0\].n",
        ),
        (
            lambda: BinCounts.from_aggregates(
                [{"bin": 0, "n": 1}, {"bin": 0, "n": 1, "labelled": 2}], binning=Binning("numeric")
            ),
            r"rows\[1\].labelled",
        ),
        (
            lambda: BinCounts.from_aggregates(
                [{"bin": 0, "n": 2, "scored": 1, "score_sum": 3}], binning=Binning("numeric")
            ),
            r"rows\[0\].score_sum",
        ),
        (
            lambda: BinCounts.from_aggregates(
                [
                    {
                        "bin": 0,
                        "n": 2,
                        "labelled": 2,
                        "scored": 2,
                        "labelled_scored": 2,
                        "score_sum": 1,
                        "labelled_score_sum": 1,
                        "event_score_sum": 0.5,  # Σp over event rows, but there are no events
                    }
                ],
                binning=Binning("numeric"),
            ),
            r"rows\[0\].event_score_sum",
        ),
        (lambda: BinCounts.from_json({"binning": {"kind": "numeric"}, "counts": {}}), "counts.n"),
    ],
)
def test_bad_input_is_refused_naming_the_field(call: Any, field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        call()
