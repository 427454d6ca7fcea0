"""Ledger entries: what a caller submits, the envelope that is hashed, commitments.

An entry's leaf is the RFC 8785 encoding of its envelope::

    {"v": 1, "type": ..., "id": ..., "tenant": ..., "time": ..., "system": ..., "subject": ...,
     "body": {...}}

(``system`` and ``subject`` only when given). Fields the caller marks sensitive (by JSON Pointer
into ``body``) are replaced by ``{"commit": "sha256:<hex>"}``, the SHA-256 of a 32-byte random
salt followed by the canonical bytes of the value; the salt and the value go to the vault. The
commitment lets a holder of the value prove it was the one logged, and reveals nothing without it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from attest.core.canonical import MAX_SAFE_INTEGER, canonical_bytes
from attest.errors import CanonicalJSONError, InvalidInput

ENVELOPE_VERSION = 1
SALT_SIZE = 32
COMMITMENT_PREFIX = "sha256:"

TYPE_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
TENANT_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
SUBMISSION_FIELDS = frozenset({"type", "id", "system", "subject", "sensitive", "body"})


def check_tenant(tenant: str) -> str:
    if not isinstance(tenant, str) or not TENANT_PATTERN.fullmatch(tenant):
        raise InvalidInput(
            f"tenant {tenant!r} must be 1-63 lowercase letters, digits or '-', "
            "starting with a letter or digit"
        )
    return tenant


@dataclass(frozen=True)
class Submission:
    """One entry as a caller hands it in, checked but not yet sealed or stamped."""

    type: str
    body: dict[str, Any]
    id: str | None = None
    system: str | None = None
    subject: str | None = None
    sensitive: tuple[str, ...] = field(default=())
    # Body members the server adds (e.g. decision flags): not part of what the caller sent, so
    # left out of the retry fingerprint, which must not change when they do.
    derived: tuple[str, ...] = field(default=())


def _fail(position: str, what: str) -> InvalidInput:
    return InvalidInput(f"{position}: {what}")


def parse_submission(raw: Any, position: str) -> Submission:
    """Check one submitted entry; errors start with ``position`` and name the field."""
    if not isinstance(raw, dict):
        raise _fail(position, "an entry must be a JSON object")
    entry_id = raw.get("id")
    if entry_id is not None:
        if not isinstance(entry_id, str) or not ID_PATTERN.fullmatch(entry_id):
            raise _fail(position, "field 'id' must be 1-128 letters, digits or ._:- characters")
        position = f"{position} (id {entry_id})"
    unknown = sorted(set(raw) - SUBMISSION_FIELDS)
    if unknown:
        raise _fail(position, f"unknown field {unknown[0]!r}")
    kind = raw.get("type")
    if not isinstance(kind, str) or not TYPE_PATTERN.fullmatch(kind):
        raise _fail(position, "field 'type' must be a lowercase name such as 'decision'")
    body = raw.get("body")
    if not isinstance(body, dict):
        raise _fail(position, "field 'body' must be a JSON object")
    for name in ("system", "subject"):
        value = raw.get(name)
        if value is not None and (not isinstance(value, str) or not NAME_PATTERN.fullmatch(value)):
            raise _fail(
                position, f"field {name!r} must be 1-128 letters, digits or ._:- characters"
            )
    sensitive = raw.get("sensitive", [])
    if not isinstance(sensitive, list) or not all(isinstance(p, str) for p in sensitive):
        raise _fail(position, "field 'sensitive' must be a list of JSON Pointers into 'body'")
    if sensitive and raw.get("subject") is None:
        raise _fail(position, "field 'sensitive' needs a 'subject' whose vault key protects it")
    pointers = tuple(sensitive)
    for pointer in pointers:
        try:
            resolve_pointer(body, pointer)
        except InvalidInput as error:
            raise _fail(position, f"field 'sensitive': {error}") from None
    for a in pointers:
        for b in pointers:
            if a != b and (b + "/").startswith(a + "/"):
                raise _fail(position, f"field 'sensitive': {b!r} lies inside {a!r}")
    if len(set(pointers)) != len(pointers):
        raise _fail(position, "field 'sensitive' lists a pointer twice")
    return Submission(
        type=kind,
        body=body,
        id=entry_id,
        system=raw.get("system"),
        subject=raw.get("subject"),
        sensitive=pointers,
    )


def _pointer_tokens(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise InvalidInput(f"JSON Pointer {pointer!r} must start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _step(container: Any, token: str, pointer: str) -> tuple[Any, str | int]:
    if isinstance(container, dict):
        if token not in container:
            raise InvalidInput(f"JSON Pointer {pointer!r} names no member of 'body'")
        return container, token
    if isinstance(container, list):
        if not token.isdigit() or token != str(int(token)) or int(token) >= len(container):
            raise InvalidInput(f"JSON Pointer {pointer!r} names no element of 'body'")
        return container, int(token)
    raise InvalidInput(f"JSON Pointer {pointer!r} goes through a value that is not a container")


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at an RFC 6901 JSON Pointer; the whole document ('') is not addressable."""
    value = document
    for token in _pointer_tokens(pointer):
        container, key = _step(value, token, pointer)
        value = container[key]
    return value


def commitment(salt: bytes, value: Any) -> str:
    """``sha256:<hex>`` of the salt followed by the value's canonical bytes."""
    if len(salt) != SALT_SIZE:
        raise ValueError(f"a commitment salt has {SALT_SIZE} bytes")
    return COMMITMENT_PREFIX + hashlib.sha256(salt + canonical_bytes(value)).hexdigest()


@dataclass(frozen=True)
class SealedValue:
    """A sensitive value taken out of an entry: it goes to the vault, its commitment stays.

    ``value_bytes`` are its canonical bytes, the ones the commitment hashes.
    """

    pointer: str
    salt: bytes
    value: Any
    value_bytes: bytes


def seal_sensitive(
    body: Mapping[str, Any], pointers: Sequence[str], salts: Sequence[bytes]
) -> tuple[dict[str, Any], list[SealedValue]]:
    """Replace each pointed-to value by its commitment; return the new body and what was taken.

    Only the containers on each pointer's path are copied; the caller's body is left untouched.
    """
    if len(salts) != len(pointers):
        raise ValueError("one salt per sensitive field")
    sealed_body = dict(body)
    copied: set[int] = {id(sealed_body)}
    taken = []
    for pointer, salt in zip(pointers, salts, strict=True):
        if len(salt) != SALT_SIZE:
            raise ValueError(f"a commitment salt has {SALT_SIZE} bytes")
        tokens = _pointer_tokens(pointer)
        container: Any = sealed_body
        for token in tokens[:-1]:
            parent, key = _step(container, token, pointer)
            child = parent[key]
            if id(child) not in copied:
                child = dict(child) if isinstance(child, dict) else list(child)
                parent[key] = child
                copied.add(id(child))
            container = child
        parent, key = _step(container, tokens[-1], pointer)
        value = parent[key]
        try:
            value_bytes = canonical_bytes(value)
        except CanonicalJSONError as error:  # name the place in the body, not in the value
            inner, _, problem = str(error).partition(": ")
            path = pointer if inner == "/" else pointer + inner
            raise CanonicalJSONError(f"{path}: {problem}") from None
        parent[key] = {"commit": COMMITMENT_PREFIX + hashlib.sha256(salt + value_bytes).hexdigest()}
        taken.append(SealedValue(pointer, salt, value, value_bytes))
    return sealed_body, taken


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds and a ``Z``: one spelling per instant."""
    if moment.tzinfo is None:
        raise ValueError("entry times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def uuid7(unix_ms: int, random_bytes: bytes) -> str:
    """A UUIDv7 (RFC 9562) from a millisecond timestamp and 10 random bytes."""
    if len(random_bytes) != 10:
        raise ValueError("a UUIDv7 takes 10 random bytes")
    value = (unix_ms & (2**48 - 1)) << 80
    value |= 0x7 << 76
    value |= (int.from_bytes(random_bytes[:2]) & 0x0FFF) << 64
    value |= 0b10 << 62
    value |= int.from_bytes(random_bytes[2:]) & (2**62 - 1)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def envelope_header(
    submission: Submission, *, entry_id: str, tenant: str, time: str
) -> dict[str, Any]:
    """Every envelope member except ``body``."""
    header: dict[str, Any] = {
        "v": ENVELOPE_VERSION,
        "type": submission.type,
        "id": entry_id,
        "tenant": tenant,
        "time": time,
    }
    if submission.system is not None:
        header["system"] = submission.system
    if submission.subject is not None:
        header["subject"] = submission.subject
    return header


# Printable ASCII except '"' and '\\': the characters JSON writes as they are.
_PLAIN_TEXT = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")


def _header_bytes(header: Mapping[str, Any]) -> bytes:
    """The canonical header, written directly: every member is a plain string or the version.

    The patterns every header field is checked against admit no character JSON would escape,
    so sorted ``"name":"value"`` pairs are the RFC 8785 form; anything else goes to the encoder.
    """
    parts = []
    for key in sorted(header):
        value = header[key]
        if not _PLAIN_TEXT.fullmatch(key):
            return canonical_bytes(dict(header))
        if type(value) is str and _PLAIN_TEXT.fullmatch(value):
            parts.append(f'"{key}":"{value}"')
        elif type(value) is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            parts.append(f'"{key}":{value}')
        else:
            return canonical_bytes(dict(header))
    return ("{" + ",".join(parts) + "}").encode()


def envelope_bytes(header: Mapping[str, Any], body_bytes: bytes) -> bytes:
    """The canonical envelope, from its header and the body's canonical bytes.

    RFC 8785 sorts members by name and ``"body"`` sorts before every header member, so the
    canonical envelope is ``{"body":<body>,`` followed by the canonical header without its
    ``{``. This lets the body be canonicalised once and reused for the fingerprint.
    """
    if any(key <= "body" for key in header):
        raise ValueError("envelope header members must sort after 'body'")
    if not header:
        return b'{"body":' + body_bytes + b"}"
    return b'{"body":' + body_bytes + b"," + _header_bytes(header)[1:]
