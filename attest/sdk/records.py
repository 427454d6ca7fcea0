"""Wire records: client-chosen ids, times, and the JSON text that is spooled and sent.

Ids are chosen here, not by the server, so that a batch sent twice (after a timeout, a crash, a
replay from the spool) is recognised by the server as the same decisions (``created: false``).
Encoding happens on the worker thread; only :func:`new_id` and :func:`time_text` run in the
caller's thread, and both are cheap.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from attest.core.records import format_time, uuid7

DECISION = "decision"
OUTCOME = "outcome"


def new_id(now_ns: int | None = None) -> str:
    """A UUIDv7: unique without coordination, and sorted by the time it was drawn."""
    if now_ns is None:
        now_ns = time.time_ns()
    return uuid7(now_ns // 1_000_000, os.urandom(10))


def time_text(value: datetime | str) -> str:
    """An RFC 3339 time; a naive datetime is refused now, not by the server much later."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("decided_at / observed_at must be timezone-aware")
        return format_time(value)
    if isinstance(value, str):
        return value
    raise TypeError("decided_at / observed_at must be a datetime or an RFC 3339 string")


_second_cache: tuple[int, str] = (-1, "")


def ns_time_text(now_ns: int) -> str:
    """The RFC 3339 spelling of a ``time.time_ns()`` reading, as :func:`format_time` writes it
    (UTC, microseconds, ``Z``); the date and time part is formatted once per second."""
    global _second_cache
    seconds, nanos = divmod(now_ns, 1_000_000_000)
    cached_second, prefix = _second_cache
    if cached_second != seconds:
        prefix = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second_cache = (seconds, prefix)
    return f"{prefix}.{nanos // 1000:06d}Z"


def _jsonable(value: Any) -> Any:
    """Values ``json`` cannot encode but models produce: numpy scalars and arrays, times."""
    if hasattr(value, "tolist"):  # numpy scalars and arrays (tolist gives Python values)
        return value.tolist()
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"a value of type {type(value).__name__} is not JSON")


_PLAIN = frozenset({int, str, bool, type(None)})


def _is_nan(value: Any) -> bool:
    if value.__class__ in _PLAIN:  # most features: decided without a call into numpy
        return False
    if isinstance(value, float):  # numpy.float64 is a float too
        return value != value
    dtype = getattr(value, "dtype", None)  # other numpy float scalars
    return (
        getattr(value, "ndim", None) == 0 and getattr(dtype, "kind", "") == "f" and value != value
    )


def _missing_as_null(inputs: dict[str, Any]) -> dict[str, Any]:
    """NaN is how pandas spells a missing feature; JSON has no NaN, and null means missing."""
    plain = _PLAIN
    for value in inputs.values():
        kind = value.__class__
        if kind in plain or (kind is float and value == value):
            continue
        if _is_nan(value):
            return {k: None if _is_nan(v) else v for k, v in inputs.items()}
    return inputs


def encode(kind: str, record: dict[str, Any]) -> str:
    """The record as compact JSON; raises ``ValueError``/``TypeError`` naming the problem."""
    if kind == DECISION and isinstance(record.get("inputs"), dict):
        record["inputs"] = _missing_as_null(record["inputs"])
    try:
        return json.dumps(
            record, default=_jsonable, allow_nan=False, ensure_ascii=False, separators=(",", ":")
        )
    except ValueError:
        raise ValueError("the record holds NaN or Infinity, which JSON cannot carry") from None
