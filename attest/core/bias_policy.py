"""A system's fair-lending policy: the thresholds its bias runs are judged by.

The defaults are the catalogue's conventions (FAIR-AIR: an adverse impact ratio below 0.80 is
flagged; significance at p < 0.05; a group with an effective sample size below 30 is too small to
judge). A compliance officer may set other values per system; each setting is a ledger entry, so
which policy judged a run, and who set it, is evidence too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from attest.errors import InvalidInput

FIELDS = ("air_threshold", "alpha", "min_n_eff")


@dataclass(frozen=True)
class BiasPolicy:
    air_threshold: float = 0.80
    alpha: float = 0.05
    min_n_eff: float = 30.0

    @classmethod
    def parse(cls, raw: Mapping[str, Any], *, base: BiasPolicy | None = None) -> BiasPolicy:
        """The fields ``raw`` has, over ``base`` (default: the defaults), each checked."""
        unknown = sorted(set(raw) - set(FIELDS))
        if unknown:
            raise InvalidInput(f"field {unknown[0]!r} is not a policy field ({', '.join(FIELDS)})")
        start = base or cls()
        values = {name: getattr(start, name) for name in FIELDS}
        for name in FIELDS:
            if name in raw and raw[name] is not None:
                values[name] = _number(raw[name], name)
        if not 0 < values["air_threshold"] <= 1:
            raise InvalidInput("field 'air_threshold' must be in (0, 1]")
        if not 0 < values["alpha"] < 1:
            raise InvalidInput("field 'alpha' must be in (0, 1)")
        if values["min_n_eff"] < 1:
            raise InvalidInput("field 'min_n_eff' must be at least 1")
        return cls(**values)

    def to_json(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in FIELDS}


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"field {name!r} must be a number")
    return float(value)
