"""BISG over small hand-made tables: the formula by hand, the fallbacks, standardisation, counts."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attest.core.proxy import (
    GROUPS,
    BisgTables,
    Geography,
    Group,
    InputStatus,
    MatchLevel,
    Method,
    ProxyInput,
    ProxyResult,
    bayes_update,
    classify,
    normalise,
    proxy,
    proxy_batch,
    standardise_surname,
    standardise_tract,
    standardise_zip,
    summarise,
    surname_keys,
)
from attest.errors import InvalidInput

# Rows in GROUPS order: hispanic, white, black, api, aian, multiracial.
TRACT = "08031001000"
TABLES = BisgTables(
    race_given_surname={
        "GARCIA": (0.9, 0.06, 0.01, 0.01, 0.01, 0.01),
        "SMITH": (0.02, 0.7, 0.23, 0.01, 0.01, 0.03),
        "LOPEZ": (0.8, 0.1, 0.05, 0.02, 0.02, 0.01),
        "WHITEONLY": (0.0, 1.0, 0.0, 0.0, 0.0, 0.0),
        "ZERO": (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    },
    zcta_given_race={
        "80202": (0.001, 0.004, 0.002, 0.001, 0.001, 0.002),
        "00002": (0.01, 0.0, 0.01, 0.0, 0.0, 0.0),  # nobody White lives here
        "00003": (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # nobody lives here
    },
    race_given_zcta={
        "80202": (0.2, 0.5, 0.15, 0.05, 0.05, 0.05),
        "00002": (0.5, 0.0, 0.5, 0.0, 0.0, 0.0),
        "00003": (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    },
    tract_given_race={
        TRACT: (0.0004, 0.0001, 0.0001, 0.0002, 0.0001, 0.0001),
        "08031000002": (0.001, 0.0, 0.001, 0.0, 0.0, 0.0),
    },
    race_given_tract={
        TRACT: (0.6, 0.2, 0.05, 0.05, 0.05, 0.05),
        "08031000002": (0.4, 0.0, 0.6, 0.0, 0.0, 0.0),
    },
    versions={"source": "hand-made"},
)


def _expected(prior: tuple[float, ...], likelihood: tuple[float, ...]) -> list[float]:
    products = [p * q for p, q in zip(prior, likelihood, strict=True)]
    return [value / sum(products) for value in products]


def _close(actual: tuple[float, ...] | None, expected: object) -> bool:
    assert actual is not None
    assert isinstance(expected, list | tuple)
    return all(
        math.isclose(a, e, rel_tol=1e-12, abs_tol=1e-15)
        for a, e in zip(actual, expected, strict=True)
    )


def test_the_six_groups_in_catalogue_order() -> None:
    assert [group.value for group in GROUPS] == [
        "hispanic",
        "white",
        "black",
        "api",
        "aian",
        "multiracial",
    ]


def test_bayes_update_by_hand() -> None:
    # 0.5·0.1 : 0.5·0.3 = 0.05 : 0.15 = 1 : 3.
    posterior = bayes_update((0.5, 0.5, 0, 0, 0, 0), (0.1, 0.3, 0.2, 0, 0, 0))
    assert _close(posterior, [0.25, 0.75, 0, 0, 0, 0])
    # Only the ratios of the likelihoods matter.
    assert _close(
        bayes_update((0.5, 0.5, 0, 0, 0, 0), (1, 3, 7, 0, 0, 0)), [0.25, 0.75, 0, 0, 0, 0]
    )


def test_the_equivalent_form_with_the_geography_make_up() -> None:
    """P(r|s)·P(g|r) ∝ P(r|s)·P(r|g)/P(r): both forms from one made-up population."""
    population = {"a": [30, 50, 10, 5, 3, 2], "b": [10, 10, 60, 15, 1, 4]}
    national = [sum(column) for column in zip(*population.values(), strict=True)]
    total = sum(national)
    prior = (0.1, 0.4, 0.3, 0.1, 0.05, 0.05)
    for counts in population.values():
        likelihood = tuple(n / national[r] for r, n in enumerate(counts))
        make_up = [n / sum(counts) for n in counts]
        other = [prior[r] * make_up[r] / (national[r] / total) for r in range(len(GROUPS))]
        assert _close(bayes_update(prior, likelihood), [value / sum(other) for value in other])


def test_bayes_update_without_support_and_with_bad_rows() -> None:
    assert bayes_update((0, 1, 0, 0, 0, 0), (1, 0, 1, 1, 1, 1)) is None
    with pytest.raises(ValueError, match="6 values"):
        bayes_update((0.5, 0.5), (0.1, 0.3))
    assert normalise((0, 0)) is None
    assert normalise((1, 3)) == (0.25, 0.75)


def test_surname_and_tract() -> None:
    result = proxy(ProxyInput("Garcia", "80202", TRACT), TABLES)
    assert result.match is MatchLevel.SURNAME_TRACT and result.geography is Geography.TRACT
    assert (result.surname, result.zip, result.tract) == (InputStatus.MATCHED,) * 3
    expected = _expected(TABLES.race_given_surname["GARCIA"], TABLES.tract_given_race[TRACT])  # type: ignore[arg-type]
    assert _close(result.probabilities, expected)
    assert result.probability(Group.HISPANIC) == result.as_dict()["hispanic"]  # type: ignore[index]


def test_surname_and_zcta() -> None:
    result = proxy(ProxyInput("smith", "80202"), TABLES)
    assert result.match is MatchLevel.SURNAME_ZCTA and result.geography is Geography.ZCTA
    assert result.tract is InputStatus.MISSING
    expected = _expected(TABLES.race_given_surname["SMITH"], TABLES.zcta_given_race["80202"])  # type: ignore[arg-type]
    assert _close(result.probabilities, expected)


@pytest.mark.parametrize(
    ("tract", "status"),
    [("08031999999", InputStatus.UNMATCHED), ("8031001000", InputStatus.INVALID), (" ", None)],
)
def test_an_unusable_tract_falls_back_to_the_zcta(tract: str, status: InputStatus | None) -> None:
    result = proxy(ProxyInput("Smith", "80202", tract), TABLES)
    assert result.match is MatchLevel.SURNAME_ZCTA
    assert result.tract is (status or InputStatus.MISSING)
    assert result.probabilities == proxy(ProxyInput("Smith", "80202"), TABLES).probabilities


@pytest.mark.parametrize(
    ("zip_code", "status"),
    [
        (None, InputStatus.MISSING),
        ("", InputStatus.MISSING),
        ("99999", InputStatus.UNMATCHED),
        ("00003", InputStatus.UNMATCHED),  # on the table, but with nobody living there
        ("CO 80202", InputStatus.INVALID),
    ],
)
def test_no_usable_geography_gives_the_surname_alone(
    zip_code: str | None, status: InputStatus
) -> None:
    result = proxy(ProxyInput("Smith", zip_code), TABLES)
    assert result.match is MatchLevel.SURNAME and result.geography is None
    assert result.zip is status
    assert _close(result.probabilities, TABLES.race_given_surname["SMITH"])


def test_the_surname_alone_is_renormalised() -> None:
    tables = BisgTables({"ROUNDED": (0.1, 0.2, 0.3, 0.1, 0.1, 0.1001)}, {}, {})
    result = proxy(ProxyInput("Rounded"), tables)
    assert result.probabilities is not None
    assert math.isclose(sum(result.probabilities), 1, abs_tol=1e-15)
    assert _close(result.probabilities, [v / 0.9001 for v in (0.1, 0.2, 0.3, 0.1, 0.1, 0.1001)])


@pytest.mark.parametrize(
    ("surname", "status"),
    [
        (None, InputStatus.MISSING),
        ("  ", InputStatus.MISSING),
        ("Nowhere", InputStatus.UNMATCHED),
        ("Zero", InputStatus.UNMATCHED),  # a row of zeros is no information
        ("--- 42", InputStatus.INVALID),
    ],
)
def test_no_usable_surname_gives_the_geography_alone(
    surname: str | None, status: InputStatus
) -> None:
    by_tract = proxy(ProxyInput(surname, "80202", TRACT), TABLES)
    assert by_tract.match is MatchLevel.GEOGRAPHY and by_tract.geography is Geography.TRACT
    assert by_tract.surname is status
    assert _close(by_tract.probabilities, TABLES.race_given_tract[TRACT])
    by_zcta = proxy(ProxyInput(surname, "80202", "08031999999"), TABLES)
    assert by_zcta.match is MatchLevel.GEOGRAPHY and by_zcta.geography is Geography.ZCTA
    assert _close(by_zcta.probabilities, TABLES.race_given_zcta["80202"])


def test_nothing_usable_gives_no_probabilities() -> None:
    for record in (ProxyInput(), ProxyInput("Nowhere", "99999", "08031999999")):
        result = proxy(record, TABLES)
        assert result.match is MatchLevel.NONE and result.geography is None
        assert result.probabilities is None and result.as_dict() is None
        assert result.probability(Group.WHITE) is None


def test_a_geography_that_rules_out_the_surname_is_skipped() -> None:
    # WHITEONLY has P(r|s) = 0 for every group that lives in tract ...002 and in ZCTA 00002.
    to_zcta = proxy(ProxyInput("Whiteonly", "80202", "08031000002"), TABLES)
    assert to_zcta.match is MatchLevel.SURNAME_ZCTA and to_zcta.conflict
    assert _close(to_zcta.probabilities, [0, 1, 0, 0, 0, 0])
    to_surname = proxy(ProxyInput("Whiteonly", "00002", "08031000002"), TABLES)
    assert to_surname.match is MatchLevel.SURNAME and to_surname.conflict
    assert to_surname.zip is InputStatus.MATCHED and to_surname.tract is InputStatus.MATCHED
    assert not proxy(ProxyInput("Garcia", "00002"), TABLES).conflict


def test_a_hyphenated_surname_matches_on_a_part() -> None:
    first = proxy(ProxyInput("Garcia-Nowhere", "80202"), TABLES)
    second = proxy(ProxyInput("Nowhere-Lopez", "80202"), TABLES)
    assert first.surname_part and second.surname_part
    assert first.probabilities == proxy(ProxyInput("Garcia", "80202"), TABLES).probabilities
    assert second.probabilities == proxy(ProxyInput("Lopez", "80202"), TABLES).probabilities
    both = proxy(ProxyInput("Garcia-Lopez", "80202"), TABLES)  # the first part wins
    assert both.probabilities == first.probabilities
    assert not proxy(ProxyInput("Garcia", "80202"), TABLES).surname_part


@pytest.mark.parametrize(
    ("raw", "keys"),
    [
        ("Smith", ("SMITH",)),
        ("  sMiTh ", ("SMITH",)),
        ("O'Brien", ("OBRIEN",)),
        ("O\u2019Brien", ("OBRIEN",)),
        ("D'Angelo", ("DANGELO",)),
        ("de la Cruz", ("DELACRUZ",)),
        ("St. John", ("STJOHN",)),
        ("McDonald", ("MCDONALD",)),
        ("Dav 3idson", ("DAVIDSON",)),
        ("Smith Jr.", ("SMITH",)),
        ("Smith, Jr", ("SMITH",)),
        ("Smith III", ("SMITH",)),
        ("Smith II", ("SMITH",)),
        ("Smith Jr. III", ("SMITH",)),
        ("SmithJr", ("SMITHJR",)),  # glued: not a suffix (surgeo strips it)
        ("Nasr", ("NASR",)),  # surgeo: NA
        ("Aviv", ("AVIV",)),  # surgeo: AV
        ("Iv", ("IV",)),  # a surname on the list; surgeo: empty
        ("Jr", ("JR",)),
        ("Peña", ("PENA",)),
        ("Müller", ("MULLER",)),
        ("Ødegaard", ("ODEGAARD",)),
        ("Garcia-Lopez", ("GARCIALOPEZ", "GARCIA", "LOPEZ")),
        ("Garcia \u2013 Lopez Jr.", ("GARCIALOPEZ", "GARCIA", "LOPEZ")),
        ("Smith-Smith", ("SMITHSMITH", "SMITH")),
        ("-Smith-", ("SMITH",)),
        ("", ()),
        ("123 .,'", ()),
    ],
)
def test_surname_standardisation(raw: str, keys: tuple[str, ...]) -> None:
    assert surname_keys(raw) == keys
    assert standardise_surname(raw) == (keys[0] if keys else "")


@pytest.mark.parametrize(
    ("raw", "zcta"),
    [
        ("80202", "80202"),
        (" 80202 ", "80202"),
        ("80202-1234", "80202"),
        ("802021234", "80202"),
        ("1199", "01199"),
        (1199, "01199"),
        (80202, "80202"),
        (0, "00000"),
        ("802021", None),
        ("8020A", None),
        ("\uff18\uff10\uff12\uff10\uff12", None),  # full-width digits
        (-1, None),
        (100000, None),
    ],
)
def test_zip_standardisation(raw: str | int, zcta: str | None) -> None:
    assert standardise_zip(raw) == zcta


@pytest.mark.parametrize(
    ("raw", "tract"),
    [
        ("08031001000", "08031001000"),
        (" 08031001000 ", "08031001000"),
        ("080310010001", "08031001000"),  # block group
        ("080310010001005", "08031001000"),  # block
        ("8031001000", None),
        ("0803100100012", None),
        ("08-031-001000", None),
        ("\u0660" * 11, None),  # Arabic-Indic digits
    ],
)
def test_tract_standardisation(raw: str, tract: str | None) -> None:
    assert standardise_tract(raw) == tract


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (ProxyInput(surname=12345), "records[1].surname"),  # type: ignore[arg-type]
        (ProxyInput("Smith", zip=80202.0), "records[1].zip"),  # type: ignore[arg-type]
        (ProxyInput("Smith", zip=True), "records[1].zip"),
        (ProxyInput("Smith", tract=8031001000), "records[1].tract"),  # type: ignore[arg-type]
    ],
)
def test_bad_types_are_named_by_field_without_their_value(record: ProxyInput, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        proxy_batch([ProxyInput("Smith"), record], TABLES)
    message = str(raised.value)
    assert message.startswith(field + ":")
    assert "12345" not in message and "80202" not in message and "8031001000" not in message


def test_bad_batch_arguments() -> None:
    with pytest.raises(InvalidInput, match=r"^records\[0\]: "):
        proxy_batch([{"surname": "Smith"}], TABLES)  # type: ignore[list-item]
    with pytest.raises(InvalidInput, match="^method: "):
        proxy_batch([], TABLES, method="bayes")
    for threshold in (0.5, 1.01, True, "0.8"):
        with pytest.raises(InvalidInput, match="^threshold: "):
            proxy_batch([], TABLES, method="threshold", threshold=threshold)  # type: ignore[arg-type]
    proxy_batch([], TABLES, method="max", threshold="unused")  # type: ignore[arg-type]


def test_classification_methods() -> None:
    row = (0.05, 0.85, 0.05, 0.05, 0.0, 0.0)
    assert classify(row, Method.CONTINUOUS) is None
    assert classify(row, Method.MAX) is Group.WHITE
    assert classify(row, Method.THRESHOLD) is Group.WHITE
    assert classify(row, Method.THRESHOLD, 0.9) is None
    assert classify((0.3, 0.3, 0.2, 0.2, 0, 0), Method.MAX) is None  # a tie at the top
    assert classify((0.4, 0.3, 0.1, 0.1, 0.1, 0), Method.MAX) is Group.HISPANIC
    assert classify((0.4, 0.3, 0.1, 0.1, 0.1, 0), Method.THRESHOLD) is None
    assert classify(None, Method.MAX) is None


RECORDS = [
    ProxyInput("Garcia", "80202", TRACT),  # surname+tract
    ProxyInput("Smith", "80202"),  # surname+zcta
    ProxyInput("Smith", "80202", "08031999999"),  # surname+zcta, tract unknown
    ProxyInput("Whiteonly", "00002"),  # surname, conflict
    ProxyInput("Lopez"),  # surname
    ProxyInput("Nowhere-Lopez", "99999"),  # surname (part)
    ProxyInput(None, "80202"),  # geography
    ProxyInput("Nowhere", tract=TRACT),  # geography
    ProxyInput("!!", "x"),  # none
    ProxyInput(),  # none
]


def test_batch_results_and_statistics() -> None:
    batch = proxy_batch(RECORDS, TABLES)
    assert [r.match.value for r in batch.results] == [
        "surname+tract",
        "surname+zcta",
        "surname+zcta",
        "surname",
        "surname",
        "surname",
        "geography",
        "geography",
        "none",
        "none",
    ]
    assert batch.results == [proxy(record, TABLES) for record in RECORDS]
    summary = batch.summary
    assert summary.records == 10 and summary.method is Method.CONTINUOUS
    assert summary.threshold is None and summary.assigned is None and summary.unassigned is None
    assert dict(summary.matches) == {
        MatchLevel.SURNAME_TRACT: 1,
        MatchLevel.SURNAME_ZCTA: 2,
        MatchLevel.SURNAME: 3,
        MatchLevel.GEOGRAPHY: 2,
        MatchLevel.NONE: 2,
    }
    assert summary.match_rates()[MatchLevel.SURNAME] == 0.3
    assert dict(summary.geographies) == {"tract": 2, "zcta": 3, "none": 5}
    assert dict(summary.inputs["surname"]) == {
        InputStatus.MISSING: 2,
        InputStatus.INVALID: 1,
        InputStatus.UNMATCHED: 1,
        InputStatus.MATCHED: 6,
    }
    assert dict(summary.inputs["zip"]) == {
        InputStatus.MISSING: 3,
        InputStatus.INVALID: 1,
        InputStatus.UNMATCHED: 1,
        InputStatus.MATCHED: 5,
    }
    assert dict(summary.inputs["tract"]) == {
        InputStatus.MISSING: 7,
        InputStatus.INVALID: 0,
        InputStatus.UNMATCHED: 1,
        InputStatus.MATCHED: 2,
    }
    assert summary.surname_parts == 1
    assert dict(summary.fallbacks) == {
        "tract_to_zcta": 1,
        "surname_only": 3,
        "geography_only": 2,
        "none": 2,
        "conflict": 1,
    }
    assert summary.fallback_rates()["none"] == 0.2
    columns = zip(*(r.probabilities for r in batch.results if r.probabilities), strict=True)
    for group, column in zip(GROUPS, columns, strict=True):
        assert math.isclose(summary.expected[group], sum(column), rel_tol=1e-12)
    assert math.isclose(sum(summary.expected.values()), 8, rel_tol=1e-12)
    assert summary.tables == {"source": "hand-made"}
    document = json.loads(json.dumps(summary.as_document(), allow_nan=False))
    assert document["matches"]["surname+zcta"] == 2
    assert document["inputs"]["zip"]["invalid"] == 1
    assert document["method"] == "continuous" and document["tables"]["source"] == "hand-made"


def test_batch_with_a_threshold_classification() -> None:
    batch = proxy_batch(RECORDS, TABLES, method=Method.THRESHOLD, threshold=0.8)
    assigned = [r.assigned for r in batch.results]
    assert assigned == [
        classify(r.probabilities, Method.THRESHOLD, 0.8)
        for r in proxy_batch(RECORDS, TABLES).results
    ]
    summary = batch.summary
    assert summary.method is Method.THRESHOLD and summary.threshold == 0.8
    assert summary.assigned is not None and summary.unassigned is not None
    assert sum(summary.assigned.values()) + summary.unassigned == len(RECORDS)
    assert summary.assigned[Group.WHITE] == assigned.count(Group.WHITE) >= 1
    assert summary.unassigned >= 2  # at least the two records with no probabilities
    assert summary.as_document()["assigned"]["white"] == summary.assigned[Group.WHITE]
    by_max = proxy_batch(RECORDS, TABLES, method="max").summary
    assert by_max.threshold is None and by_max.unassigned == 2


def test_statistics_are_counts_that_add() -> None:
    results = proxy_batch(RECORDS, TABLES).results
    whole, first, second = summarise(results), summarise(results[:4]), summarise(results[4:])
    assert whole.records == first.records + second.records
    for level in MatchLevel:
        assert whole.matches[level] == first.matches[level] + second.matches[level]
    for name in whole.fallbacks:
        assert whole.fallbacks[name] == first.fallbacks[name] + second.fallbacks[name]
    empty = summarise([])
    assert empty.records == 0 and set(empty.match_rates().values()) == {0.0}


probability_rows = st.lists(
    st.floats(min_value=0, max_value=1, allow_subnormal=False), min_size=6, max_size=6
).filter(lambda row: sum(row) > 1e-6)


@given(prior=probability_rows, likelihood=probability_rows, scale=st.floats(1e-6, 1e6))
def test_posteriors_are_probabilities_and_ignore_the_likelihood_scale(
    prior: list[float], likelihood: list[float], scale: float
) -> None:
    posterior = bayes_update(prior, likelihood)
    if posterior is None:
        assert math.fsum(p * q for p, q in zip(prior, likelihood, strict=True)) == 0
        return
    assert all(0 <= value <= 1 for value in posterior)
    assert math.isclose(sum(posterior), 1, abs_tol=1e-12)
    scaled = bayes_update(prior, [value * scale for value in likelihood])
    assert scaled is not None
    assert all(math.isclose(a, b, abs_tol=1e-12) for a, b in zip(posterior, scaled, strict=True))


@given(
    surname=st.sampled_from([None, "Garcia", "Smith", "Whiteonly", "Nowhere", "a-Lopez"]),
    zip_code=st.sampled_from([None, "80202", "00002", "00003", "99999", "bad"]),
    tract=st.sampled_from([None, TRACT, "08031000002", "08031999999"]),
)
def test_every_result_sums_to_one_or_has_none(
    surname: str | None, zip_code: str | None, tract: str | None
) -> None:
    result = proxy(ProxyInput(surname, zip_code, tract), TABLES)
    assert isinstance(result, ProxyResult)
    if result.match is MatchLevel.NONE:
        assert result.probabilities is None
    else:
        assert result.probabilities is not None
        assert math.isclose(sum(result.probabilities), 1, abs_tol=1e-12)
