"""What the SDK raises in the caller's thread: only mistakes the caller can act on at once.

Delivery problems never raise here; they are retried, or kept in the dead-letter file and reported
through ``Client.errors()`` and the ``on_error`` callback, because logging must not break the
decision path it observes.
"""

from __future__ import annotations


class SdkError(Exception):
    """Base of the SDK's own errors."""


class ClientClosed(SdkError):
    """``log_decision`` or ``log_outcome`` after ``close()``: the record would have no worker."""


class SpoolBusy(SdkError):
    """Another live client holds the spool directory; two writers would replay each other's work."""
