"""Monitoring periods: the calendar weeks, months and quarters a monitoring plan runs over.

A plan's cadence cuts time into periods in UTC: ISO weeks (Monday to Sunday, ``2026-W37``),
calendar months (``2026-09``) and calendar quarters (``2026-Q3``). A period is complete once its
end has passed; only complete periods are run by a plan, so that every run of a plan covers the
same span of decisions as the one before. Pure: the current time is always passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast, get_args

from attest.errors import InvalidInput

Cadence = Literal["weekly", "monthly", "quarterly"]
CADENCES: tuple[Cadence, ...] = get_args(Cadence)

_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")


@dataclass(frozen=True)
class MonitoringPeriod:
    """``start <= decision time < end``, both UTC midnights, named by ``label``."""

    cadence: Cadence
    label: str
    start: datetime
    end: datetime

    def following(self) -> MonitoringPeriod:
        return period_containing(self.cadence, self.end)

    def preceding(self) -> MonitoringPeriod:
        return period_containing(self.cadence, self.start - timedelta(microseconds=1))

    def complete(self, now: datetime) -> bool:
        return self.end <= utc(now, "now")

    def to_json(self) -> dict[str, Any]:
        return {
            "cadence": self.cadence,
            "label": self.label,
            "start": self.start.date().isoformat(),
            "end": self.end.date().isoformat(),
        }


def utc(moment: datetime, where: str) -> datetime:
    """``moment`` in UTC; a time without an offset is refused rather than guessed."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput(f"{where}: must be a time with a UTC offset")
    return moment.astimezone(UTC)


def cadence(value: Any, where: str = "cadence") -> Cadence:
    if value not in CADENCES:
        raise InvalidInput(f"field {where!r} must be one of {', '.join(CADENCES)}")
    return cast(Cadence, value)


def midnight(day: date) -> datetime:
    """The start of ``day`` in UTC."""
    return datetime.combine(day, time(0), UTC)


def _month_start(year: int, month: int) -> date:
    """The first day of ``month`` of ``year``, months past 12 rolling into the next year."""
    year += (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def period_containing(kind: Cadence, moment: datetime) -> MonitoringPeriod:
    """The period of ``kind`` that ``moment`` lies in."""
    day = utc(moment, "moment").date()
    if kind == "weekly":
        year, week, weekday = day.isocalendar()
        first = day - timedelta(days=weekday - 1)
        return MonitoringPeriod(
            kind, f"{year}-W{week:02d}", midnight(first), midnight(first + timedelta(days=7))
        )
    if kind == "monthly":
        first = _month_start(day.year, day.month)
        return MonitoringPeriod(
            kind,
            f"{day.year}-{day.month:02d}",
            midnight(first),
            midnight(_month_start(day.year, day.month + 1)),
        )
    if kind == "quarterly":
        quarter = (day.month - 1) // 3 + 1
        first = _month_start(day.year, 3 * quarter - 2)
        return MonitoringPeriod(
            kind,
            f"{day.year}-Q{quarter}",
            midnight(first),
            midnight(_month_start(day.year, 3 * quarter + 1)),
        )
    raise InvalidInput(f"field 'cadence' must be one of {', '.join(CADENCES)}")


def parse_period(text: Any, where: str = "period") -> MonitoringPeriod:
    """``2026-Q3`` (a quarter), ``2026-09`` (a month) or ``2026-W37`` (an ISO week)."""
    if not isinstance(text, str):
        raise InvalidInput(f"field {where!r} must be a quarter (2026-Q3), month or ISO week")
    try:
        if match := _QUARTER.fullmatch(text):
            year, quarter = int(match[1]), int(match[2])
            return period_containing("quarterly", midnight(_month_start(year, 3 * quarter - 2)))
        if match := _MONTH.fullmatch(text):
            return period_containing("monthly", midnight(date(int(match[1]), int(match[2]), 1)))
        if match := _WEEK.fullmatch(text):
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return period_containing("weekly", midnight(monday))
    except ValueError:
        raise InvalidInput(f"field {where!r}: {text!r} is not a real month or week") from None
    raise InvalidInput(
        f"field {where!r} must be a quarter (2026-Q3), a month (2026-09) or an ISO week (2026-W37)"
    )


def last_complete(kind: Cadence, now: datetime) -> MonitoringPeriod:
    """The newest period of ``kind`` that has ended by ``now``."""
    return period_containing(kind, now).preceding()


def aligned(kind: Cadence, start: datetime | None, end: datetime | None) -> bool:
    """Whether ``[start, end)`` is exactly one period of ``kind``."""
    if start is None or end is None:
        return False
    period = period_containing(kind, start)
    return period.start == utc(start, "start") and period.end == utc(end, "end")
