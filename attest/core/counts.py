"""Mergeable, probability-weighted count tables: the only input the fairness metrics need.

Every fairness statistic is a function of a few weighted sums per group, so the same math serves a
hundred rows in a test and a billion in PostgreSQL: the database returns one row of sums per group
(``GROUP BY``), and tables from different windows, partitions or machines are added with
``merge``. Weights are 1 for self-reported groups and membership probabilities for BISG, where
``selection_rate = Σ p_i·approved_i / Σ p_i`` (catalogue FAIR-AIR, BISG-6).

A group key is a tuple of attribute values, one per name in ``attributes``; a table keyed by
(sex, race) holds the intersections, and ``marginal(("sex",))`` gives the sex table exactly as
counting sex alone would. A missing attribute value (``None``) is counted under ``UNKNOWN``.

The aggregate row (``AGGREGATE_FIELDS``): the SQL layer returns, per group, the attribute columns
named as in ``attributes`` followed by these sums (``w`` the row's weight; SQL ``NULL`` sums count
as 0; only the first three are required, and ``above`` too when a ``score_threshold`` is given;
several rows for one group are added, so per-partition sums can be passed as they come)::

    n             SUM(w)                                           total weight
    n_sq          SUM(w*w)                                         for Kish n_eff = n² / n_sq
    selected      SUM(w * selected)                                favourable decisions
    tp            SUM(w) WHERE truth = good AND selected           outcome known (labelled) rows:
    fp            SUM(w) WHERE truth = bad  AND selected             positive = selected
    tn            SUM(w) WHERE truth = bad  AND NOT selected         (approved), truth = good
    fn            SUM(w) WHERE truth = good AND NOT selected         outcome (repaid)
    good_sq       SUM(w*w) WHERE truth = good                      n_eff of the TPR denominator
    bad_sq        SUM(w*w) WHERE truth = bad                       n_eff of the FPR denominator
    scored        SUM(w) WHERE score IS NOT NULL                   score moments:
    scored_sq     SUM(w*w) WHERE score IS NOT NULL
    score_sum     SUM(w * score)
    score_sq_sum  SUM(w * score * score)
    above         SUM(w) WHERE score > :score_threshold            0 when no threshold is set

A score band for calibration is one more attribute column (``band_labels(edges)`` gives the
labels to use in the SQL ``CASE``); compute it over rows that have both a score and an outcome.

The LL144 scoring rate needs the median score of the whole sample before ``above`` can be
counted. Get it from a ``ScoreHistogram`` (itself mergeable: ``GROUP BY`` the score rounded to the
resolution the report needs, or exact scores), or from the database's own percentile, then count
again with ``score_threshold`` set to it. Sums of floats are exactly associative only when they
are exactly representable (integer or dyadic weights); otherwise merge order changes the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from attest.errors import InvalidInput

GroupKey = tuple[str, ...]
UNKNOWN = "unknown"
AGGREGATE_FIELDS = (
    "n",
    "n_sq",
    "selected",
    "tp",
    "fp",
    "tn",
    "fn",
    "good_sq",
    "bad_sq",
    "scored",
    "scored_sq",
    "score_sum",
    "score_sq_sum",
    "above",
)
_REQUIRED = frozenset({"n", "n_sq", "selected"})
# Sums from a database are rounded in a different order: allow this relative slack in checks.
_SLACK = 1e-9


@dataclass(frozen=True)
class Cell:
    """The weighted sums of one group; see the module docstring for each field."""

    n: float = 0.0
    n_sq: float = 0.0
    selected: float = 0.0
    tp: float = 0.0
    fp: float = 0.0
    tn: float = 0.0
    fn: float = 0.0
    good_sq: float = 0.0
    bad_sq: float = 0.0
    scored: float = 0.0
    scored_sq: float = 0.0
    score_sum: float = 0.0
    score_sq_sum: float = 0.0
    above: float = 0.0

    def __add__(self, other: Cell) -> Cell:
        return Cell(*(getattr(self, f) + getattr(other, f) for f in AGGREGATE_FIELDS))

    def __sub__(self, other: Cell) -> Cell:
        """The complement of a sub-population (``overall - group``); rounding clamped at 0."""
        return Cell(
            *(
                getattr(self, f) - getattr(other, f)
                if f == "score_sum"
                else max(getattr(self, f) - getattr(other, f), 0.0)
                for f in AGGREGATE_FIELDS
            )
        )

    @property
    def n_eff(self) -> float:
        """Kish's effective sample size (Σw)²/Σw²: equals n when every weight is 1."""
        return effective_size(self.n, self.n_sq)

    @property
    def good(self) -> float:
        """Weight of labelled rows whose truth is the good outcome (TPR denominator)."""
        return self.tp + self.fn

    @property
    def bad(self) -> float:
        """Weight of labelled rows whose truth is the bad outcome (FPR denominator)."""
        return self.fp + self.tn

    @property
    def labelled(self) -> float:
        return self.tp + self.fp + self.tn + self.fn


_ZERO = Cell()


def effective_size(total: float, total_sq: float) -> float:
    """Kish (1965) effective sample size; 0 for an empty group."""
    return total * total / total_sq if total_sq > 0 else 0.0


@dataclass(frozen=True)
class Observation:
    """One decision: ``group`` values in ``attributes`` order; truth True = good outcome."""

    group: tuple[str | None, ...]
    selected: bool
    truth: bool | None = None
    score: float | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class GroupCounts:
    """A mergeable table of ``Cell`` per group key over the named ``attributes``.

    ``score_threshold`` is the cut the ``above`` sums were counted at (None: not counted).
    """

    attributes: tuple[str, ...]
    cells: Mapping[GroupKey, Cell]
    score_threshold: float | None = None

    @classmethod
    def empty(
        cls, attributes: Sequence[str], *, score_threshold: float | None = None
    ) -> GroupCounts:
        """The identity of ``merge`` for tables over ``attributes``."""
        return cls(_attributes(attributes), {}, _threshold(score_threshold))

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Observation],
        *,
        attributes: Sequence[str],
        score_threshold: float | None = None,
    ) -> GroupCounts:
        """Count decisions one by one: for tests, small data and the in-memory store."""
        names = _attributes(attributes)
        threshold = _threshold(score_threshold)
        sums: dict[GroupKey, list[float]] = {}
        for i, row in enumerate(rows):
            key = _key(row.group, len(names), f"rows[{i}].group")
            w = _number(row.weight, f"rows[{i}].weight")
            s = None if row.score is None else _finite(row.score, f"rows[{i}].score")
            acc = sums.setdefault(key, [0.0] * len(AGGREGATE_FIELDS))
            for j, value in enumerate(_row_sums(w, bool(row.selected), row.truth, s, threshold)):
                acc[j] += value
        return cls(names, {k: Cell(*v) for k, v in sums.items()}, threshold)

    @classmethod
    def from_aggregates(
        cls,
        rows: Iterable[Mapping[str, Any]],
        *,
        attributes: Sequence[str],
        score_threshold: float | None = None,
    ) -> GroupCounts:
        """Build from pre-aggregated rows (attribute columns + ``AGGREGATE_FIELDS`` sums).

        Rows with the same group key are added, so partial aggregates (per partition or day)
        can be passed as they come.
        """
        names = _attributes(attributes)
        threshold = _threshold(score_threshold)
        cells: dict[GroupKey, Cell] = {}
        for i, row in enumerate(rows):
            key = _key(tuple(_get(row, a, f"rows[{i}]") for a in names), len(names), f"rows[{i}]")
            cell = _aggregate_cell(row, f"rows[{i}]", threshold)
            cells[key] = cells.get(key, _ZERO) + cell
        return cls(names, cells, threshold)

    def merge(self, other: GroupCounts) -> GroupCounts:
        """Add two tables over the same attributes and threshold (associative, commutative)."""
        if other.attributes != self.attributes:
            raise InvalidInput("counts.attributes: cannot merge tables over different attributes")
        if other.score_threshold != self.score_threshold:
            raise InvalidInput("counts.score_threshold: cannot merge tables with different cuts")
        cells = dict(self.cells)
        for key, cell in other.cells.items():
            cells[key] = cells.get(key, _ZERO) + cell
        return GroupCounts(self.attributes, cells, self.score_threshold)

    def marginal(self, attributes: Sequence[str]) -> GroupCounts:
        """Sum over the attributes not named: the table for a subset (or reorder) of them."""
        names = _attributes(attributes)
        index = []
        for name in names:
            if name not in self.attributes:
                raise InvalidInput(f"attributes: {name!r} is not an attribute of these counts")
            index.append(self.attributes.index(name))
        cells: dict[GroupKey, Cell] = {}
        for key, cell in self.cells.items():
            sub = tuple(key[j] for j in index)
            cells[sub] = cells.get(sub, _ZERO) + cell
        return GroupCounts(names, cells, self.score_threshold)

    def overall(self) -> Cell:
        """Everyone in the table, as one cell."""
        total = _ZERO
        for cell in self.cells.values():
            total = total + cell
        return total

    def cell(self, key: Sequence[str], *, field: str = "group") -> Cell:
        """The cell of ``key`` (an empty cell when the group never occurred); ``field`` names
        the caller's argument in the error a malformed key raises."""
        return self.cells.get(_key(tuple(key), len(self.attributes), field), _ZERO)

    def groups(self) -> list[GroupKey]:
        """Group keys in a stable (sorted) order, for reports and JSON."""
        return sorted(self.cells)


@dataclass(frozen=True)
class ScoreHistogram:
    """Weight per (group, score value): a mergeable source for the sample's median score.

    Exact when the values are the scores themselves; ``GROUP BY round(score, k)`` bounds its size
    at the cost of a median known only to that resolution.
    """

    attributes: tuple[str, ...]
    weights: Mapping[GroupKey, Mapping[float, float]]

    @classmethod
    def from_rows(cls, rows: Iterable[Observation], *, attributes: Sequence[str]) -> ScoreHistogram:
        names = _attributes(attributes)
        weights: dict[GroupKey, dict[float, float]] = {}
        for i, row in enumerate(rows):
            if row.score is None:
                continue
            key = _key(row.group, len(names), f"rows[{i}].group")
            score = _finite(row.score, f"rows[{i}].score")
            bins = weights.setdefault(key, {})
            bins[score] = bins.get(score, 0.0) + _number(row.weight, f"rows[{i}].weight")
        return cls(names, weights)

    @classmethod
    def from_aggregates(
        cls, rows: Iterable[Mapping[str, Any]], *, attributes: Sequence[str]
    ) -> ScoreHistogram:
        """Rows of the attribute columns, ``score`` (the value or bin) and ``n`` (Σw)."""
        names = _attributes(attributes)
        weights: dict[GroupKey, dict[float, float]] = {}
        for i, row in enumerate(rows):
            key = _key(tuple(_get(row, a, f"rows[{i}]") for a in names), len(names), f"rows[{i}]")
            score = _finite(_get(row, "score", f"rows[{i}]"), f"rows[{i}].score")
            bins = weights.setdefault(key, {})
            bins[score] = bins.get(score, 0.0) + _number(
                _get(row, "n", f"rows[{i}]"), f"rows[{i}].n"
            )
        return cls(names, weights)

    def merge(self, other: ScoreHistogram) -> ScoreHistogram:
        if other.attributes != self.attributes:
            raise InvalidInput("histogram.attributes: cannot merge over different attributes")
        weights = {key: dict(bins) for key, bins in self.weights.items()}
        for key, bins in other.weights.items():
            mine = weights.setdefault(key, {})
            for score, w in bins.items():
                mine[score] = mine.get(score, 0.0) + w
        return ScoreHistogram(self.attributes, weights)

    def pooled(self) -> dict[float, float]:
        """Weight per score value over every group."""
        pooled: dict[float, float] = {}
        for bins in self.weights.values():
            for score, w in bins.items():
                pooled[score] = pooled.get(score, 0.0) + w
        return pooled

    def median(self) -> float | None:
        """The weighted median of the whole sample (None when empty).

        The first value whose cumulative weight passes half the total; when the cumulative
        weight equals half exactly, the mean of that value and the next, so that with unit
        weights this is the ordinary median (``numpy.median``).
        """
        pooled = sorted((s, w) for s, w in self.pooled().items() if w > 0)
        total = math.fsum(w for _, w in pooled)
        if total <= 0:
            return None
        half = total / 2
        cumulative = 0.0
        for i, (score, w) in enumerate(pooled):
            cumulative += w
            if cumulative == half and i + 1 < len(pooled):
                return (score + pooled[i + 1][0]) / 2
            if cumulative >= half:
                return score
        return pooled[-1][0]


def band_labels(edges: Sequence[float]) -> tuple[str, ...]:
    """Labels of the score bands ``[e0, e1), [e1, e2), ..., [e(k-1), ek]`` (last one closed).

    The SQL layer uses the same labels in its ``CASE`` so that its bands join this module's.
    """
    cuts = [_finite(e, f"edges[{i}]") for i, e in enumerate(edges)]
    if len(cuts) < 2 or any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)):
        raise InvalidInput("edges: need at least two strictly increasing band edges")
    last = len(cuts) - 2
    return tuple(
        f"[{lo!r}, {hi!r}{']' if i == last else ')'}"
        for i, (lo, hi) in enumerate(zip(cuts, cuts[1:], strict=False))
    )


def score_band(score: float, edges: Sequence[float]) -> str:
    """The label of the band that holds ``score`` (see ``band_labels``)."""
    labels = band_labels(edges)
    value = _finite(score, "score")
    if not edges[0] <= value <= edges[-1]:
        raise InvalidInput("score: outside the band edges")
    for i in range(len(labels)):
        if value < edges[i + 1]:
            return labels[i]
    return labels[-1]


def _row_sums(
    w: float, selected: bool, truth: bool | None, score: float | None, threshold: float | None
) -> tuple[float, ...]:
    good = truth is True
    bad = truth is False
    scored = score is not None
    s = score if score is not None else 0.0
    above = scored and threshold is not None and s > threshold
    return (
        w,
        w * w,
        w if selected else 0.0,
        w if good and selected else 0.0,
        w if bad and selected else 0.0,
        w if bad and not selected else 0.0,
        w if good and not selected else 0.0,
        w * w if good else 0.0,
        w * w if bad else 0.0,
        w if scored else 0.0,
        w * w if scored else 0.0,
        w * s,
        w * s * s,
        w if above else 0.0,
    )


def _aggregate_cell(row: Mapping[str, Any], where: str, threshold: float | None) -> Cell:
    values: dict[str, float] = {}
    for name in AGGREGATE_FIELDS:
        required = name in _REQUIRED or (name == "above" and threshold is not None)
        if required and name not in row:
            raise InvalidInput(f"{where}.{name}: required aggregate column missing")
        raw = row.get(name)
        if name == "score_sum":
            values[name] = 0.0 if raw is None else _finite(raw, f"{where}.{name}")
        else:
            values[name] = 0.0 if raw is None else _number(raw, f"{where}.{name}")
    cell = Cell(**values)
    _check_cell(cell, where, threshold)
    return cell


def _check_cell(cell: Cell, where: str, threshold: float | None) -> None:
    def over(part: float, whole: float) -> bool:
        return part > whole * (1 + _SLACK) + _SLACK

    checks = (
        ("selected", cell.selected, cell.n),
        ("tp", cell.labelled, cell.n),
        ("tp", cell.tp + cell.fp, cell.selected),
        ("scored", cell.scored, cell.n),
        ("above", cell.above, cell.scored),
        ("n_sq", cell.good_sq + cell.bad_sq, cell.n_sq),
        ("scored_sq", cell.scored_sq, cell.n_sq),
        ("n_sq", cell.n_sq, cell.n * cell.n),
    )
    for name, part, whole in checks:
        if over(part, whole):
            raise InvalidInput(f"{where}.{name}: sums are inconsistent (a part exceeds its total)")
    if cell.n > 0 and cell.n_sq <= 0:
        raise InvalidInput(f"{where}.n_sq: must be positive when n is")
    if threshold is None and cell.above > 0:
        raise InvalidInput(f"{where}.above: counted above a cut, but no score_threshold was given")


def _attributes(attributes: Sequence[str]) -> tuple[str, ...]:
    if isinstance(attributes, str):
        raise InvalidInput("attributes: give a sequence of attribute names, not one string")
    names = tuple(attributes)
    if not names or not all(isinstance(a, str) and a for a in names):
        raise InvalidInput("attributes: need at least one non-empty attribute name")
    if len(set(names)) != len(names):
        raise InvalidInput("attributes: names must be distinct")
    return names


def _key(values: tuple[Any, ...], size: int, where: str) -> GroupKey:
    if len(values) != size:
        raise InvalidInput(f"{where}: expected {size} attribute values, got {len(values)}")
    key = []
    for j, value in enumerate(values):
        if value is None:
            key.append(UNKNOWN)
        elif isinstance(value, str):
            key.append(value)
        else:
            raise InvalidInput(f"{where}[{j}]: group values must be strings (or None for unknown)")
    return tuple(key)


def _get(row: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in row:
        raise InvalidInput(f"{where}.{name}: column missing")
    return row[name]


def _finite(value: Any, where: str) -> float:
    # Decimal (PostgreSQL's SUM over numeric) converts; text and bytes do not.
    if isinstance(value, str | bytes) or not hasattr(value, "__float__"):
        raise InvalidInput(f"{where}: must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"{where}: must be finite")
    return number


def _number(value: Any, where: str) -> float:
    number = _finite(value, where)
    if number < 0:
        raise InvalidInput(f"{where}: must not be negative")
    return number


def _threshold(value: float | None) -> float | None:
    return None if value is None else _finite(value, "score_threshold")


__all__ = [
    "AGGREGATE_FIELDS",
    "UNKNOWN",
    "Cell",
    "GroupCounts",
    "GroupKey",
    "Observation",
    "ScoreHistogram",
    "band_labels",
    "effective_size",
    "score_band",
]
