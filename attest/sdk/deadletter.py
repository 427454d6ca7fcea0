"""The dead-letter file: records the server refused for good, each with the server's reason.

A 4xx answer other than 408 and 429 means retrying the same bytes can never succeed, so such a
record leaves the spool, but only after it has been appended (and fsync'd) to
``dead-letter.jsonl`` in the spool directory, one JSON object per line::

    {"at": "...Z", "kind": "decision", "tenant": null, "status": 400,
     "message": "decision 1 (d-7): field 'output.label' must be a non-empty string",
     "record": {...the record as logged...}}

Status 0 means the SDK itself could not encode the record (say, an object JSON cannot carry).
A crash between the append and the spool delete can list a record twice here; it is never lost.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attest.core.records import format_time

FILE_NAME = "dead-letter.jsonl"


@dataclass(frozen=True)
class DeadLetter:
    """One refused record and why; ``record`` is the object that was (or would have been) sent."""

    kind: str
    tenant: str | None
    status: int
    message: str
    record: Any
    at: str


def dead_letter(
    kind: str, tenant: str | None, status: int, message: str, record: Any
) -> DeadLetter:
    return DeadLetter(kind, tenant, status, message, record, format_time(datetime.now(UTC)))


class DeadLetterFile:
    """Append-only JSON lines, fsync'd per append, readable by people and by :meth:`read`."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME

    def append(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        text = "".join(
            json.dumps(asdict(letter), ensure_ascii=False, default=repr) + "\n"
            for letter in letters
        )
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(descriptor, text.encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def read(self) -> list[DeadLetter]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [DeadLetter(**json.loads(line)) for line in handle if line.strip()]
