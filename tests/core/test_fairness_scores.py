"""SMD and calibration edge cases, and the fairlearn-style summaries at their limits."""

from __future__ import annotations

import pytest

from attest.core.canonical import canonical_bytes
from attest.core.counts import GroupCounts, Observation, score_band
from attest.core.fairness_scores import calibration_by_group, standardized_mean_difference
from attest.core.fairness_summary import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
)
from attest.errors import InvalidInput


def scored(group: str, scores: list[float]) -> list[Observation]:
    return [Observation((group,), True, score=s) for s in scores]


def test_smd_against_the_highest_mean_and_its_edge_cases() -> None:
    rows = scored("a", [1.0, 2.0, 3.0] * 20) + scored("b", [2.0, 3.0, 4.0] * 20)
    rows += scored("tiny", [9.0, 9.5])
    table = standardized_mean_difference(
        GroupCounts.from_rows(rows, attributes=["g"]), reference="most_favoured"
    )
    assert table.reference_group == ("b",)  # "tiny" has the highest mean but is too small
    by_group = {g.group[0]: g for g in table.groups}
    # Both spreads are the sample SD of (1, 2, 3) repeated: s² = 40/59; d = -1 / s.
    assert by_group["a"].smd == pytest.approx(-1 / (40 / 59) ** 0.5)
    assert by_group["tiny"].flags == ("too_small",)
    assert canonical_bytes(table.to_json())

    flat = GroupCounts.from_rows(
        scored("a", [1.0] * 40) + scored("b", [1.0] * 40), attributes=["g"]
    )
    assert standardized_mean_difference(flat, reference=("a",)).groups[1].flags == ("no_spread",)
    missing = standardized_mean_difference(flat, reference=("z",))
    assert [g.flags for g in missing.groups] == [("reference_no_data",)] * 2
    no_scores = GroupCounts.from_rows([Observation(("a",), True)], attributes=["g"])
    assert standardized_mean_difference(no_scores).groups[0].flags == ("no_data",)
    none = standardized_mean_difference(GroupCounts.empty(["g"]), reference="most_favoured")
    assert none.reference_group is None and none.groups == ()
    with pytest.raises(InvalidInput, match="reference"):
        standardized_mean_difference(flat, reference="best")  # type: ignore[arg-type]


def test_calibration_of_a_default_probability() -> None:
    edges = [0.0, 0.5, 1.0]
    rows = []
    for pd, bad_share in ((0.2, 0.2), (0.8, 0.5)):
        for i in range(50):
            rows.append(Observation(("a", score_band(pd, edges)), True, i >= bad_share * 50, pd))
    counts = GroupCounts.from_rows(rows, attributes=["g", "band"])
    table = calibration_by_group(counts, band_attribute="band", edges=edges, predicts="bad")
    (group,) = table.groups
    low, high = group.bands
    assert (low.observed, low.predicted, low.flags) == (pytest.approx(0.2), pytest.approx(0.2), ())
    assert (high.observed, high.predicted) == (pytest.approx(0.5), pytest.approx(0.8))
    assert high.flags == ("outside_ci",)
    assert group.expected_calibration_error == pytest.approx(0.15)
    assert group.overall.observed == pytest.approx(0.35)
    assert canonical_bytes(table.to_json())
    with pytest.raises(InvalidInput, match="band_attribute"):
        calibration_by_group(counts, band_attribute="score", edges=edges)
    with pytest.raises(InvalidInput, match="predicts"):
        calibration_by_group(counts, band_attribute="band", edges=edges, predicts="pd")  # type: ignore[arg-type]


def test_summaries_without_data_or_with_zero_rates() -> None:
    empty = GroupCounts.empty(["g"])
    assert demographic_parity_difference(empty) is None
    assert demographic_parity_ratio(empty, method="to_overall") is None
    nobody_selected = GroupCounts.from_rows(
        [Observation(("a",), False, True), Observation(("b",), False, False)], attributes=["g"]
    )
    assert demographic_parity_difference(nobody_selected) == 0.0
    assert demographic_parity_ratio(nobody_selected) is None
    assert demographic_parity_ratio(nobody_selected, method="to_overall") is None
    assert equalized_odds_ratio(nobody_selected) is None
    with pytest.raises(InvalidInput, match="method"):
        demographic_parity_difference(nobody_selected, method="pairwise")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="agg"):
        equalized_odds_difference(nobody_selected, agg="max")  # type: ignore[arg-type]
