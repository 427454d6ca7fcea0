"""RFC 8785 (JCS) canonical JSON: the exact bytes that become a ledger leaf.

``rfc8785`` (Trail of Bits) is the reference implementation and handles every value. It is pure
Python and costs about 55 µs for a 1 KB entry, which alone would cap appends below 20,000 entries/s,
so :func:`canonical_bytes` first checks whether the value lies in the large subset where the
standard library's C encoder already writes JCS bytes (keys in the Basic Multilingual Plane,
floats whose shortest form JCS and Python spell alike) and uses it there; anything else goes to
``rfc8785``. Property tests check both paths byte for byte against ``rfc8785``.

Parsing is strict as well: duplicate keys, NaN and Infinity are refused rather than silently
resolved, because two parsers that disagree on such input would disagree on the leaf hash.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import rfc8785

from attest.errors import CanonicalJSONError

MAX_SAFE_INTEGER = 2**53 - 1
# Between these bounds a non-integral float's repr() is the same text ECMAScript produces.
_FIXED_NOTATION_LOW = 1e-4
_FIXED_NOTATION_HIGH = 1e16
_INFINITY = math.inf

_dumps: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def _pointer(path: tuple[str | int, ...]) -> str:
    if not path:
        return "/"
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _float(value: float, path: tuple[str | int, ...], exotic: list[bool]) -> float | int:
    if value != value or value in (_INFINITY, -_INFINITY):
        raise CanonicalJSONError(f"{_pointer(path)}: {value} is not allowed in canonical JSON")
    magnitude = -value if value < 0 else value
    if value.is_integer():
        if magnitude <= MAX_SAFE_INTEGER:
            return int(value)  # JCS writes 1.0 as 1 and -0.0 as 0
        exotic[0] = True
    elif not _FIXED_NOTATION_LOW <= magnitude < _FIXED_NOTATION_HIGH:
        exotic[0] = True
    return value


def _int(value: int, path: tuple[str | int, ...], exotic: list[bool]) -> int | float:
    """RFC 8785 numbers are IEEE doubles: a big integer passes only if it survives as one.

    "Survives" means the canonical form writes back exactly the digits that were given, so the
    ledger never holds a number that differs from what the caller sent.
    """
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value
    try:
        as_float = float(value)
    except OverflowError:
        as_float = _INFINITY
    if not math.isfinite(as_float) or rfc8785.dumps(as_float) != str(value).encode():
        raise CanonicalJSONError(
            f"{_pointer(path)}: integer with {len(str(abs(value)))} digits has no exact JSON "
            "number form (numbers are IEEE 754 doubles); send it as a string"
        )
    exotic[0] = True
    return as_float


def _prepare(value: Any, path: tuple[str | int, ...], exotic: list[bool]) -> Any:
    """Check ``value`` can be canonicalised and rewrite floats JCS writes as integers.

    Scalars inside containers are handled inline: this walk is on the append hot path.
    """
    kind = type(value)
    if kind is dict:
        prepared = {}
        for key, item in value.items():
            if type(key) is not str:
                raise CanonicalJSONError(
                    f"{_pointer(path)}: object key {key!r} is a {type(key).__name__}, not a string"
                )
            if not key.isascii() and any(ord(c) > 0xFFFF for c in key):
                exotic[0] = True  # UTF-16 key order differs from code point order
            item_kind = type(item)
            if item_kind is str or item_kind is bool or item is None:
                prepared[key] = item
            elif item_kind is float:
                prepared[key] = _float(item, (*path, key), exotic)
            elif item_kind is int:
                prepared[key] = (
                    item
                    if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER
                    else _int(item, (*path, key), exotic)
                )
            else:
                prepared[key] = _prepare(item, (*path, key), exotic)
        return prepared
    if kind is list or kind is tuple:
        return [_prepare(item, (*path, i), exotic) for i, item in enumerate(value)]
    if kind is str or kind is bool or value is None:
        return value
    if kind is float:
        return _float(value, path, exotic)
    if kind is int:
        return _int(value, path, exotic)
    raise CanonicalJSONError(f"{_pointer(path)}: a {kind.__name__} is not a JSON value")


def _find_surrogate(value: Any, path: tuple[str | int, ...]) -> str | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _pointer(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _find_surrogate(key, path) or _find_surrogate(item, (*path, key))
            if found:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _find_surrogate(item, (*path, i))
            if found:
                return found
    return None


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 encoding of a JSON value (dicts, lists, str, int, float...)."""
    exotic = [False]
    prepared = _prepare(value, (), exotic)
    try:
        if exotic[0]:
            return rfc8785.dumps(prepared)
        return _dumps(prepared).encode("utf-8")
    except (UnicodeEncodeError, rfc8785.CanonicalizationError):
        where = _find_surrogate(value, ()) or "/"
        raise CanonicalJSONError(f"{where}: string is not valid Unicode (lone surrogate)") from None


def _refuse_constant(name: str) -> Any:
    raise CanonicalJSONError(f"{name} is not allowed in canonical JSON")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in pairs:
        if key in result:
            raise CanonicalJSONError(f"duplicate object key {key!r}")
        result[key] = item
    return result


def parse_json(text: str | bytes) -> Any:
    """Parse JSON, refusing duplicate keys, NaN and Infinity with a :class:`CanonicalJSONError`."""
    try:
        return json.loads(
            text, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as error:
        raise CanonicalJSONError(
            f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except UnicodeDecodeError:
        raise CanonicalJSONError("malformed JSON: not valid UTF-8") from None
