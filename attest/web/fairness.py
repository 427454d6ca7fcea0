"""The fairness page's view of bias runs: group tables, AIR charts, windows and BISG coverage.

Everything here reads result documents (``Bias.run``) and assignment bodies as logged, and turns
them into text for people. A group too small to judge or without data is shown as such, never as
a pass: its verdict comes from the document and an unknown one reads "no data".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from attest.charts import words
from attest.web.chart import AirChart, AirColumn, AirValue, air_chart

OUTCOMES = {
    "pass": "pass",
    "flag": "flagged",
    "too_small": "too small to judge",
    "no_data": "no data",
}
REVIEWS = {"accepted": "Accepted", "finding": "Finding opened"}
MAX_CHART_RUNS = 12


@dataclass(frozen=True)
class GroupRow:
    label: str
    n: str
    n_eff: str
    rate: str
    rate_ci: str
    ratio: str
    ratio_ci: str
    p_value: str
    outcome: str
    outcome_text: str
    reasons: tuple[str, ...]
    reference: bool


@dataclass(frozen=True)
class ResultTable:
    key: str  # "age_band" or "age_band,sex"
    attributes: str  # "age_band × sex"
    outcome: str
    outcome_text: str
    reasons: tuple[str, ...]
    reference: str | None
    test: str
    confidence: str
    rows: tuple[GroupRow, ...]


@dataclass(frozen=True)
class Coverage:
    """A BISG attribute of the latest assignment: how well its inputs matched the tables."""

    attribute: str
    records: int
    method: str
    matches: tuple[tuple[str, int, str], ...]  # level, count, rate
    fallbacks: tuple[tuple[str, int, str], ...]


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def count_text(value: Any) -> str:
    """A count; BISG weights make some fractional."""
    number = _finite(value)
    if number is None:
        return "\u2014"
    return f"{number:.0f}" if abs(number - round(number)) < 1e-9 else f"{number:.1f}"


def percent(value: Any) -> str:
    number = _finite(value)
    return "\u2014" if number is None else f"{100 * number:.1f}%"


def _interval(raw: Any, show: Any) -> str:
    if not isinstance(raw, list) or len(raw) != 2:
        return ""
    low, high = _finite(raw[0]), _finite(raw[1])
    if low is None or high is None:
        return ""
    return f"{show(low)} to {show(high)}"


def ratio_text(value: Any) -> str:
    number = _finite(value)
    return "\u2014" if number is None else f"{number:.3f}"


def p_text(value: Any) -> str:
    number = _finite(value)
    if number is None:
        return "\u2014"
    return "< 0.0001" if number < 0.0001 else f"{number:.4f}"


def group_label(group: Any) -> str:
    if not isinstance(group, dict) or not group:
        return "\u2014"
    return " / ".join("unknown" if v is None else str(v) for v in group.values())


def _key(group: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in group.values()) if isinstance(group, dict) else ()


def result_tables(document: Mapping[str, Any]) -> list[ResultTable]:
    """One table per attribute set of a run: the selection rates and the verdict per group."""
    tables = []
    for result in document.get("results") or []:
        selection = result.get("selection") or {}
        judged = result.get("verdict") or {}
        verdicts = {_key(g.get("group")): g for g in judged.get("groups") or []}
        test = (judged.get("thresholds") or {}).get("test", "z")
        rows = []
        for group in selection.get("groups") or []:
            verdict = verdicts.get(_key(group.get("group")), {})
            outcome = verdict.get("outcome")
            outcome = outcome if outcome in OUTCOMES else "no_data"
            p = group.get("p_value_fisher" if test == "fisher" else "p_value_z")
            rows.append(
                GroupRow(
                    label=group_label(group.get("group")),
                    n=count_text(group.get("n")),
                    n_eff=f"{_finite(group.get('n_eff')) or 0.0:.1f}",
                    rate=percent(group.get("rate")),
                    rate_ci=_interval(group.get("rate_ci"), percent),
                    ratio=ratio_text(group.get("ratio")),
                    ratio_ci=_interval(group.get("ratio_ci"), ratio_text),
                    p_value=p_text(p),
                    outcome=outcome,
                    outcome_text=OUTCOMES[outcome],
                    reasons=tuple(str(r) for r in verdict.get("reasons") or []),
                    reference="reference" in (group.get("flags") or []),
                )
            )
        attributes = [str(a) for a in result.get("attributes") or []]
        outcome = judged.get("outcome")
        outcome = outcome if outcome in OUTCOMES else "no_data"
        confidence = _finite(selection.get("confidence")) or 0.95
        reference = selection.get("reference_group")
        tables.append(
            ResultTable(
                key=",".join(attributes),
                attributes=" \u00d7 ".join(attributes),
                outcome=outcome,
                outcome_text=OUTCOMES[outcome],
                reasons=tuple(str(r) for r in judged.get("reasons") or []),
                reference=group_label(reference) if reference else None,
                test="Fisher exact" if test == "fisher" else "z",
                confidence=f"{100 * confidence:g}%",
                rows=tuple(rows),
            )
        )
    return tables


def window_text(since: Any, until: Any) -> str:
    """The decisions a run counted: whole days read as days."""
    return words.period(since, until)


def day_of(value: Any) -> str:
    moment = words.parse_moment(value)
    return moment.strftime("%Y-%m-%d") if moment else "\u2014"


@dataclass(frozen=True)
class AttributeChart:
    attributes: str
    chart: AirChart


def air_charts(
    runs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    *,
    first: Sequence[str] = (),
) -> list[AttributeChart]:
    """One chart per attribute set, over ``runs`` ((row, document), oldest first); the sets in
    ``first`` (the shown run's, in its order) lead."""
    columns: dict[str, list[AirColumn]] = {}
    threshold = 0.80
    confidence = 0.95
    for row, document in runs:
        threshold = _finite((document.get("config") or {}).get("air_threshold")) or threshold
        for result in document.get("results") or []:
            key = ",".join(str(a) for a in result.get("attributes") or [])
            selection = result.get("selection") or {}
            confidence = _finite(selection.get("confidence")) or confidence
            verdicts = {
                _key(g.get("group")): g.get("outcome")
                for g in (result.get("verdict") or {}).get("groups") or []
            }
            values = []
            for group in selection.get("groups") or []:
                ci = group.get("ratio_ci") if isinstance(group.get("ratio_ci"), list) else None
                outcome = verdicts.get(_key(group.get("group")))
                values.append(
                    AirValue(
                        group=group_label(group.get("group")),
                        ratio=_finite(group.get("ratio")),
                        low=_finite(ci[0]) if ci else None,
                        high=_finite(ci[1]) if ci else None,
                        outcome=outcome if outcome in OUTCOMES else "no_data",
                    )
                )
            columns.setdefault(key, []).append(
                AirColumn(str(row["run_id"]), day_of(row.get("run_at")), tuple(values))
            )
    order = [k for k in first if k in columns] + [k for k in columns if k not in first]
    charts = []
    for key in order:
        chart = air_chart(columns[key], threshold=threshold, confidence=confidence)
        if chart is not None:
            charts.append(AttributeChart(key.replace(",", " \u00d7 "), chart))
    return charts


def coverage(assignment: Mapping[str, Any] | None) -> list[Coverage]:
    """The BISG match levels and fallbacks the assignment logged, per BISG attribute."""
    if not assignment:
        return []
    found = []
    for attribute, summary in sorted((assignment.get("bisg") or {}).items()):
        if not isinstance(summary, dict):
            continue
        rates = summary.get("match_rates") or {}
        fallback_rates = summary.get("fallback_rates") or {}
        found.append(
            Coverage(
                attribute=str(attribute),
                records=int(_finite(summary.get("records")) or 0),
                method=str(summary.get("method") or ""),
                matches=tuple(
                    (str(level), int(_finite(n) or 0), percent(rates.get(level)))
                    for level, n in (summary.get("matches") or {}).items()
                ),
                fallbacks=tuple(
                    (str(name), int(_finite(n) or 0), percent(fallback_rates.get(name)))
                    for name, n in (summary.get("fallbacks") or {}).items()
                ),
            )
        )
    return found
