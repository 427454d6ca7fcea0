"""Reference binning and mergeable per-bin counts: the only input the monitoring metrics need.

At model registration a ``Binning`` is fixed per feature and for the score (architecture §7): for
a numeric feature the interior cut points and the reference range, for a categorical one the
reference categories. It is stored with the model version (``to_json``) and every later period is
counted into the same bins, so PSI, KS, AUC and calibration compare like with like.

Numeric bins are ``(-inf, e1), [e1, e2), ..., [ek, +inf)``; a binning with no cut points has the
single bin ``(-inf, +inf)``. Categorical bins are the reference categories in order, then
``UNSEEN`` (a category the reference never had). Every binning ends with ``MISSING`` (None, NaN,
or absent). A numeric value outside ``[reference_min, reference_max]`` still falls in the first or
last bin and is *also* counted in ``out_of_range`` (not tracked when the range is unknown, e.g. a
binning built from an all-missing reference or from fixed score bands without a range).

Reference cut points (``Binning.numeric_from_reference``): with the ``n`` non-missing reference
values sorted, ``x_(0) ≤ ... ≤ x_(n-1)``, the j-th of ``B`` quantile cuts is ``x_(⌊j·n/B⌋)``, the
smallest reference value whose empirical CDF exceeds ``j/B``. With ``[a, b)`` bins and no ties
each bin then holds ``⌊(j+1)·n/B⌋ − ⌊j·n/B⌋`` reference values (exactly ``n/B`` when ``B``
divides ``n``). Cuts equal to the reference minimum or to the previous cut are dropped, so ties
merge bins instead of leaving them empty: every bin holds at least one reference value.

Per bin, ``BinCounts`` keeps these weighted sums (``w`` the row's weight, 1 unless rows are
sampled; ``y`` 1 when the outcome is the event the score predicts, i.e. bad / default, 0 when it
is not; ``p`` the model's predicted probability of that event). The SQL layer returns one row
per bin with a ``bin`` column (the index into ``labels``, or the label) and these sums
(``AGGREGATE_FIELDS``; only ``n`` is required, an absent ``n_sq`` / ``labelled_sq`` means unit
weights, SQL ``NULL`` counts as 0, several rows for one bin are added)::

    n                       SUM(w)                                   every row
    n_sq                    SUM(w*w)                                 Kish n_eff = n² / n_sq
    events                  SUM(w) WHERE y = 1                       outcome is the event
    labelled                SUM(w) WHERE y IS NOT NULL               outcome known
    labelled_sq             SUM(w*w) WHERE y IS NOT NULL
    scored                  SUM(w) WHERE p IS NOT NULL
    score_sum               SUM(w*p)                                 mean predicted PD
    score_sq_sum            SUM(w*p*p)
    labelled_scored         SUM(w) WHERE y IS NOT NULL AND p IS NOT NULL
    labelled_score_sum      SUM(w*p) WHERE y IS NOT NULL             (rows with a score)
    labelled_score_sq_sum   SUM(w*p*p) WHERE y IS NOT NULL
    event_score_sum         SUM(w*p) WHERE y = 1
    out_of_range            SUM(w) WHERE value outside the reference range

From them, over the bins whose labelled rows all have a score (``labelled_scored = labelled``),
with ``L = Σ labelled``, ``O = Σ events`` and ``y² = y``:

    Brier           (Σ labelled_score_sq_sum − 2·Σ event_score_sum + O) / L  =  Σw(p − y)² / Σw
    observed rate   events / labelled                       per bin (calibration band)
    predicted rate  labelled_score_sum / labelled           per bin
    Hosmer–Lemeshow Σ_g (O_g − E_g)² / (n_g·p̄_g·(1 − p̄_g)), n_g = labelled, O_g = events,
                    E_g = labelled_score_sum, p̄_g = E_g / n_g

AUC and KS need only ``events`` and ``labelled − events`` per ordered bin, and PSI only ``n``.
Sums of floats are exactly associative only when they are exactly representable (integer or
dyadic weights); otherwise merge order changes the last bit.
"""

from __future__ import annotations

import math
import numbers
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from attest.errors import InvalidInput

Kind = Literal["numeric", "categorical"]
NUMERIC: Kind = "numeric"
CATEGORICAL: Kind = "categorical"
MISSING = "missing"
UNSEEN = "unseen"
DEFAULT_BINS = 10
AGGREGATE_FIELDS = (
    "n",
    "n_sq",
    "events",
    "labelled",
    "labelled_sq",
    "scored",
    "score_sum",
    "score_sq_sum",
    "labelled_scored",
    "labelled_score_sum",
    "labelled_score_sq_sum",
    "event_score_sum",
    "out_of_range",
)
# Absent aggregate columns that default to another one (unit weights: Σw² = Σw).
_UNIT_WEIGHT_DEFAULTS = {"n_sq": "n", "labelled_sq": "labelled"}
# Sums from a database are rounded in a different order: allow this relative slack in checks.
_SLACK = 1e-9
# (part, whole): the part's rows are a subset of the whole's, or p ≤ 1 makes the part smaller.
_PARTS = (
    ("events", "labelled"),
    ("labelled", "n"),
    ("scored", "n"),
    ("labelled_scored", "labelled"),
    ("labelled_scored", "scored"),
    ("out_of_range", "n"),
    ("score_sum", "scored"),
    ("score_sq_sum", "score_sum"),
    ("labelled_score_sum", "labelled_scored"),
    ("labelled_score_sum", "score_sum"),
    ("labelled_score_sq_sum", "labelled_score_sum"),
    ("labelled_score_sq_sum", "score_sq_sum"),
    ("event_score_sum", "labelled_score_sum"),
    ("event_score_sum", "events"),
    ("labelled_sq", "n_sq"),
)


@dataclass(frozen=True)
class Binning:
    """The fixed bins of one feature or score; see the module docstring for the layout.

    Build one with ``numeric_from_reference`` / ``categorical_from_reference``, or directly from
    fixed score bands (``Binning("numeric", edges=(0.1, 0.2, ...))``).
    """

    kind: Kind
    edges: tuple[float, ...] = ()
    reference_min: float | None = None
    reference_max: float | None = None
    categories: tuple[str, ...] = ()
    labels: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind == NUMERIC:
            edges = tuple(_finite(e, f"binning.edges[{i}]") for i, e in enumerate(self.edges))
            if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
                raise InvalidInput("binning.edges: cut points must be strictly increasing")
            if self.categories:
                raise InvalidInput("binning.categories: a numeric binning has no categories")
            low, high = self.reference_min, self.reference_max
            if (low is None) != (high is None):
                raise InvalidInput("binning.reference_min: give both ends of the range or neither")
            if low is not None and high is not None:
                low = _finite(low, "binning.reference_min")
                high = _finite(high, "binning.reference_max")
                if low > high:
                    raise InvalidInput("binning.reference_max: must not be below reference_min")
            object.__setattr__(self, "edges", edges)
            object.__setattr__(self, "reference_min", low)
            object.__setattr__(self, "reference_max", high)
            labels = (*_numeric_labels(edges), MISSING)
        elif self.kind == CATEGORICAL:
            if isinstance(self.categories, str):
                raise InvalidInput(
                    "binning.categories: give a sequence of categories, not a string"
                )
            categories = tuple(self.categories)
            for i, c in enumerate(categories):
                if not isinstance(c, str):
                    raise InvalidInput(f"binning.categories[{i}]: categories must be strings")
                if c in (MISSING, UNSEEN):
                    raise InvalidInput(f"binning.categories[{i}]: {c!r} is reserved for a bin")
            if len(set(categories)) != len(categories):
                raise InvalidInput("binning.categories: categories must be distinct")
            if self.edges or self.reference_min is not None or self.reference_max is not None:
                raise InvalidInput("binning.edges: a categorical binning has no edges or range")
            object.__setattr__(self, "categories", categories)
            labels = (*categories, UNSEEN, MISSING)
        else:
            raise InvalidInput("binning.kind: expected numeric or categorical")
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.categories)})

    @classmethod
    def numeric_from_reference(cls, values: Iterable[Any], bins: int = DEFAULT_BINS) -> Binning:
        """Quantile cut points of the reference values (deciles by default; see the module
        docstring for the definition). None and NaN are missing and ignored."""
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
            raise InvalidInput("bins: must be an integer ≥ 1")
        xs = []
        for i, value in enumerate(values):
            x = _numeric_value(value, f"values[{i}]")
            if x is None:
                continue
            if math.isinf(x):
                raise InvalidInput(f"values[{i}]: reference values must be finite")
            xs.append(x)
        if not xs:
            return cls(NUMERIC)
        xs.sort()
        n = len(xs)
        cuts: list[float] = []
        for j in range(1, bins):
            cut = xs[j * n // bins]
            if cut > xs[0] and (not cuts or cut > cuts[-1]):
                cuts.append(cut)
        return cls(NUMERIC, tuple(cuts), xs[0], xs[-1])

    @classmethod
    def categorical_from_reference(cls, values: Iterable[Any]) -> Binning:
        """The distinct reference categories, sorted; None and NaN are missing and ignored.
        Integer codes are taken as their decimal text."""
        seen: set[str] = set()
        for i, value in enumerate(values):
            category = _category(value, f"values[{i}]")
            if category is not None:
                seen.add(category)
        return cls(CATEGORICAL, categories=tuple(sorted(seen)))

    @property
    def missing_index(self) -> int:
        return len(self.labels) - 1

    @property
    def unseen_index(self) -> int | None:
        return len(self.categories) if self.kind == CATEGORICAL else None

    @property
    def value_bins(self) -> int:
        """How many bins hold values (the ordered score bins of a numeric binning; categories
        and ``UNSEEN`` of a categorical one): every bin but ``MISSING``."""
        return len(self.labels) - 1

    def locate(self, value: Any, *, where: str = "value") -> tuple[int, bool]:
        """``(bin index, out of range)`` of one value; ``where`` names it in errors."""
        if self.kind == NUMERIC:
            x = _numeric_value(value, where)
            if x is None:
                return self.missing_index, False
            low, high = self.reference_min, self.reference_max
            out = low is not None and high is not None and not low <= x <= high
            return bisect_right(self.edges, x), out
        category = _category(value, where)
        if category is None:
            return self.missing_index, False
        return self._index.get(category, len(self.categories)), False

    def bin_of(self, value: Any) -> int:
        """The index into ``labels`` of the bin that holds ``value``."""
        return self.locate(value)[0]

    def is_out_of_range(self, value: Any) -> bool:
        """True for a numeric value outside the reference range (never for a categorical one)."""
        return self.locate(value)[1]

    def to_json(self) -> dict[str, Any]:
        if self.kind == NUMERIC:
            return {
                "kind": NUMERIC,
                "edges": list(self.edges),
                "reference_min": self.reference_min,
                "reference_max": self.reference_max,
                "labels": list(self.labels),
            }
        return {
            "kind": CATEGORICAL,
            "categories": list(self.categories),
            "labels": list(self.labels),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Binning:
        """The binning ``to_json`` wrote; refuses labels that do not match the bins."""
        if not isinstance(data, Mapping):
            raise InvalidInput("binning: expected an object")
        kind = data.get("kind")
        if kind == NUMERIC:
            edges = data.get("edges", [])
            if not isinstance(edges, list):
                raise InvalidInput("binning.edges: expected a list of numbers")
            binning = cls(
                NUMERIC, tuple(edges), data.get("reference_min"), data.get("reference_max")
            )
        elif kind == CATEGORICAL:
            categories = data.get("categories", [])
            if not isinstance(categories, list):
                raise InvalidInput("binning.categories: expected a list of strings")
            binning = cls(CATEGORICAL, categories=tuple(categories))
        else:
            raise InvalidInput("binning.kind: expected numeric or categorical")
        labels = data.get("labels")
        if labels is not None and list(labels) != list(binning.labels):
            raise InvalidInput("binning.labels: do not match the edges or categories")
        return binning


@dataclass(frozen=True)
class BinCounts:
    """Mergeable weighted sums per bin of one feature or score under one ``Binning``.

    Each field is a tuple with one sum per label (see the module docstring); a field left out
    is all zeros, except ``n_sq`` and ``labelled_sq``, which then copy ``n`` and ``labelled``
    (unit weights). ``merge`` is associative and commutative with ``empty`` as its identity.
    """

    binning: Binning
    n: tuple[float, ...] = ()
    n_sq: tuple[float, ...] = ()
    events: tuple[float, ...] = ()
    labelled: tuple[float, ...] = ()
    labelled_sq: tuple[float, ...] = ()
    scored: tuple[float, ...] = ()
    score_sum: tuple[float, ...] = ()
    score_sq_sum: tuple[float, ...] = ()
    labelled_scored: tuple[float, ...] = ()
    labelled_score_sum: tuple[float, ...] = ()
    labelled_score_sq_sum: tuple[float, ...] = ()
    event_score_sum: tuple[float, ...] = ()
    out_of_range: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.binning, Binning):
            raise InvalidInput("counts.binning: expected a Binning")
        size = len(self.binning.labels)
        for name in AGGREGATE_FIELDS:
            raw = getattr(self, name)
            if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
                raise InvalidInput(f"counts.{name}: expected a sequence of numbers")
            if len(raw) == 0 and name in _UNIT_WEIGHT_DEFAULTS:
                vector = getattr(self, _UNIT_WEIGHT_DEFAULTS[name])  # validated above
            elif len(raw) == 0:
                vector = (0.0,) * size
            elif len(raw) != size:
                raise InvalidInput(f"counts.{name}: expected {size} bins, got {len(raw)}")
            else:
                vector = tuple(_count(v, f"counts.{name}[{i}]") for i, v in enumerate(raw))
            object.__setattr__(self, name, vector)
        _check_vectors({f: getattr(self, f) for f in AGGREGATE_FIELDS})

    @classmethod
    def empty(cls, binning: Binning) -> BinCounts:
        """The identity of ``merge`` for counts under ``binning``."""
        return cls(binning)

    @classmethod
    def from_values(
        cls,
        binning: Binning,
        values: Sequence[Any],
        *,
        outcomes: Sequence[Any] | None = None,
        scores: Sequence[float | None] | None = None,
        weights: Sequence[float] | None = None,
    ) -> BinCounts:
        """Count rows one by one: for tests, small data and the in-memory store.

        ``outcomes``: 1 / True when the event (bad, default) happened, 0 / False when it did
        not, None or NaN when unknown. ``scores``: the model's predicted probability of the
        event, in [0, 1] (None when absent); for a model that outputs P(good), pass 1 − P.
        """
        size = len(values)
        for name, column in (("outcomes", outcomes), ("scores", scores), ("weights", weights)):
            if column is not None and len(column) != size:
                raise InvalidInput(f"{name}: expected {size} values, got {len(column)}")
        sums = [[0.0] * len(binning.labels) for _ in AGGREGATE_FIELDS]
        for i, value in enumerate(values):
            index, out = binning.locate(value, where=f"values[{i}]")
            w = 1.0 if weights is None else _count(weights[i], f"weights[{i}]")
            y = None if outcomes is None else _outcome(outcomes[i], f"outcomes[{i}]")
            p = None if scores is None else _probability(scores[i], f"scores[{i}]")
            for j, amount in enumerate(_row_sums(w, y, p, out)):
                sums[j][index] += amount
        return cls(binning, *(tuple(s) for s in sums))

    @classmethod
    def from_aggregates(cls, rows: Iterable[Mapping[str, Any]], *, binning: Binning) -> BinCounts:
        """Build from per-bin sums (a ``bin`` column plus ``AGGREGATE_FIELDS``); rows for the
        same bin are added, so partial aggregates (per partition or day) can be passed as they
        come."""
        sums = [[0.0] * len(binning.labels) for _ in AGGREGATE_FIELDS]
        for i, row in enumerate(rows):
            where = f"rows[{i}]"
            if not isinstance(row, Mapping):
                raise InvalidInput(f"{where}: expected a mapping of column to value")
            if "bin" not in row:
                raise InvalidInput(f"{where}.bin: column missing")
            if "n" not in row:
                raise InvalidInput(f"{where}.n: required aggregate column missing")
            index = _bin_index(binning, row["bin"], f"{where}.bin")
            values: dict[str, float] = {}
            for name in AGGREGATE_FIELDS:
                source = name if name in row else _UNIT_WEIGHT_DEFAULTS.get(name)
                raw = row.get(source) if source is not None else None
                values[name] = 0.0 if raw is None else _count(raw, f"{where}.{name}")
            _check_bin(values, f"{where}.{{}}")
            for j, name in enumerate(AGGREGATE_FIELDS):
                sums[j][index] += values[name]
        return cls(binning, *(tuple(s) for s in sums))

    def merge(self, other: BinCounts) -> BinCounts:
        """Add two count vectors under the same binning (associative, commutative)."""
        if not isinstance(other, BinCounts) or other.binning != self.binning:
            raise InvalidInput("counts.binning: cannot merge counts over different binnings")
        return BinCounts(
            self.binning,
            *(
                tuple(a + b for a, b in zip(getattr(self, f), getattr(other, f), strict=True))
                for f in AGGREGATE_FIELDS
            ),
        )

    def total(self, name: str, bins: Iterable[int] | None = None) -> float:
        """The correctly rounded sum of one field over ``bins`` (all bins by default), so that
        totals do not depend on the order the bins were merged in."""
        if name not in AGGREGATE_FIELDS:
            raise InvalidInput(f"field: expected one of {', '.join(AGGREGATE_FIELDS)}")
        vector = getattr(self, name)
        return math.fsum(vector if bins is None else (vector[i] for i in bins))

    @property
    def non_events(self) -> tuple[float, ...]:
        """Labelled rows whose outcome is not the event (goods), per bin."""
        return tuple(max(a - b, 0.0) for a, b in zip(self.labelled, self.events, strict=True))

    def to_json(self) -> dict[str, Any]:
        return {
            "binning": self.binning.to_json(),
            "counts": {name: list(getattr(self, name)) for name in AGGREGATE_FIELDS},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BinCounts:
        if not isinstance(data, Mapping) or not isinstance(data.get("counts"), Mapping):
            raise InvalidInput("counts: expected an object with binning and counts")
        binning = Binning.from_json(data.get("binning", {}))
        counts = data["counts"]
        vectors = []
        for name in AGGREGATE_FIELDS:
            vector = counts.get(name)
            if not isinstance(vector, list):
                raise InvalidInput(f"counts.{name}: expected a list of numbers")
            vectors.append(tuple(vector))
        return cls(binning, *vectors)


def _numeric_labels(edges: tuple[float, ...]) -> tuple[str, ...]:
    if not edges:
        return ("(-inf, +inf)",)
    inner = [f"[{a!r}, {b!r})" for a, b in zip(edges, edges[1:], strict=False)]
    return (f"(-inf, {edges[0]!r})", *inner, f"[{edges[-1]!r}, +inf)")


def _row_sums(w: float, y: bool | None, p: float | None, out: bool) -> tuple[float, ...]:
    known = y is not None
    event = y is True
    scored = p is not None
    s = p if p is not None else 0.0
    both = known and scored
    return (
        w,
        w * w,
        w if event else 0.0,
        w if known else 0.0,
        w * w if known else 0.0,
        w if scored else 0.0,
        w * s,
        w * s * s,
        w if both else 0.0,
        w * s if both else 0.0,
        w * s * s if both else 0.0,
        w * s if event and scored else 0.0,
        w if out else 0.0,
    )


def _check_bin(values: Mapping[str, float], where: str) -> None:
    for part, whole in _PARTS:
        if values[part] > values[whole] * (1 + _SLACK) + _SLACK:
            raise InvalidInput(
                f"{where.format(part)}: sums are inconsistent (exceeds {whole}, its total)"
            )
    for total, squares in (("n", "n_sq"), ("labelled", "labelled_sq")):
        if values[total] > 0 and values[squares] <= 0:
            raise InvalidInput(f"{where.format(squares)}: must be positive when {total} is")


def _check_vectors(vectors: Mapping[str, tuple[float, ...]]) -> None:
    """``_check_bin`` on every bin at once (the same rules, one pass per rule)."""
    for part, whole in _PARTS:
        for i, (a, b) in enumerate(zip(vectors[part], vectors[whole], strict=True)):
            if a > b * (1 + _SLACK) + _SLACK:
                raise InvalidInput(
                    f"counts.{part}[{i}]: sums are inconsistent (exceeds {whole}, its total)"
                )
    for total, squares in (("n", "n_sq"), ("labelled", "labelled_sq")):
        for i, (a, b) in enumerate(zip(vectors[total], vectors[squares], strict=True)):
            if a > 0 and b <= 0:
                raise InvalidInput(f"counts.{squares}[{i}]: must be positive when {total} is")


def _bin_index(binning: Binning, value: Any, where: str) -> int:
    if isinstance(value, str):
        if value not in binning.labels:
            raise InvalidInput(f"{where}: {value!r} is not a label of this binning")
        return binning.labels.index(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{where}: expected a bin index (integer) or a bin label")
    if not 0 <= value < len(binning.labels):
        raise InvalidInput(f"{where}: bin index out of range 0..{len(binning.labels) - 1}")
    return value


def _numeric_value(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, str | bytes | bool) or not hasattr(value, "__float__"):
        raise InvalidInput(f"{where}: must be a number (or None for missing)")
    x = float(value)
    return None if math.isnan(x) else x


def _category(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    raise InvalidInput(f"{where}: a category must be a string or an integer code (None: missing)")


def _outcome(value: Any, where: str) -> bool | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str | bytes):
        raise InvalidInput(f"{where}: expected 1/True (event), 0/False (no event) or None")
    if value == 1:
        return True
    if value == 0:
        return False
    raise InvalidInput(f"{where}: expected 1/True (event), 0/False (no event) or None")


def _probability(value: Any, where: str) -> float | None:
    if value is None:
        return None
    p = _finite(value, where)
    if not 0 <= p <= 1:
        raise InvalidInput(f"{where}: must be a probability in [0, 1]")
    return p


def _finite(value: Any, where: str) -> float:
    # Decimal (PostgreSQL's SUM over numeric) converts; text, bytes and booleans do not.
    if isinstance(value, str | bytes | bool) or not hasattr(value, "__float__"):
        raise InvalidInput(f"{where}: must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"{where}: must be finite")
    return number


def _count(value: Any, where: str) -> float:
    number = _finite(value, where)
    if number < 0:
        raise InvalidInput(f"{where}: must not be negative")
    return number


__all__ = [
    "AGGREGATE_FIELDS",
    "CATEGORICAL",
    "DEFAULT_BINS",
    "MISSING",
    "NUMERIC",
    "UNSEEN",
    "BinCounts",
    "Binning",
    "Kind",
]
