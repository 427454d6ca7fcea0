"""Verdicts: four-fifths flags, significance, the too-small guard and honest "no data"."""

from __future__ import annotations

from typing import Any

import pytest

from attest.core.canonical import canonical_bytes
from attest.core.counts import GroupCounts, Observation
from attest.core.fairness import disparity_table
from attest.core.fairness_scores import calibration_by_group, standardized_mean_difference
from attest.core.fairness_verdict import verdict
from attest.errors import InvalidInput


def counts(*groups: tuple[str, float, float], n_sq: dict[str, float] | None = None) -> GroupCounts:
    """Unweighted-looking counts: (group, n, selected), with Σw² = n unless given."""
    rows = [
        {"g": g, "n": n, "n_sq": (n_sq or {}).get(g, n), "selected": selected}
        for g, n, selected in groups
    ]
    return GroupCounts.from_aggregates(rows, attributes=["g"])


def outcomes(result: Any) -> dict[str, str]:
    return {g.group[0]: g.outcome for g in result.groups}


def test_below_four_fifths_is_flagged_with_reasons() -> None:
    table = disparity_table(counts(("ref", 200, 100), ("low", 200, 70), ("near", 200, 90)))
    result = verdict(table)
    assert table.reference_group == ("ref",)
    assert outcomes(result) == {"ref": "pass", "low": "flag", "near": "pass"}
    assert result.outcome == "flag"
    low = next(g for g in result.groups if g.group == ("low",))
    assert low.reasons[0] == "adverse impact ratio 0.7000 is below 0.8"
    assert "is statistically significant" in low.reasons[1]


def test_thresholds_are_parameters() -> None:
    table = disparity_table(counts(("ref", 200, 100), ("low", 200, 70), ("near", 200, 90)))
    assert outcomes(verdict(table, air_threshold=0.95))["near"] == "flag"
    assert outcomes(verdict(table, air_threshold=0.6)) == {
        "ref": "pass",
        "low": "pass",
        "near": "pass",
    }
    # AIR 0.7 with p ≈ 0.0024: significant at 0.05, not at 0.001.
    assert outcomes(verdict(table, require_significance=True))["low"] == "flag"
    strict = verdict(table, require_significance=True, alpha=0.001)
    assert outcomes(strict)["low"] == "pass"
    assert "not significant" in next(g for g in strict.groups if g.group == ("low",)).reasons[0]
    assert outcomes(verdict(table, test="fisher"))["low"] == "flag"


def test_a_small_group_is_never_passed_or_failed() -> None:
    table = disparity_table(counts(("ref", 200, 100), ("tiny", 20, 0), ("fine", 20, 10)))
    result = verdict(table)
    assert outcomes(result) == {"ref": "pass", "tiny": "too_small", "fine": "too_small"}
    assert result.outcome == "too_small"
    tiny = next(g for g in result.groups if g.group == ("tiny",))
    assert tiny.reasons == (
        "too small to judge: effective sample size 20.0 is below the minimum 30",
    )
    assert (
        verdict(disparity_table(counts(("ref", 200, 100), ("tiny", 20, 0)), min_n_eff=10)).outcome
        == "flag"
    )


def test_weights_that_concentrate_on_few_rows_are_too_small() -> None:
    """100 rows, but one carries almost all the weight: n_eff ≈ 1.2, too small to judge."""
    rows = [Observation(("w",), False, weight=10.0)] + [Observation(("w",), True, weight=0.01)] * 99
    rows += [Observation(("ref",), i % 2 == 0) for i in range(200)]
    table = disparity_table(GroupCounts.from_rows(rows, attributes=["g"]), reference=("ref",))
    weighted = next(g for g in table.groups if g.group == ("w",))
    assert weighted.n_eff < 2 and weighted.ratio is not None and weighted.ratio < 0.8
    assert outcomes(verdict(table))["w"] == "too_small"


def test_a_small_reference_makes_every_comparison_too_small() -> None:
    table = disparity_table(counts(("ref", 10, 9), ("big", 500, 100)), reference=("ref",))
    result = verdict(table)
    assert outcomes(result) == {"ref": "too_small", "big": "too_small"}
    assert "reference's effective sample size 10.0" in result.groups[0].reasons[0]


def test_the_most_favoured_reference_skips_groups_too_small_to_judge() -> None:
    table = disparity_table(counts(("tiny", 5, 5), ("a", 100, 60), ("b", 100, 40)))
    assert table.reference_group == ("a",)
    assert outcomes(verdict(table)) == {"tiny": "too_small", "a": "pass", "b": "flag"}


def test_a_period_without_decisions_is_no_data() -> None:
    empty = GroupCounts.empty(["g"])
    table = disparity_table(empty)
    assert table.groups == () and table.reference_rate is None
    result = verdict(table)
    assert result.outcome == "no_data"
    assert result.reasons == ("no decisions in the period",)
    assert canonical_bytes(result.to_json())
    assert verdict(disparity_table(empty, reference="overall")).outcome == "no_data"
    assert verdict(disparity_table(empty, reference=("x",))).outcome == "no_data"


def test_groups_without_data_and_a_missing_reference_are_no_data() -> None:
    zero_weight = counts(("a", 100, 50), ("b", 0, 0))
    assert outcomes(verdict(disparity_table(zero_weight))) == {"a": "pass", "b": "no_data"}
    missing_reference = disparity_table(counts(("a", 100, 50)), reference=("nobody",))
    result = verdict(missing_reference)
    assert result.outcome == "no_data" and outcomes(result) == {"a": "no_data"}
    outcomes_only = counts(("a", 100, 50), ("b", 100, 40))  # no outcome columns at all
    tpr = verdict(disparity_table(outcomes_only, metric="true_positive_rate"))
    assert tpr.outcome == "no_data"


def test_overall_reference_tests_each_group_against_the_rest() -> None:
    table = disparity_table(counts(("a", 300, 150), ("b", 100, 20)), reference="overall")
    assert table.reference_group is None and table.reference_rate == pytest.approx(170 / 400)
    result = verdict(table)
    assert outcomes(result) == {"a": "pass", "b": "flag"}


def test_json_is_canonical_and_names_groups() -> None:
    table = disparity_table(counts(("ref", 200, 100), ("low", 200, 0)), reference=("ref",))
    document = table.to_json()
    assert canonical_bytes(document)
    low = next(g for g in document["groups"] if g["group"] == {"g": "low"})
    assert low["rate"] == 0.0 and low["ratio"] == 0.0 and low["ratio_ci"][0] == 0.0
    assert low["marginal_effect_points"] == pytest.approx(-50.0)
    assert set(low) >= {"n", "n_eff", "rate_ci", "p_value_z", "p_value_fisher", "flags"}
    assert canonical_bytes(verdict(table).to_json())


def test_bad_options_name_the_field() -> None:
    table = disparity_table(counts(("a", 100, 50)))
    with pytest.raises(InvalidInput, match="air_threshold"):
        verdict(table, air_threshold=1.5)
    with pytest.raises(InvalidInput, match="alpha"):
        verdict(table, alpha=0)
    with pytest.raises(InvalidInput, match="table.metric"):
        verdict(disparity_table(counts(("a", 100, 50)), metric="false_positive_rate"))
    with pytest.raises(InvalidInput, match="metric"):
        disparity_table(counts(("a", 100, 50)), metric="accuracy")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="confidence"):
        disparity_table(counts(("a", 100, 50)), confidence=95)
    with pytest.raises(InvalidInput, match="min_n_eff"):
        disparity_table(counts(("a", 100, 50)), min_n_eff=-1)
    with pytest.raises(InvalidInput, match="reference"):
        disparity_table(counts(("a", 100, 50)), reference="highest")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="reference: expected 1 attribute values, got 2"):
        disparity_table(counts(("a", 100, 50)), reference=("a", "b"))
    with pytest.raises(InvalidInput, match="score_threshold"):
        disparity_table(counts(("a", 100, 50)), metric="scoring_rate")


def test_score_tables_guard_small_groups_and_missing_outcomes() -> None:
    rows = [Observation(("a",), True, score=float(i % 7)) for i in range(40)]
    rows += [Observation(("b",), True, score=float(i % 5)) for i in range(10)]
    smd = standardized_mean_difference(
        GroupCounts.from_rows(rows, attributes=["g"]), reference=("a",)
    )
    assert [g.flags for g in smd.groups] == [("reference",), ("too_small",)]
    assert canonical_bytes(smd.to_json())
    unlabelled = GroupCounts.from_rows(
        [Observation(("a", "[0.0, 1.0]"), True, None, 0.5)], attributes=["g", "band"]
    )
    with pytest.raises(InvalidInput, match="score and an outcome"):
        calibration_by_group(unlabelled, band_attribute="band", edges=[0.0, 1.0])
    wrong_band = GroupCounts.from_rows(
        [Observation(("a", "[0, 1]"), True, True, 0.5)], attributes=["g", "band"]
    )
    with pytest.raises(InvalidInput, match="counts.band"):
        calibration_by_group(wrong_band, band_attribute="band", edges=[0.0, 1.0])
