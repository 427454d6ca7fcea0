"""A model version's monitoring plan (MON-PLAN): what is measured, how often, and where the
green / amber / red lines are.

The catalogue's thresholds are conventions, not regulation, to be "configurable per model tier",
with "the threshold version stored with each result" (§7). So the lines a run is judged by come
in three layers: the defaults of ``attest.core.drift`` and ``attest.core.calibration``, then the
system's risk tier (``TIER_THRESHOLDS``), then the plan's own. Each plan is a ledger entry and
each run records the lines it used and the plan entry they came from.

A plan also names its cadence (weekly, monthly or quarterly periods in UTC), the day monitoring
starts, the outcomes that count as good and the labels that count as favourable (for the approval
rate), segment features, and who owns the model's monitoring and where a breach goes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from attest.core.calibration import HL_P_THRESHOLDS
from attest.core.drift import (
    AUC_THRESHOLDS,
    CSI_THRESHOLDS,
    KS_THRESHOLDS,
    PSI_THRESHOLDS,
    Thresholds,
)
from attest.core.monitoring_period import (
    Cadence,
    MonitoringPeriod,
    cadence,
    last_complete,
    midnight,
    period_containing,
    utc,
)
from attest.errors import InvalidInput

# What a run can compute; a plan picks some (all by default).
METRICS = (
    "csi",
    "data_quality",
    "psi",
    "ks_two_sample",
    "ks_discrimination",
    "auc",
    "brier",
    "calibration",
    "hosmer_lemeshow",
    "approval_rate",
    "vintages",
)
# The metrics judged green / amber / red, with the catalogue's (or our) lines.
DEFAULT_THRESHOLDS: Mapping[str, Thresholds] = {
    "csi": CSI_THRESHOLDS,
    "psi": PSI_THRESHOLDS,
    "ks_discrimination": KS_THRESHOLDS,
    "auc": AUC_THRESHOLDS,
    "hosmer_lemeshow": HL_P_THRESHOLDS,
}
# Per risk tier, over the defaults. Ours: a low-tier model may rank somewhat less well before it
# is flagged; the stability bands and the calibration test are the catalogue's for every tier.
TIER_THRESHOLDS: Mapping[str, Mapping[str, Thresholds]] = {
    "high": {},
    "medium": {},
    "low": {
        "auc": Thresholds(0.65, 0.55, higher_is_worse=False),
        "ks_discrimination": Thresholds(0.25, 0.15, higher_is_worse=False),
    },
}
# Metrics whose values are probabilities or shares, so their lines lie in [0, 1].
_UNIT_INTERVAL = frozenset({"ks_discrimination", "auc", "hosmer_lemeshow"})

FIELDS = (
    "system",
    "version",
    "cadence",
    "start",
    "settle_days",
    "metrics",
    "thresholds",
    "good_outcomes",
    "favourable",
    "segments",
    "owner",
    "escalation",
)
MAX_TEXT = 2000
# Periods are by decision time, and decisions can be logged a while after they are made (a
# nightly batch): a period is due this many days after it ends, so its run holds them.
DEFAULT_SETTLE_DAYS = 1
MAX_SETTLE_DAYS = 92
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,127}")  # a feature name, as the inventory has it


@dataclass(frozen=True)
class MonitoringPlan:
    """One version's plan. ``thresholds`` holds only the plan's own lines (see ``thresholds``);
    ``good_outcomes`` None means the reference profile's."""

    system: str
    version: str
    cadence: Cadence = "quarterly"
    start: date | None = None
    settle_days: int = DEFAULT_SETTLE_DAYS
    metrics: tuple[str, ...] = METRICS
    thresholds: Mapping[str, Thresholds] = field(default_factory=dict)
    good_outcomes: tuple[Any, ...] | None = None
    favourable: tuple[str, ...] = ("approve",)
    segments: tuple[str, ...] = ()
    owner: str | None = None
    escalation: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "version": self.version,
            "cadence": self.cadence,
            "start": None if self.start is None else self.start.isoformat(),
            "settle_days": self.settle_days,
            "metrics": list(self.metrics),
            "thresholds": {
                name: {"amber": t.amber, "red": t.red} for name, t in self.thresholds.items()
            },
            "good_outcomes": None if self.good_outcomes is None else list(self.good_outcomes),
            "favourable": list(self.favourable),
            "segments": list(self.segments),
            "owner": self.owner,
            "escalation": self.escalation,
        }

    @classmethod
    def from_json(cls, raw: Any) -> MonitoringPlan:
        """A plan from its JSON, every field checked; errors name the field."""
        if not isinstance(raw, Mapping):
            raise InvalidInput("plan: must be a JSON object")
        unknown = sorted(set(raw) - set(FIELDS))
        if unknown:
            raise InvalidInput(f"field {unknown[0]!r} is not a plan field ({', '.join(FIELDS)})")
        return cls(
            system=_text(raw, "system", required=True, limit=63) or "",
            version=_text(raw, "version", required=True, limit=64) or "",
            cadence=cadence(raw.get("cadence", "quarterly")),
            start=_day(raw.get("start")),
            settle_days=_settle_days(raw.get("settle_days", DEFAULT_SETTLE_DAYS)),
            metrics=_metrics(raw.get("metrics")),
            thresholds=_thresholds(raw.get("thresholds")),
            good_outcomes=_outcomes(raw.get("good_outcomes")),
            favourable=_texts(raw.get("favourable", ["approve"]), "favourable", empty=False),
            segments=_segments(raw.get("segments")),
            owner=_text(raw, "owner"),
            escalation=_text(raw, "escalation"),
        )


def thresholds(plan: MonitoringPlan | None, risk_tier: str | None) -> dict[str, Thresholds]:
    """The lines a run is judged by: the defaults, then the tier's, then the plan's. Without a
    plan, the defaults."""
    lines = dict(DEFAULT_THRESHOLDS)
    if plan is None:
        return lines
    if risk_tier is not None:
        if risk_tier not in TIER_THRESHOLDS:
            raise InvalidInput(f"field 'risk_tier' must be one of {', '.join(TIER_THRESHOLDS)}")
        lines.update(TIER_THRESHOLDS[risk_tier])
    lines.update(plan.thresholds)
    return lines


def due_periods(
    plan: MonitoringPlan, last_run_period_end: datetime | None, now: datetime
) -> list[MonitoringPeriod]:
    """The complete periods of the plan's cadence that are due at ``now``, oldest first.

    After a run, those ending after the last run's period end (a period the last run covered only
    in part is due again once complete). Before any run, those ending after the plan's ``start``
    when it has one, else just the last complete period. A period is complete, and due, once
    ``now`` is ``settle_days`` past its end.
    """
    now = utc(now, "now")
    newest = last_complete(plan.cadence, now - timedelta(days=plan.settle_days))
    floor: datetime | None = None
    if last_run_period_end is not None:
        floor = utc(last_run_period_end, "last_run_period_end")
    if plan.start is not None:
        begun = period_containing(plan.cadence, midnight(plan.start)).start
        floor = begun if floor is None else max(floor, begun)
    if floor is None:
        return [newest]
    due: list[MonitoringPeriod] = []
    period = period_containing(plan.cadence, floor)  # the first that ends after the floor
    while period.end <= newest.end:
        due.append(period)
        period = period.following()
    return due


def _settle_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SETTLE_DAYS:
        raise InvalidInput(
            f"field 'settle_days' must be a whole number from 0 to {MAX_SETTLE_DAYS}"
        )
    return value


def _text(
    raw: Mapping[str, Any], name: str, *, required: bool = False, limit: int = MAX_TEXT
) -> str | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"field {name!r} is required")
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(
            f"field {name!r} must be a non-empty string of at most {limit} characters"
        )
    return value


def _day(value: Any) -> date | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("field 'start' must be a date, YYYY-MM-DD") from None


def _texts(value: Any, name: str, *, empty: bool) -> tuple[str, ...]:
    if (
        not isinstance(value, list | tuple)
        or not all(isinstance(v, str) and v.strip() and len(v) <= 200 for v in value)
        or (not empty and not value)
    ):
        need = "a list" if empty else "a non-empty list"
        raise InvalidInput(f"field {name!r} must be {need} of names (at most 200 characters)")
    if len(set(value)) != len(value):
        raise InvalidInput(f"field {name!r} names something twice")
    return tuple(value)


def _metrics(value: Any) -> tuple[str, ...]:
    if value is None:
        return METRICS
    names = _texts(value, "metrics", empty=False)
    for name in names:
        if name not in METRICS:
            raise InvalidInput(f"field 'metrics': {name!r} is not one of {', '.join(METRICS)}")
    return tuple(m for m in METRICS if m in names)  # in the documented order


def _segments(value: Any) -> tuple[str, ...]:
    names = _texts([] if value is None else value, "segments", empty=True)
    for name in names:
        if not _NAME.fullmatch(name):
            raise InvalidInput(f"field 'segments': {name!r} is not a feature name")
    return names


def _outcomes(value: Any) -> tuple[Any, ...] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value)
    ):
        raise InvalidInput("field 'good_outcomes' must be a non-empty list of outcome values")
    return tuple(value)


def _thresholds(value: Any) -> dict[str, Thresholds]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput("field 'thresholds' must be an object of metric to {amber, red}")
    lines = {}
    for metric, raw in value.items():
        where = f"thresholds.{metric}"
        if metric not in DEFAULT_THRESHOLDS:
            raise InvalidInput(
                f"field {where!r}: not a judged metric ({', '.join(DEFAULT_THRESHOLDS)})"
            )
        if not isinstance(raw, Mapping) or set(raw) != {"amber", "red"}:
            raise InvalidInput(f"field {where!r} must be an object with amber and red")
        amber, red = (_line(raw[name], f"{where}.{name}", metric) for name in ("amber", "red"))
        worse = DEFAULT_THRESHOLDS[metric].higher_is_worse
        if worse and red < amber:
            raise InvalidInput(f"field '{where}.red' must not be below amber: higher is worse")
        if not worse and red > amber:
            raise InvalidInput(f"field '{where}.red' must not be above amber: lower is worse")
        lines[metric] = Thresholds(amber, red, higher_is_worse=worse)
    return lines


def _line(value: Any, where: str, metric: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"field {where!r} must be a number")
    if value < 0 or (metric in _UNIT_INTERVAL and value > 1):
        bounds = "in [0, 1]" if metric in _UNIT_INTERVAL else "at least 0"
        raise InvalidInput(f"field {where!r} must be {bounds}")
    return float(value)


def parse_threshold_option(text: str) -> tuple[str, dict[str, float]]:
    """``csi=0.1,0.25`` (metric=amber,red) as the CLI takes it."""
    metric, _, lines = text.partition("=")
    parts = lines.split(",")
    if not metric or len(parts) != 2:
        raise InvalidInput(f"--threshold: {text!r} is not METRIC=AMBER,RED (e.g. csi=0.1,0.25)")
    try:
        amber, red = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(f"--threshold: {text!r} has a value that is not a number") from None
    return metric.strip(), {"amber": amber, "red": red}


def thresholds_json(lines: Mapping[str, Thresholds]) -> dict[str, Any]:
    return {name: t.to_json() for name, t in lines.items()}


def selected(plan: MonitoringPlan | None) -> Sequence[str]:
    """The metrics a run computes: the plan's, or all without a plan."""
    return METRICS if plan is None else plan.metrics
