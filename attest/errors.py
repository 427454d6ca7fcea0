"""Every error Attest raises on purpose.

    Error                      base: a message safe to show a user, and an HTTP status
    ├── InvalidInput           400  the caller sent something wrong; names the entry and field
    │   ├── CanonicalJSONError      a value JSON canonicalisation (RFC 8785) cannot represent
    │   └── PayloadTooLarge    413  a request body over the configured limit
    ├── Unauthenticated        401  no credentials, or wrong, expired or revoked ones
    ├── Forbidden              403  the caller's role or tenant scope does not allow this
    ├── NotFound               404  an unknown tenant, entry or checkpoint
    ├── Conflict               409  an entry id reused with different content
    ├── Erased                 410  vault values destroyed by an erasure
    ├── VerificationError      422  a proof, signature or hash that does not check out
    ├── ConfigurationError     500  keys or settings missing or unusable
    │   └── SchemaOutOfDate         the database needs `attest db upgrade`
    └── StorageUnavailable     503  the database could not be reached or was busy too long

Messages never contain personal data: they name entries by index or id and fields by their path,
never by value.
"""

from __future__ import annotations


class Error(Exception):
    """Base of every Attest error; ``str(error)`` is safe to show to a user."""

    status = 500

    def diagnostics(self) -> str:
        return str(self)


class InvalidInput(Error):
    status = 400


class CanonicalJSONError(InvalidInput):
    """A value that has no RFC 8785 canonical form (NaN, a non-string key, a lone surrogate...)."""


class Unauthenticated(Error):
    status = 401


class Forbidden(Error):
    status = 403


class NotFound(Error):
    status = 404


class Conflict(Error):
    status = 409


class Erased(Error):
    status = 410


class PayloadTooLarge(InvalidInput):
    status = 413


class VerificationError(Error):
    """A check failed; ``expected`` and ``calculated`` carry the two values when there are two."""

    status = 422

    def __init__(
        self, message: str, *, expected: bytes | None = None, calculated: bytes | None = None
    ) -> None:
        super().__init__(message)
        self.expected = expected
        self.calculated = calculated


class ConfigurationError(Error):
    status = 500


class SchemaOutOfDate(ConfigurationError):
    pass


class StorageUnavailable(Error):
    status = 503
