"""Rebuild a log from its entries and hold every signed checkpoint against the rebuilt tree.

Both ``attest audit`` (reading the database) and ``attest verify`` (reading an exported bundle)
feed entries here one by one, in index order, together with the log's checkpoints in size order.
A checkpoint whose root equals the rebuilt tree at its size is, by construction, consistent with
every other such checkpoint; any other checkpoint is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from attest.core.checkpoint import Checkpoint, VerifierKey, checkpoint_text_of, verify_checkpoint
from attest.core.merkle import CompactRange, NodeID, hash_leaf
from attest.core.proof_document import (
    check_entry_bytes,
    header_is_plainly_right,
    tenant_of_origin,
)
from attest.errors import VerificationError


def _label(note: str) -> str:
    """``checkpoint <size>`` when the note's text parses (signatures aside), else ``checkpoint``."""
    try:
        return f"checkpoint {checkpoint_text_of(note).size}"
    except VerificationError:
        return "checkpoint"


class LogReplay:
    """Feed :meth:`add_entry` every entry in order, then call :meth:`finish`; read ``findings``."""

    def __init__(
        self,
        origin: str,
        log_key: VerifierKey,
        checkpoints: Iterable[str],
        *,
        trusted: Checkpoint | None = None,
        full_entry_check: bool = True,
    ) -> None:
        self.origin = origin
        self.log_key = log_key
        self.trusted = trusted
        self.full_entry_check = full_entry_check
        self._tenant = tenant_of_origin(origin)
        self._tenant_bytes = (self._tenant or "").encode()
        self.findings: list[str] = []
        self.checkpoints_checked = 0
        self._tree = CompactRange()
        self._pending: Iterator[str] = iter(checkpoints)
        self._next: Checkpoint | None = None
        self._last_good_size = 0
        self._last_checkpoint_size = -1
        self._next_index = 0
        if trusted is not None and trusted.origin != origin:
            self.findings.append(
                f"the trusted checkpoint is for log {trusted.origin}, not {origin}"
            )
            self.trusted = None
        self._advance()

    @property
    def size(self) -> int:
        return self._tree.size

    def root(self) -> bytes:
        return self._tree.root()

    def _advance(self) -> None:
        """Load the next checkpoint that parses and carries a valid signature."""
        self._next = None
        for note in self._pending:
            try:
                checkpoint = verify_checkpoint(note, self.log_key)
            except VerificationError as error:
                self.findings.append(f"{_label(note)}: {error}")
                continue
            if checkpoint.origin != self.origin:
                self.findings.append(
                    f"checkpoint {checkpoint.size}: origin {checkpoint.origin!r} is not this "
                    f"log's {self.origin!r}"
                )
                continue
            if checkpoint.size <= self._last_checkpoint_size:
                self.findings.append(
                    f"checkpoint {checkpoint.size}: out of order after checkpoint "
                    f"{self._last_checkpoint_size}"
                )
                continue
            self._last_checkpoint_size = checkpoint.size
            if checkpoint.size == 0:
                continue
            if checkpoint.size < self.size:
                self.findings.append(f"checkpoint {checkpoint.size}: skipped by the replay")
                continue
            self._next = checkpoint
            return

    def add_entry(
        self,
        index: int,
        data: bytes,
        stored_leaf_hash: bytes | None = None,
        stored_id: str | None = None,
    ) -> dict[NodeID, bytes]:
        """Replay one entry; return the perfect nodes (level >= 1) it completes.

        ``stored_leaf_hash`` and ``stored_id`` are what the database or bundle lists beside the
        bytes; both must agree with the bytes themselves.
        """
        expected = self._next_index
        if index > expected:
            missing = f"{expected}" if index == expected + 1 else f"{expected}-{index - 1}"
            self.findings.append(f"entry {missing} missing: the next entry found is {index}")
        elif index < expected:
            self.findings.append(f"entry {index} appears twice or out of order")
        self._next_index = max(expected, index + 1)
        leaf_hash = hash_leaf(data)
        if stored_leaf_hash is not None and stored_leaf_hash != leaf_hash:
            self.findings.append(
                f"entry {index}: stored leaf hash {stored_leaf_hash.hex()} does not match its "
                f"data (calculated {leaf_hash.hex()})"
            )
        if self.full_entry_check or not header_is_plainly_right(
            data, self._tenant_bytes, stored_id
        ):
            self.findings.extend(
                check_entry_bytes(
                    data,
                    self.origin,
                    f"entry {index}",
                    stored_id,
                    full=self.full_entry_check,
                    tenant=self._tenant,
                )
            )
        nodes: dict[NodeID, bytes] = {}
        self._tree.append(leaf_hash, nodes.__setitem__)
        self._check_reached_sizes()
        return nodes

    def _check_reached_sizes(self) -> None:
        trusted = self.trusted
        if trusted is not None and trusted.size == self.size and trusted.root != self.root():
            self.findings.append(
                f"fork or rewrite: the trusted checkpoint of size {self.size} has root "
                f"{trusted.root.hex()}, the entries give {self.root().hex()}"
            )
        while self._next is not None and self._next.size == self.size:
            checkpoint = self._next
            self.checkpoints_checked += 1
            root = self.root()
            if checkpoint.root != root:
                since = (
                    f"the entries still match checkpoint {self._last_good_size}; something in "
                    f"entries {self._last_good_size}-{self.size - 1} changed"
                    if self._last_good_size
                    else f"something in entries 0-{self.size - 1} changed"
                )
                self.findings.append(
                    f"checkpoint {checkpoint.size}: signed root {checkpoint.root.hex()} but "
                    f"entries 0-{self.size - 1} give {root.hex()} ({since})"
                )
            else:
                self._last_good_size = checkpoint.size
            self._advance()

    def finish(self) -> list[str]:
        """Report checkpoints and trusted state the entries never reached."""
        while self._next is not None:
            self.findings.append(
                f"checkpoint {self._next.size}: signed for {self._next.size} entries but only "
                f"{self.size} exist (entries deleted or log rolled back)"
            )
            self._advance()
        if self.trusted is not None and self.trusted.size > self.size:
            self.findings.append(
                f"rollback: a checkpoint of size {self.trusted.size} was trusted before, the "
                f"log now holds {self.size} entries"
            )
        return self.findings
