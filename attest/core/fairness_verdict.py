"""Pass / flag / too small / no data: the policy applied to a ``DisparityTable``.

A verdict is a judgement only where the data can bear one. A group below the minimum effective
sample size, or compared against such a reference, is "too_small" and never passes or fails; a
period or group with no decisions is "no_data", never a fake pass. The four-fifths screen follows
29 CFR 1607.4(D): a favourable rate below ``air_threshold`` (0.80) of the reference's is flagged;
``alpha`` decides which differences are called statistically significant, and with
``require_significance`` a ratio below the threshold is flagged only when it is also significant
(the UGESP caveat about "small numbers"). Every outcome carries reasons a reviewer can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from attest.core.counts import GroupKey
from attest.core.fairness import (
    NO_DATA,
    REFERENCE,
    REFERENCE_NO_DATA,
    REFERENCE_RATE_ZERO,
    REFERENCE_TOO_SMALL,
    TOO_SMALL,
    DisparityTable,
    GroupComparison,
)
from attest.errors import InvalidInput

Outcome = Literal["pass", "flag", "too_small", "no_data"]
Test = Literal["z", "fisher"]
DEFAULT_AIR_THRESHOLD = 0.80
DEFAULT_ALPHA = 0.05


@dataclass(frozen=True)
class GroupVerdict:
    group: GroupKey
    outcome: Outcome
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """The run's outcome, the thresholds applied, and each group's outcome with reasons."""

    outcome: Outcome
    reasons: tuple[str, ...]
    metric: str
    attributes: tuple[str, ...]
    air_threshold: float
    alpha: float
    require_significance: bool
    test: Test
    min_n_eff: float
    groups: tuple[GroupVerdict, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "reasons": list(self.reasons),
            "metric": self.metric,
            "thresholds": {
                "air_threshold": self.air_threshold,
                "alpha": self.alpha,
                "require_significance": self.require_significance,
                "test": self.test,
                "min_n_eff": self.min_n_eff,
            },
            "groups": [
                {
                    "group": dict(zip(self.attributes, g.group, strict=True)),
                    "outcome": g.outcome,
                    "reasons": list(g.reasons),
                }
                for g in self.groups
            ],
        }


def verdict(
    table: DisparityTable,
    *,
    air_threshold: float = DEFAULT_AIR_THRESHOLD,
    alpha: float = DEFAULT_ALPHA,
    require_significance: bool = False,
    test: Test = "z",
) -> Verdict:
    """Judge each group of ``table`` and the run as a whole.

    The run is "no_data" when nothing can be compared for lack of decisions, "flag" when any
    group is flagged, "pass" when at least one group was judged and none flagged, otherwise
    "too_small".
    """
    if table.metric == "false_positive_rate":
        raise InvalidInput("table.metric: the four-fifths screen applies to favourable rates")
    if not 0 < air_threshold <= 1:
        raise InvalidInput("air_threshold: must be in (0, 1]")
    if not 0 < alpha < 1:
        raise InvalidInput("alpha: must be in (0, 1)")
    if test not in ("z", "fisher"):
        raise InvalidInput("test: expected z or fisher")
    groups = tuple(
        _judge(g, table, air_threshold, alpha, require_significance, test) for g in table.groups
    )
    outcome, reasons = _overall(table, groups)
    return Verdict(
        outcome,
        reasons,
        table.metric,
        table.attributes,
        air_threshold,
        alpha,
        require_significance,
        test,
        table.min_n_eff,
        groups,
    )


def _judge(
    g: GroupComparison,
    table: DisparityTable,
    air_threshold: float,
    alpha: float,
    require_significance: bool,
    test: Test,
) -> GroupVerdict:
    small = f"effective sample size {g.n_eff:.1f} is below the minimum {table.min_n_eff:g}"

    def verdict_(outcome: Outcome, *reasons: str) -> GroupVerdict:
        return GroupVerdict(g.group, outcome, reasons)

    if NO_DATA in g.flags:
        return verdict_("no_data", f"no data for {table.metric} in this group")
    if REFERENCE in g.flags:
        if TOO_SMALL in g.flags:
            return verdict_("too_small", f"reference group: {small}")
        return verdict_("pass", "reference group")
    if REFERENCE_NO_DATA in g.flags:
        return verdict_("no_data", "the reference has no data to compare with")
    if TOO_SMALL in g.flags:
        return verdict_("too_small", f"too small to judge: {small}")
    if REFERENCE_TOO_SMALL in g.flags:
        return verdict_(
            "too_small",
            f"too small to judge: the reference's effective sample size "
            f"{table.reference_n_eff:.1f} is below the minimum {table.min_n_eff:g}",
        )
    if REFERENCE_RATE_ZERO in g.flags or g.ratio is None:
        return verdict_("pass", "the reference rate is 0: no adverse impact against this group")
    p = g.p_value_z if test == "z" else g.p_value_fisher
    significant = p is not None and p < alpha
    note = (
        f"difference {'is' if significant else 'is not'} statistically significant "
        f"({test} test p = {_p(p)}, alpha {alpha:g})"
    )
    air = f"adverse impact ratio {g.ratio:.4f}"
    if g.ratio < air_threshold:
        if significant or not require_significance:
            return verdict_("flag", f"{air} is below {air_threshold:g}", note)
        return verdict_("pass", f"{air} is below {air_threshold:g} but not significant", note)
    return verdict_("pass", f"{air} is at least {air_threshold:g}", note)


def _overall(
    table: DisparityTable, groups: tuple[GroupVerdict, ...]
) -> tuple[Outcome, tuple[str, ...]]:
    if table.overall_n <= 0:
        return "no_data", ("no decisions in the period",)
    if table.reference_rate is None:
        return "no_data", ("the reference has no decisions in the period",)
    flagged = [g for g in groups if g.outcome == "flag"]
    if flagged:
        return "flag", (f"{len(flagged)} group(s) flagged",)
    judged = [g for g in groups if g.outcome == "pass" and g.group != table.reference_group]
    small = [g for g in groups if g.outcome == "too_small"]
    if judged:
        note = f"; {len(small)} group(s) too small to judge" if small else ""
        return "pass", (f"{len(judged)} group(s) passed, none flagged{note}",)
    if small:
        return "too_small", ("no group was large enough to judge",)
    return "no_data", ("no group to compare with the reference",)


def _p(p: float | None) -> str:
    return "n/a" if p is None else f"{p:.3g}"
