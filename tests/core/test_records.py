"""Submissions, envelopes and sensitive-field commitments."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attest.core.canonical import canonical_bytes, parse_json
from attest.core.records import (
    Submission,
    check_tenant,
    commitment,
    envelope_bytes,
    envelope_header,
    format_time,
    parse_submission,
    resolve_pointer,
    seal_sensitive,
    uuid7,
)
from attest.errors import InvalidInput

SALT = bytes(range(32))


def _entry(**fields: Any) -> dict[str, Any]:
    return {"type": "decision", "body": {"x": 1}} | fields


def test_a_minimal_submission_parses() -> None:
    submission = parse_submission(_entry(), "line 1")
    assert submission == Submission(type="decision", body={"x": 1})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "line 4: an entry must be a JSON object"),
        (_entry(type="Decision"), "line 4: field 'type'"),
        (_entry(type=None), "line 4: field 'type'"),
        (_entry(body=[1]), "line 4: field 'body' must be a JSON object"),
        (_entry(id="has space"), "line 4: field 'id'"),
        (_entry(id="ok-1", extra=1), "line 4 (id ok-1): unknown field 'extra'"),
        (_entry(system="a/b"), "line 4: field 'system'"),
        (_entry(sensitive=["/x"]), "field 'sensitive' needs a 'subject'"),
        (_entry(subject="s", sensitive="/x"), "field 'sensitive' must be a list"),
        (_entry(subject="s", sensitive=["/y"]), "'/y' names no member of 'body'"),
        (_entry(subject="s", sensitive=["x"]), "must start with '/'"),
        (_entry(subject="s", sensitive=["/x", "/x"]), "lists a pointer twice"),
        (
            _entry(subject="s", sensitive=["/a", "/a/b"], body={"a": {"b": 1}}),
            "'/a/b' lies inside '/a'",
        ),
    ],
)
def test_bad_submissions_name_the_position_and_field(raw: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_submission(raw, "line 4")
    assert message in str(caught.value)


def test_error_messages_never_echo_body_values() -> None:
    secret = "Jane Q. Applicant 123-45-6789"
    with pytest.raises(InvalidInput) as caught:
        parse_submission(_entry(subject="s", sensitive=["/nope"], body={"name": secret}), "line 1")
    assert secret not in str(caught.value)


@pytest.mark.parametrize("tenant", ["first-community-bank", "b1", "a" * 63])
def test_valid_tenants(tenant: str) -> None:
    assert check_tenant(tenant) == tenant


@pytest.mark.parametrize("tenant", ["", "Bank", "-bank", "bank_1", "a" * 64, "bank/1"])
def test_invalid_tenants_are_refused(tenant: str) -> None:
    with pytest.raises(InvalidInput, match="tenant"):
        check_tenant(tenant)


def test_json_pointer_resolution_follows_rfc6901() -> None:
    document = {"a/b": {"m~n": [10, 20]}, "": 1}
    assert resolve_pointer(document, "/a~1b/m~0n/1") == 20
    assert resolve_pointer(document, "/") == 1
    with pytest.raises(InvalidInput):
        resolve_pointer(document, "/a~1b/m~0n/2")


def test_commitment_is_sha256_of_salt_and_canonical_value() -> None:
    value = {"name": "Jane", "zip": "02139"}
    expected = hashlib.sha256(SALT + canonical_bytes(value)).hexdigest()
    assert commitment(SALT, value) == f"sha256:{expected}"
    assert commitment(bytes(32), value) != commitment(SALT, value)


def test_sealing_replaces_values_by_commitments_and_keeps_the_rest() -> None:
    body = {"inputs": {"amount": 100}, "identifiers": {"name": "Jane"}, "protected": ["F", 44]}
    sealed, taken = seal_sensitive(body, ["/identifiers", "/protected/1"], [SALT, bytes(32)])
    assert sealed["inputs"] == {"amount": 100}
    assert sealed["identifiers"] == {"commit": commitment(SALT, {"name": "Jane"})}
    assert sealed["protected"] == ["F", {"commit": commitment(bytes(32), 44)}]
    assert body["identifiers"] == {"name": "Jane"}  # the caller's copy is untouched
    assert [(t.pointer, t.value) for t in taken] == [
        ("/identifiers", {"name": "Jane"}),
        ("/protected/1", 44),
    ]


def test_envelope_bytes_equal_the_canonical_envelope() -> None:
    submission = Submission(
        type="decision", body={"z": [1.5, "é"], "a": None}, system="s", subject="p"
    )
    header = envelope_header(
        submission, entry_id="e-1", tenant="bank", time="2026-11-27T09:00:00.000000Z"
    )
    full = header | {"body": submission.body}
    assert envelope_bytes(header, canonical_bytes(submission.body)) == canonical_bytes(full)
    with pytest.raises(ValueError, match="sort after 'body'"):
        envelope_bytes({"aaa": 1}, b"{}")


def test_time_is_rfc3339_utc_with_microseconds() -> None:
    moment = datetime(2026, 11, 27, 10, 0, 1, 5, tzinfo=timezone(timedelta(hours=1)))
    assert format_time(moment) == "2026-11-27T09:00:01.000005Z"
    with pytest.raises(ValueError):
        format_time(datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose


def test_uuid7_layout() -> None:
    unix_ms = int(datetime(2026, 11, 27, tzinfo=UTC).timestamp() * 1000)
    text = uuid7(unix_ms, bytes(range(10)))
    parsed = uuid.UUID(text)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert int(text.replace("-", "")[:12], 16) == unix_ms
    assert uuid7(unix_ms, bytes(10)) < uuid7(unix_ms + 1, bytes(10))


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "subject", "system", "tenant", "time", "type", "v", "zz\u00e9"])
        | st.text(alphabet=st.characters(min_codepoint=ord("c")), max_size=4).map(
            lambda k: "c" + k
        ),
        st.text(max_size=12) | st.integers(-(2**60), 2**60) | st.booleans(),
        max_size=8,
    ),
    st.sampled_from([b"{}", b'{"a":[1,"x"]}']),
)
def test_envelope_bytes_equal_the_canonical_envelope_for_any_header(
    header: dict[str, Any], body: bytes
) -> None:
    try:
        expected = canonical_bytes(header | {"body": parse_json(body)})
    except InvalidInput:
        with pytest.raises(InvalidInput):
            envelope_bytes(header, body)
        return
    assert envelope_bytes(header, body) == expected
