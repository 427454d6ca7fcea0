"""Where a batch goes (the API over HTTP, or an embedded store) and the three answers it can get.

Every answer is one of: :class:`Delivered` (stored, or already stored: drop it from the spool),
:class:`Retry` (nothing is known to be wrong with the records: keep them and try later) or
:class:`Rejected` (these bytes will never be accepted: dead-letter them). A sink never raises for
a failed delivery, so the worker has one place that decides what happens next.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# The server names the record at fault first ("decision 3 (d-7): field ..."), and refuses a batch
# that is too big as a whole; a smaller batch can succeed only after refusals like these.
NAMES_A_RECORD = re.compile(r"(decision|outcome) \d+\b")
TOO_MANY = "a batch holds at most"


@dataclass(frozen=True)
class Delivered:
    created: int
    repeated: int


@dataclass(frozen=True)
class Retry:
    reason: str
    after: float | None = None  # seconds, from Retry-After


@dataclass(frozen=True)
class Rejected:
    status: int
    message: str

    @property
    def splittable(self) -> bool:
        """Could part of the batch be accepted? Only when the refusal names a record or the
        batch's size. Any other refusal (bad key, unknown or unnamed tenant: 400, 401, 403, 404)
        would refuse every half too."""
        if self.status == 413:
            return True
        if self.status in (400, 409, 422):
            return bool(NAMES_A_RECORD.match(self.message)) or TOO_MANY in self.message
        return False


Answer = Delivered | Retry | Rejected


class Sink(Protocol):
    def send(self, kind: str, tenant: str | None, records: Sequence[str]) -> Answer:
        """Deliver JSON-encoded records of one kind, in order, as one atomic batch."""
        ...

    def close(self) -> None: ...
