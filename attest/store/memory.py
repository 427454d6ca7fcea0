"""An in-memory ledger store: the executable specification the SQL store is tested against."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from attest.core.checkpoint import Checkpoint
from attest.core.merkle import CompactRange, NodeID
from attest.errors import NotFound
from attest.store.base import (
    AppendOutcome,
    Erasure,
    NewEntry,
    NodesNeeded,
    ProofMaterial,
    Signer,
    StoredCheckpoint,
    StoredEntry,
    SubjectKey,
    VaultRecord,
)
from attest.store.sequencing import check_vault_subjects, extend_tree, fresh_vault, plan_batch


@dataclass
class _Log:
    origin: str
    entries: list[StoredEntry] = field(default_factory=list)
    fingerprints: dict[str, bytes | None] = field(default_factory=dict)
    subjects: dict[str, str] = field(default_factory=dict)  # entry id -> subject
    by_id: dict[str, int] = field(default_factory=dict)
    nodes: dict[NodeID, bytes] = field(default_factory=dict)
    checkpoints: dict[int, StoredCheckpoint] = field(default_factory=dict)
    keys: dict[str, SubjectKey] = field(default_factory=dict)
    vault: dict[str, list[VaultRecord]] = field(default_factory=dict)


class MemoryStore:
    """Holds everything in dictionaries; one lock stands in for the database transaction."""

    def __init__(self) -> None:
        self._logs: dict[str, _Log] = {}
        self._lock = threading.Lock()

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
        new_keys = dict(new_subject_keys or {})
        with self._lock:
            log = self._logs.get(tenant) or _Log(origin)
            size = len(log.entries)
            existing = {
                e.entry_id: (log.by_id[e.entry_id], log.fingerprints[e.entry_id])
                for e in entries
                if e.entry_id in log.by_id
            }
            plan = plan_batch(entries, existing, size)
            vault, new_keys = fresh_vault(plan, vault, new_keys)
            check_vault_subjects(plan, vault, log.keys, new_keys, erasures)
            latest = log.checkpoints.get(size)
            if not plan.fresh and not erasures:
                if latest is None:
                    raise NotFound(f"tenant {tenant} has no entries yet")
                return AppendOutcome(plan.indexes, plan.created, latest)

            border = [self._hash(log, n) for n in CompactRange.node_ids(size)]
            nodes, root = extend_tree(size, border, [e.leaf_hash for e in plan.fresh])
            new_size = size + len(plan.fresh)
            note = sign(Checkpoint(log.origin, new_size, root))
            # Nothing below can fail, so the batch lands whole.
            for offset, entry in enumerate(plan.fresh):
                index = size + offset
                log.entries.append(StoredEntry(index, entry.entry_id, entry.leaf_hash, entry.data))
                log.by_id[entry.entry_id] = index
                log.fingerprints[entry.entry_id] = entry.fingerprint
                if entry.subject is not None:
                    log.subjects[entry.entry_id] = entry.subject
            log.nodes.update(nodes)
            for subject, wrapped in new_keys.items():
                log.keys[subject] = SubjectKey(subject, wrapped, now)
            for record in vault:
                log.vault.setdefault(record.entry_id, []).append(record)
            for erasure in erasures:
                self._erase(log, erasure, now)
            checkpoint = StoredCheckpoint(new_size, root, note, now)
            log.checkpoints[new_size] = checkpoint
            self._logs[tenant] = log
            return AppendOutcome(plan.indexes, plan.created, checkpoint)

    @staticmethod
    def _erase(log: _Log, erasure: Erasure, now: datetime) -> None:
        key = log.keys[erasure.subject]
        log.keys[erasure.subject] = replace(
            key,
            wrapped=None,
            erased_at=now,
            erasure_reason=erasure.reason,
            erasure_entry=erasure.entry_id,
        )
        for entry_id, records in log.vault.items():
            log.vault[entry_id] = [
                replace(r, sealed=None) if r.subject == erasure.subject else r for r in records
            ]
        for entry_id, subject in log.subjects.items():
            if subject == erasure.subject:
                log.fingerprints[entry_id] = None

    @staticmethod
    def _hash(log: _Log, node: NodeID) -> bytes:
        if node.level == 0:
            return log.entries[node.index].leaf_hash
        return log.nodes[node]

    def _log(self, tenant: str) -> _Log | None:
        return self._logs.get(tenant)

    def tenants(self) -> list[str]:
        return sorted(self._logs)

    def origin(self, tenant: str) -> str | None:
        log = self._log(tenant)
        return log.origin if log else None

    def latest_checkpoint(self, tenant: str) -> StoredCheckpoint | None:
        log = self._log(tenant)
        if not log or not log.checkpoints:
            return None
        return log.checkpoints[max(log.checkpoints)]

    def checkpoint(self, tenant: str, size: int) -> StoredCheckpoint | None:
        log = self._log(tenant)
        return log.checkpoints.get(size) if log else None

    def checkpoints(self, tenant: str, *, up_to: int | None = None) -> Iterator[StoredCheckpoint]:
        log = self._log(tenant)
        if log:
            for size in sorted(log.checkpoints):
                if up_to is None or size <= up_to:
                    yield log.checkpoints[size]

    def replace_checkpoint_note(self, tenant: str, size: int, note: str) -> None:
        log = self._log(tenant)
        if not log or size not in log.checkpoints:
            raise NotFound(f"tenant {tenant} has no checkpoint of size {size}")
        log.checkpoints[size] = replace(log.checkpoints[size], note=note)

    def entry_by_id(self, tenant: str, entry_id: str) -> StoredEntry | None:
        log = self._log(tenant)
        if not log or entry_id not in log.by_id:
            return None
        return log.entries[log.by_id[entry_id]]

    def entries(
        self, tenant: str, *, start: int = 0, stop: int | None = None
    ) -> Iterator[StoredEntry]:
        log = self._log(tenant)
        if log:
            yield from log.entries[start:stop]

    def node_hashes(self, tenant: str, nodes: Sequence[NodeID]) -> dict[NodeID, bytes]:
        log = self._log(tenant)
        found: dict[NodeID, bytes] = {}
        if not log:
            return found
        for node in nodes:
            if node.level == 0 and node.index < len(log.entries):
                found[node] = log.entries[node.index].leaf_hash
            elif node in log.nodes:
                found[node] = log.nodes[node]
        return found

    def proof_material(
        self, tenant: str, entry_id: str, nodes_needed: NodesNeeded
    ) -> ProofMaterial:
        with self._lock:
            entry = self.entry_by_id(tenant, entry_id)
            checkpoint = self.latest_checkpoint(tenant)
            if entry is None or checkpoint is None:
                return ProofMaterial(entry, checkpoint, {})
            wanted = nodes_needed(entry.index, checkpoint.size)
            return ProofMaterial(entry, checkpoint, self.node_hashes(tenant, wanted))

    def nodes_ending_in(self, tenant: str, start: int, stop: int) -> dict[NodeID, bytes]:
        log = self._log(tenant)
        if not log:
            return {}
        return {n: h for n, h in log.nodes.items() if start <= n.end - 1 < stop}

    def count_nodes_beyond(self, tenant: str, size: int) -> int:
        log = self._log(tenant)
        return sum(1 for n in log.nodes if n.end > size) if log else 0

    def subject_keys(self, tenant: str, subjects: Sequence[str]) -> dict[str, SubjectKey]:
        log = self._log(tenant)
        if not log:
            return {}
        return {s: log.keys[s] for s in subjects if s in log.keys}

    def vault_records(self, tenant: str, entry_id: str) -> list[VaultRecord]:
        log = self._log(tenant)
        return sorted(log.vault.get(entry_id, []), key=lambda r: r.pointer) if log else []
