"""How monitoring values are written for people, the same on the page, in charts and in reports.

A value that is absent or not a finite number is written as a dash, never as 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

DASH = "\u2013"
STATUS_TEXT = {
    "green": "stable",
    "amber": "moderate shift",
    "red": "significant shift",
    "not_measurable": "not measurable",
}
# Discrimination and calibration are not shifts: their statuses read as plain levels.
LEVEL_TEXT = {
    "green": "green",
    "amber": "amber",
    "red": "red",
    "not_measurable": "not measurable",
}
_LOWER = re.compile(r"^\(-inf, (.+)\)$")
_UPPER = re.compile(r"^\[(.+), \+inf\)$")
_BETWEEN = re.compile(r"^\[(.+), (.+)\)$")
MAX_LABEL = 18


def number(value: Any) -> float | None:
    """``value`` as a finite float, or None (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def fixed(value: Any, places: int = 4) -> str:
    found = number(value)
    return DASH if found is None else f"{found:.{places}f}"


def percent(rate: Any, places: int = 1) -> str:
    """A share as a percentage; ``rate`` may be a number or a rate result with a ``value``."""
    found = number(rate.get("value") if isinstance(rate, Mapping) else rate)
    return DASH if found is None else f"{found:.{places}%}"


def plain(value: Any) -> str:
    """A count or a word as it is: 1200 (not 1200.0), 0.35, 'mature'."""
    found = number(value)
    if found is not None:
        return f"{found:.6g}"
    return DASH if value is None else str(value)


def status_text(status: Any, drift: bool = True) -> str:
    words = STATUS_TEXT if drift else LEVEL_TEXT
    return words.get(str(status), str(status)) if status else DASH


def interval(values: Any, places: int = 3, *, as_percent: bool = False) -> str:
    """``[low, high]`` as "low to high", or "" when there is none."""
    if not isinstance(values, list | tuple) or len(values) != 2:
        return ""
    low, high = number(values[0]), number(values[1])
    if low is None or high is None:
        return ""
    if as_percent:
        return f"{low:.{places}%} to {high:.{places}%}"
    return f"{low:.{places}f} to {high:.{places}f}"


def _short(text: str) -> str:
    found = number(_float(text))
    return text if found is None else f"{found:.3g}"


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def bin_label(label: str) -> str:
    """A bin's label, short: ``[0.1234, 0.25)`` reads ``0.123–0.25``, ``(-inf, 3)`` ``< 3``."""
    if label == "(-inf, +inf)":
        return "all"
    if found := _LOWER.match(label):
        return f"< {_short(found.group(1))}"
    if found := _UPPER.match(label):
        return f"\u2265 {_short(found.group(1))}"
    if found := _BETWEEN.match(label):
        return f"{_short(found.group(1))}{DASH}{_short(found.group(2))}"
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "\u2026"


def parse_moment(value: Any) -> datetime | None:
    """A stored or logged time (text or datetime; naive read as UTC) in UTC, else None."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def moment(value: Any) -> str:
    """A time as ``2026-11-27 09:00:05 UTC``."""
    found = parse_moment(value)
    return found.strftime("%Y-%m-%d %H:%M:%S UTC") if found else DASH


def day(value: Any) -> str:
    found = parse_moment(value)
    return found.strftime("%Y-%m-%d") if found else DASH


def period(since: Any, until: Any) -> str:
    """The decisions a run counted: ``[since, until)``, whole days read as days."""
    start, end = parse_moment(since), parse_moment(until)
    if start is None and end is None:
        return "all decisions"
    midnight = datetime.min.time()
    if (start is None or start.time() == midnight) and (end is None or end.time() == midnight):
        first = start.strftime("%Y-%m-%d") if start else "the first decision"
        last = (end - timedelta(days=1)).strftime("%Y-%m-%d") if end else "now"
        return f"{first} to {last}"
    return (
        f"{moment(start) if start else 'the first decision'} up to {moment(end) if end else 'now'}"
    )
