"""RFC 8785 canonical JSON: known answers from the RFC, and the fast path equals ``rfc8785``."""

from __future__ import annotations

import math

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from attest.core.canonical import canonical_bytes, parse_json
from attest.errors import CanonicalJSONError


def test_rfc8785_section_3_2_2_example() -> None:
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_bytes(value) == expected.encode()


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (123456789012345680000.0, "123456789012345680000"),
        (5e-324, "5e-324"),
        (9007199254740991.0, "9007199254740991"),
        (295147905179352830000.0, "295147905179352830000"),
    ],
)
def test_numbers_are_written_as_ecmascript_writes_them(number: float, text: str) -> None:
    assert canonical_bytes(number) == text.encode()


def test_keys_sort_by_utf16_code_units() -> None:
    # U+1F600 (surrogates 0xD83D...) sorts before U+FB33 in UTF-16, after it in code points.
    value = {"\ufb33": 1, "\U0001f600": 2}
    assert canonical_bytes(value) == rfc8785.dumps(value)
    assert canonical_bytes(value).index("\U0001f600".encode()) < canonical_bytes(value).index(
        "\ufb33".encode()
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"x": math.nan}, "/x: nan is not allowed"),
        ({"a": [1, math.inf]}, "/a/1: inf is not allowed"),
        ({1: "x"}, "key 1 is a int"),
        ({"x": 2**53 + 1}, "/x: integer with 16 digits has no exact JSON number form"),
        ({"x": 2**60}, "/x: integer with 19 digits has no exact JSON number form"),
        ({"x": 10**400}, "/x: integer with 401 digits"),
        ({"x": {1, 2}}, "/x: a set is not a JSON value"),
        ({"x": "\ud800"}, "/x: string is not valid Unicode"),
    ],
)
def test_values_without_a_canonical_form_are_refused_naming_the_field(
    value: object, message: str
) -> None:
    with pytest.raises(CanonicalJSONError, match=message.replace("[", r"\[")):
        canonical_bytes(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "duplicate object key 'a'"),
        ('{"a": NaN}', "NaN is not allowed"),
        ('{"a": Infinity}', "Infinity is not allowed"),
        ('{"a": -Infinity}', "-Infinity is not allowed"),
        ('{"a": 1', "malformed JSON"),
        (b'{"a": "\xff"}', "not valid UTF-8"),
    ],
)
def test_strict_parsing_refuses_ambiguous_json(text: str | bytes, message: str) -> None:
    with pytest.raises(CanonicalJSONError, match=message):
        parse_json(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def test_big_integers_pass_when_their_digits_survive_as_a_double() -> None:
    assert canonical_bytes(10**16) == b"10000000000000000"
    assert canonical_bytes(19941627429128270) == b"19941627429128270"
    assert canonical_bytes({"x": 10**20}) == b'{"x":100000000000000000000}'


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_canonical_bytes_equal_the_rfc8785_reference(value: object) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_canonical_bytes_are_a_fixed_point_of_parse(value: object) -> None:
    data = canonical_bytes(value)
    assert canonical_bytes(parse_json(data)) == data


@settings(max_examples=3000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**70), 2**70))
def test_every_number_is_written_like_the_reference_or_refused(number: float | int) -> None:
    try:
        expected = rfc8785.dumps(number if isinstance(number, float) else float(number))
    except OverflowError:
        expected = None
    try:
        written = canonical_bytes(number)
    except CanonicalJSONError:
        assert isinstance(number, int) and str(number).encode() != expected
        return
    assert written == expected
