"""A model version's reference profile: the bins every later period is counted into (MON-REF).

Fixed once, from the data the version was developed or validated on (or from a window of its
own early decisions), and logged: bin edges per input feature (deciles of the reference for
numbers, the reference's categories as they are) and for the score, with the reference counts.
Each monitoring run counts its period into exactly these bins, so PSI, CSI, KS, AUC and the
calibration bands compare like with like, and anyone can recompute them from the entry.

The score is binned as the probability of the *event* (the bad outcome: default, charge-off):
a model whose score is the probability of a good outcome (``score_predicts = "good"``) is turned
around (``1 − score``), so that "higher is riskier" holds in every drift result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from attest.core.bins import DEFAULT_BINS, BinCounts, Binning
from attest.core.inventory import FeatureSpec
from attest.errors import InvalidInput

ScorePredicts = Literal["good", "bad"]
NUMERIC_TYPES = ("number", "integer")
CATEGORICAL_TYPES = ("category", "boolean", "string")


@dataclass(frozen=True)
class Outcomes:
    """How a decision's score and outcome read as event probability and event."""

    good_outcomes: tuple[Any, ...]
    score_predicts: ScorePredicts = "good"

    def __post_init__(self) -> None:
        if not self.good_outcomes:
            raise InvalidInput("good_outcomes: name the outcome values that mean good")
        if self.score_predicts not in ("good", "bad"):
            raise InvalidInput("score_predicts: must be good or bad")

    def event(self, outcome: Any) -> bool | None:
        """True when the outcome is bad (the event), None while it is not known."""
        return None if outcome is None else outcome not in self.good_outcomes

    def event_probability(self, score: Any) -> float | None:
        if score is None:
            return None
        value = float(score)
        return 1.0 - value if self.score_predicts == "good" else value

    def to_json(self) -> dict[str, Any]:
        return {"good_outcomes": list(self.good_outcomes), "score_predicts": self.score_predicts}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Outcomes:
        return cls(tuple(data["good_outcomes"]), data.get("score_predicts", "good"))


@dataclass(frozen=True)
class ReferenceRow:
    """One reference observation: the model's inputs, its score and (when known) the outcome."""

    inputs: Mapping[str, Any]
    score: float | None = None
    outcome: Any = None


@dataclass(frozen=True)
class ReferenceProfile:
    system: str
    version: str
    outcomes: Outcomes
    source: Mapping[str, Any]
    features: Mapping[str, BinCounts]
    score: BinCounts | None
    rows: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "version": self.version,
            "outcomes": self.outcomes.to_json(),
            "source": dict(self.source),
            "rows": self.rows,
            "features": {name: counts.to_json() for name, counts in self.features.items()},
            "score": None if self.score is None else self.score.to_json(),
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReferenceProfile:
        return cls(
            system=data["system"],
            version=data["version"],
            outcomes=Outcomes.from_json(data["outcomes"]),
            source=data.get("source") or {},
            features={
                name: BinCounts.from_json(counts) for name, counts in data["features"].items()
            },
            score=None if data.get("score") is None else BinCounts.from_json(data["score"]),
            rows=int(data.get("rows", 0)),
            notes=tuple(data.get("notes") or ()),
        )


def build_profile(
    system: str,
    version: str,
    features: Sequence[FeatureSpec],
    rows: Sequence[ReferenceRow],
    *,
    outcomes: Outcomes,
    source: Mapping[str, Any],
    bins: int = DEFAULT_BINS,
) -> ReferenceProfile:
    """Bin every feature of the version's schema and the score on ``rows``, and count them."""
    if not rows:
        raise InvalidInput("reference: no rows to build a profile from")
    events = [outcomes.event(r.outcome) for r in rows]
    probabilities = [_probability(outcomes, r.score, i) for i, r in enumerate(rows)]
    counted: dict[str, BinCounts] = {}
    notes: list[str] = []
    for spec in features:
        values = [r.inputs.get(spec.name) for r in rows]
        present = [v for v in values if v is not None]
        if spec.type in NUMERIC_TYPES:
            binning = Binning.numeric_from_reference(present, bins)
        elif spec.type in CATEGORICAL_TYPES:
            values = [category_text(v) for v in values]
            binning = Binning.categorical_from_reference([v for v in values if v is not None])
        else:  # pragma: no cover - FeatureType is closed
            raise InvalidInput(f"feature {spec.name}: type {spec.type} cannot be binned")
        if not present:
            notes.append(f"feature {spec.name}: missing in every reference row")
        counted[spec.name] = BinCounts.from_values(
            binning, values, outcomes=events, scores=probabilities
        )
    score = None
    scored = [p for p in probabilities if p is not None]
    if scored:
        binning = Binning.numeric_from_reference(scored, bins)
        score = BinCounts.from_values(binning, probabilities, outcomes=events, scores=probabilities)
    else:
        notes.append("score: no reference row has a score")
    return ReferenceProfile(
        system, version, outcomes, source, counted, score, len(rows), tuple(notes)
    )


def category_text(value: Any) -> str | None:
    """A categorical value as its bins name it: as the JSON text of a string, number or boolean
    (``true``, not ``True``), the way the database reads it out of the logged inputs."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _probability(outcomes: Outcomes, score: Any, index: int) -> float | None:
    if score is None:
        return None
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise InvalidInput(f"reference row {index}: field 'score' must be a probability in [0, 1]")
    return outcomes.event_probability(score)
