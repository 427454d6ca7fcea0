"""An in-memory ledger store: the executable specification the SQL store is tested against."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from attest.core.bins import AGGREGATE_FIELDS as BIN_FIELDS
from attest.core.bins import BinCounts
from attest.core.checkpoint import Checkpoint
from attest.core.counts import AGGREGATE_FIELDS
from attest.core.merkle import CompactRange, NodeID
from attest.core.projections import ProjectionRow
from attest.core.reference_profile import category_text
from attest.errors import NotFound
from attest.store.base import (
    AppendOutcome,
    BinQuery,
    DecisionFilter,
    Erasure,
    GroupQuery,
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
    tables: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = field(default_factory=dict)


def _apply(table: dict[tuple[Any, ...], dict[str, Any]], row: ProjectionRow) -> None:
    key = tuple(row.key.values())
    if row.mode == "update":
        if key in table:
            table[key].update(row.values)
        return
    table[key] = {**table.get(key, {}), **row.key, **row.values}


class MemoryStore:
    """Holds everything in dictionaries; one lock stands in for the database transaction."""

    def __init__(self) -> None:
        self._logs: dict[str, _Log] = {}
        self._artifacts: dict[tuple[str, str], tuple[str, bytes]] = {}
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
            for offset, entry in enumerate(plan.fresh):
                if entry.project is not None:
                    for row in entry.project(size + offset):
                        _apply(log.tables.setdefault(row.table, {}), row)
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
        groups = log.tables.get("fairness_groups", {})
        for group_key in [k for k in groups if log.subjects.get(k[1]) == erasure.subject]:
            del groups[group_key]

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

    def replace_projections(self, tenant: str, rows: Iterable[ProjectionRow]) -> None:
        with self._lock:
            log = self._log(tenant)
            if log is None:
                return
            log.tables = {}
            for row in rows:
                _apply(log.tables.setdefault(row.table, {}), row)

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

    # -- query tables --------------------------------------------------------------------------

    def table_row(self, tenant: str, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        log = self._log(tenant)
        row = log.tables.get(table, {}).get(tuple(key.values())) if log else None
        return dict(row) if row is not None else None

    def table_rows(
        self, tenant: str, table: str, where: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        log = self._log(tenant)
        if not log:
            return []
        rows = [row for _key, row in sorted(log.tables.get(table, {}).items())]
        return [dict(r) for r in rows if all(r.get(c) == v for c, v in (where or {}).items())]

    def decisions(self, tenant: str, query: DecisionFilter) -> list[dict[str, Any]]:
        def wanted(row: dict[str, Any]) -> bool:
            return (
                (query.system is None or row["system"] == query.system)
                and (query.model_version is None or row["model_version"] == query.model_version)
                and (query.label is None or row["label"] == query.label)
                and (query.adverse is None or row.get("adverse") == query.adverse)
                and (query.flagged is None or (row.get("flags") is not None) == query.flagged)
                and (query.since is None or row["logged_at"] >= query.since)
                and (query.until is None or row["logged_at"] < query.until)
                and (query.before_index is None or row["idx"] < query.before_index)
            )

        rows = [r for r in self.table_rows(tenant, "decisions") if wanted(r)]
        return sorted(rows, key=lambda r: r["idx"], reverse=True)[: query.limit]

    def put_artifact(
        self, tenant: str, sha256: str, artifact_format: str, content: bytes, now: datetime
    ) -> None:
        with self._lock:
            self._artifacts.setdefault((tenant, sha256), (artifact_format, content))

    def artifact(self, tenant: str, sha256: str) -> tuple[str, bytes] | None:
        return self._artifacts.get((tenant, sha256))

    # -- protected group memberships -----------------------------------------------------------

    def replace_groups(
        self,
        tenant: str,
        attribute: str,
        assignment: str,
        decisions: Sequence[str],
        rows: Sequence[tuple[str, str, float]],
    ) -> None:
        with self._lock:
            log = self._logs[tenant]
            table = log.tables.setdefault("fairness_groups", {})
            for decision_id in set(decisions) | {r[0] for r in rows}:
                for key in [k for k in table if k[:2] == (attribute, decision_id)]:
                    del table[key]
            for decision_id, group, weight in rows:
                table[(attribute, decision_id, group)] = {
                    "attribute": attribute,
                    "decision_id": decision_id,
                    "group_value": group,
                    "weight": weight,
                    "assignment": assignment,
                }

    def group_aggregates(self, tenant: str, query: GroupQuery) -> list[dict[str, Any]]:
        """The same sums as the SQL store, computed row by row (the oracle)."""
        log = self._log(tenant)
        if log is None:
            return []
        memberships: dict[tuple[str, str], list[tuple[str | None, float]]] = {}
        for row in log.tables.get("fairness_groups", {}).values():
            key = (row["attribute"], row["decision_id"])
            memberships.setdefault(key, []).append((row["group_value"], row["weight"]))
        sums: dict[tuple[Any, ...], dict[str, float]] = {}
        for d in log.tables.get("decisions", {}).values():
            if d["system"] != query.system:
                continue
            if query.since is not None and d["logged_at"] < query.since:
                continue
            if query.until is not None and d["logged_at"] >= query.until:
                continue
            combos: list[tuple[tuple[Any, ...], float]] = [((), 1.0)]
            for attribute in query.attributes:
                options = memberships.get((attribute, d["decision_id"])) or [(None, 1.0)]
                combos = [(g + (v,), w * x) for g, w in combos for v, x in options]
            selected = 1.0 if d["label"] in query.favourable else 0.0
            outcome = d.get("outcome")
            good = outcome is not None and outcome in query.good_outcomes
            bad = outcome is not None and not good
            score = d.get("score")
            for group, w in combos:
                s = sums.setdefault(group, dict.fromkeys(AGGREGATE_FIELDS, 0.0))
                s["n"] += w
                s["n_sq"] += w * w
                s["selected"] += w * selected
                s["tp"] += w if good and selected else 0.0
                s["fp"] += w if bad and selected else 0.0
                s["tn"] += w if bad and not selected else 0.0
                s["fn"] += w if good and not selected else 0.0
                s["good_sq"] += w * w if good else 0.0
                s["bad_sq"] += w * w if bad else 0.0
                if score is not None:
                    s["scored"] += w
                    s["scored_sq"] += w * w
                    s["score_sum"] += w * score
                    s["score_sq_sum"] += w * score * score
                    if query.score_threshold is not None and score > query.score_threshold:
                        s["above"] += w
        return [dict(zip(query.attributes, group, strict=True)) | s for group, s in sums.items()]

    def reference_rows(
        self, tenant: str, system: str, version: str, since: datetime, until: datetime
    ) -> list[tuple[Any, Any, Any]]:
        log = self._log(tenant)
        rows = [] if log is None else list(log.tables.get("decisions", {}).values())
        return [
            (d["inputs"], d.get("score"), d.get("outcome"))
            for d in sorted(rows, key=lambda d: d["idx"])
            if d["system"] == system
            and d["model_version"] == version
            and since <= _moment(d) < until
        ]

    def bin_aggregates(self, tenant: str, query: BinQuery) -> list[dict[str, Any]]:
        """The same per-bin sums as the SQL store, counted row by row (the oracle)."""
        log = self._log(tenant)
        rows = [] if log is None else list(log.tables.get("decisions", {}).values())
        chosen = [
            d
            for d in rows
            if d["system"] == query.system
            and d["model_version"] == query.version
            and (query.since is None or _moment(d) >= query.since)
            and (query.until is None or _moment(d) < query.until)
        ]
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for d in chosen:
            groups.setdefault(_split(query, d), []).append(d)
        return [
            row | dict(key)
            for key, decisions in sorted(groups.items())
            for row in _bin_rows(query, decisions)
        ]


def _moment(decision: Mapping[str, Any]) -> datetime:
    """When a decision was made: ``decided_at`` when it gave one, else when it was logged."""
    moment: datetime = decision.get("decided_at") or decision["logged_at"]
    return moment


def _split(query: BinQuery, decision: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Which row group a decision counts in: its day and its segment's bin, when asked for."""
    key: list[tuple[str, Any]] = []
    if query.per_day:
        key.append(("day", _moment(decision).astimezone(UTC).date().isoformat()))
    if query.segment is not None and query.segment_binning is not None:
        value = (decision["inputs"] or {}).get(query.segment)
        numeric = query.segment_binning.kind == "numeric"
        value = _number(value) if numeric else category_text(value)
        key.append(("segment", query.segment_binning.bin_of(value)))
    return tuple(key)


def _number(value: Any) -> float | None:
    """A numeric feature's value; one logged as anything but a number counts as missing."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _bin_rows(query: BinQuery, chosen: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    flip = query.score_predicts != "bad"
    scores = [
        None if d.get("score") is None else (1.0 - d["score"] if flip else d["score"])
        for d in chosen
    ]
    if query.feature is None:
        values: list[Any] = scores
    elif query.binning.kind == "numeric":
        values = [_number((d["inputs"] or {}).get(query.feature)) for d in chosen]
    else:
        values = [category_text((d["inputs"] or {}).get(query.feature)) for d in chosen]
    events = [
        None if d.get("outcome") is None else d["outcome"] not in query.good_outcomes
        for d in chosen
    ]
    counts = BinCounts.from_values(query.binning, values, outcomes=events, scores=scores)
    selected = [0.0] * len(query.binning.labels)
    for d, value in zip(chosen, values, strict=True):
        if d["label"] in query.favourable:
            selected[query.binning.bin_of(value)] += 1
    return [
        {"bin": i, **{f: getattr(counts, f)[i] for f in BIN_FIELDS}, "selected": selected[i]}
        for i in range(len(query.binning.labels))
        if counts.n[i] > 0
    ]
