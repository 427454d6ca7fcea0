"""The storage interface of the ledger, and the records that cross it.

Two implementations keep the same contract: :mod:`attest.store.memory` (the executable
specification, used as the oracle in contract tests) and :mod:`attest.store.sql` (SQLite and
PostgreSQL). Everything above this interface is database-agnostic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from attest.core.bins import Binning
from attest.core.checkpoint import Checkpoint
from attest.core.merkle import NodeID
from attest.core.projections import ProjectionRow


@dataclass(frozen=True)
class NewEntry:
    """An entry ready to append: its id, leaf hash, canonical bytes and request fingerprint.

    ``fingerprint`` is a keyed hash of what the caller submitted; a retry with the same id and the
    same fingerprint is the same entry, anything else under that id is a conflict.
    """

    entry_id: str
    leaf_hash: bytes
    data: bytes
    fingerprint: bytes
    subject: str | None = None
    position: str = ""  # how errors refer to it, e.g. "line 3"
    # The query-table rows this entry writes, given the index it gets (see core.projections).
    project: Callable[[int], Sequence[ProjectionRow]] | None = None


@dataclass(frozen=True)
class VaultRecord:
    """One sensitive value of one entry, sealed under its subject's data key."""

    entry_id: str
    pointer: str
    subject: str
    sealed: bytes | None  # None once the subject is erased


@dataclass(frozen=True)
class SubjectKey:
    """A subject's data key wrapped by the master key, or the record of its erasure."""

    subject: str
    wrapped: bytes | None
    created_at: datetime
    erased_at: datetime | None = None
    erasure_reason: str | None = None
    erasure_entry: str | None = None


@dataclass(frozen=True)
class Erasure:
    """Destroy ``subject``'s key in the same transaction that appends entry ``entry_id``."""

    subject: str
    reason: str
    entry_id: str


class StoredEntry(NamedTuple):
    """An entry as stored. A named tuple: audits and exports build millions of them."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, which nothing here uses
    entry_id: str
    leaf_hash: bytes
    data: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    created_at: datetime


@dataclass(frozen=True)
class AppendOutcome:
    """Where each submitted entry sits (new or already there) and the checkpoint covering them."""

    indexes: list[int]
    created: list[bool]
    checkpoint: StoredCheckpoint


@dataclass(frozen=True)
class ProofMaterial:
    """What a proof is made of, read in one go: the entry, the newest checkpoint and the node
    hashes the caller asked for."""

    entry: StoredEntry | None
    checkpoint: StoredCheckpoint | None
    hashes: dict[NodeID, bytes]


NodesNeeded = Callable[[int, int], Sequence[NodeID]]
"""Given an entry's index and a tree size, the perfect nodes a proof needs."""

Signer = Callable[[Checkpoint], str]
"""Turns the new checkpoint into its signed note, inside the append transaction."""


class SubjectKeyRace(Exception):
    """Another writer created a subject key this batch meant to create; seal again and retry."""


class LedgerStore(Protocol):
    """Per-tenant Merkle logs: entries, perfect-subtree node hashes, checkpoints, and the vault."""

    def append(
        self,
        tenant: str,
        *,
        origin: str,
        entries: Sequence[NewEntry],
        vault: Sequence[VaultRecord] = (),
        new_subject_keys: Mapping[str, bytes] | None = None,
        erasures: Sequence[Erasure] = (),
        sign: Signer,
        now: datetime,
    ) -> AppendOutcome:
        """Append a batch atomically and sign one checkpoint over it.

        Creates the tenant's log on first use. Entries whose id already exists with the same
        fingerprint keep their index and are not written again; the same id with another
        fingerprint raises :class:`~attest.errors.Conflict` and nothing of the batch is stored.
        Vault records must name subjects with a live key (existing or in ``new_subject_keys``).
        Returns only after the transaction committed.
        """
        ...

    def tenants(self) -> list[str]: ...

    def origin(self, tenant: str) -> str | None:
        """The tenant's log origin, or None when the tenant has no log."""
        ...

    def latest_checkpoint(self, tenant: str) -> StoredCheckpoint | None: ...

    def checkpoint(self, tenant: str, size: int) -> StoredCheckpoint | None: ...

    def checkpoints(self, tenant: str, *, up_to: int | None = None) -> Iterator[StoredCheckpoint]:
        """Every checkpoint of the log by increasing size."""
        ...

    def replace_checkpoint_note(self, tenant: str, size: int, note: str) -> None:
        """Store a note carrying more signatures (co-signatures) over the same checkpoint."""
        ...

    def entry_by_id(self, tenant: str, entry_id: str) -> StoredEntry | None: ...

    def entries(
        self, tenant: str, *, start: int = 0, stop: int | None = None
    ) -> Iterator[StoredEntry]:
        """Entries with ``start <= index < stop`` by increasing index."""
        ...

    def node_hashes(self, tenant: str, nodes: Sequence[NodeID]) -> dict[NodeID, bytes]:
        """The stored hashes of these perfect nodes (level 0: leaf hashes); missing ones absent."""
        ...

    def proof_material(
        self, tenant: str, entry_id: str, nodes_needed: NodesNeeded
    ) -> ProofMaterial:
        """The entry, the newest checkpoint and ``nodes_needed(index, size)``, consistently."""
        ...

    def nodes_ending_in(self, tenant: str, start: int, stop: int) -> dict[NodeID, bytes]:
        """Stored nodes of level >= 1 whose last leaf lies in ``[start, stop)``."""
        ...

    def count_nodes_beyond(self, tenant: str, size: int) -> int:
        """How many stored nodes of level >= 1 reach past leaf ``size - 1`` (should be 0)."""
        ...

    def subject_keys(self, tenant: str, subjects: Sequence[str]) -> dict[str, SubjectKey]: ...

    def vault_records(self, tenant: str, entry_id: str) -> list[VaultRecord]: ...


@dataclass(frozen=True)
class DecisionFilter:
    """Which decisions to list: all filters optional, newest first, paged by entry index."""

    system: str | None = None
    model_version: str | None = None
    label: str | None = None
    adverse: bool | None = None
    flagged: bool | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_index: int | None = None
    limit: int = 50


class QueryStore(Protocol):
    """The query tables (projections of the log) and model artifacts."""

    def replace_projections(self, tenant: str, rows: Iterable[ProjectionRow]) -> None:
        """Replace all of a tenant's query-table rows (``attest rebuild``), atomically."""
        ...

    def table_row(self, tenant: str, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        """One projection row by its key (without the tenant), or None."""
        ...

    def table_rows(
        self, tenant: str, table: str, where: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Projection rows whose columns equal ``where``, in key order."""
        ...

    def decisions(self, tenant: str, query: DecisionFilter) -> list[dict[str, Any]]: ...

    def put_artifact(
        self, tenant: str, sha256: str, artifact_format: str, content: bytes, now: datetime
    ) -> None:
        """Keep a model artifact under its hash (the caller checked the hash)."""
        ...

    def artifact(self, tenant: str, sha256: str) -> tuple[str, bytes] | None: ...


@dataclass(frozen=True)
class GroupQuery:
    """Which decisions a bias run counts, and what counts as favourable and as a good outcome."""

    system: str
    attributes: tuple[str, ...]
    since: datetime | None = None
    until: datetime | None = None
    favourable: tuple[str, ...] = ("approve",)
    good_outcomes: tuple[Any, ...] = ()
    score_threshold: float | None = None


class FairnessStore(Protocol):
    """Protected group memberships and the per-group sums a bias run is computed from."""

    def replace_groups(
        self,
        tenant: str,
        attribute: str,
        assignment: str,
        decisions: Sequence[str],
        rows: Sequence[tuple[str, str, float]],
    ) -> None:
        """Replace the ``attribute`` memberships of ``decisions`` by ``rows`` (decision id, group,
        weight): a decision of ``decisions`` without a row has no group afterwards."""
        ...

    def group_aggregates(self, tenant: str, query: GroupQuery) -> list[dict[str, Any]]:
        """One row per group: the attribute values and the sums of ``attest.core.counts``.

        Decisions without a membership for an attribute count under ``None`` with weight 1.
        """
        ...


@dataclass(frozen=True)
class BinQuery:
    """Which decisions a monitoring run counts into one feature's bins (``feature`` None: the
    score, as the event probability), and how outcomes and labels read. The window is on decision
    time: ``decided_at`` when the decision gave one, else when it was logged."""

    system: str
    version: str
    binning: Binning
    feature: str | None
    since: datetime | None = None
    until: datetime | None = None
    good_outcomes: tuple[Any, ...] = ()
    score_predicts: str = "good"
    favourable: tuple[str, ...] = ("approve",)
    per_day: bool = False  # one row per (day, bin) instead of per bin: vintages merge them
    # Split by another feature's bins (its reference binning): rows carry ``segment``, that bin.
    segment: str | None = None
    segment_binning: Binning | None = None


class MonitoringStore(Protocol):
    def reference_rows(
        self, tenant: str, system: str, version: str, since: datetime, until: datetime
    ) -> list[tuple[Any, Any, Any]]:
        """``(inputs, score, outcome)`` of the version's decisions made in [since, until)
        (decision time, as ``bin_aggregates`` windows it), in log order."""
        ...

    def bin_aggregates(self, tenant: str, query: BinQuery) -> list[dict[str, Any]]:
        """One row per bin: ``bin`` (its index), the sums ``attest.core.bins`` names, and
        ``selected`` (decisions with a favourable label); with ``per_day`` also ``day``, the
        decision's UTC day as ``YYYY-MM-DD``, one row per day and bin; with a ``segment`` also
        ``segment``, the index of the segment feature's bin, one row per segment and bin."""
        ...


class Store(LedgerStore, QueryStore, FairnessStore, MonitoringStore, Protocol):
    """Everything the services need from storage."""
