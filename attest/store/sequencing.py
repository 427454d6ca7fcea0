"""What every store does under its log lock: sort out retried ids and grow the tree.

Kept apart from any database so the SQL store and the in-memory store apply the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from attest.core.merkle import CompactRange, NodeID
from attest.errors import Conflict, InvalidInput
from attest.store.base import Erasure, NewEntry, SubjectKey, SubjectKeyRace, VaultRecord


@dataclass
class BatchPlan:
    """Which submitted entries are new, and the index every submitted entry ends up at."""

    fresh: list[NewEntry] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    created: list[bool] = field(default_factory=list)


def plan_batch(
    entries: Sequence[NewEntry], existing: Mapping[str, tuple[int, bytes | None]], size: int
) -> BatchPlan:
    """Give new entries the next indexes; a known id must come with the same fingerprint.

    An entry whose subject was erased has lost its fingerprint: a retry of its id is answered
    with the existing index, since there is nothing left to compare it with.
    """
    plan = BatchPlan()
    seen: dict[str, tuple[int, bytes | None]] = dict(existing)
    for entry in entries:
        known = seen.get(entry.entry_id)
        if known is not None:
            index, fingerprint = known
            if fingerprint is not None and fingerprint != entry.fingerprint:
                where = entry.position or f"entry {entry.entry_id}"
                raise Conflict(
                    f"{where}: id {entry.entry_id} is already used by entry {index} "
                    "with different content"
                )
            plan.indexes.append(index)
            plan.created.append(False)
            continue
        index = size + len(plan.fresh)
        seen[entry.entry_id] = (index, entry.fingerprint)
        plan.fresh.append(entry)
        plan.indexes.append(index)
        plan.created.append(True)
    return plan


def fresh_vault(
    plan: BatchPlan, vault: Sequence[VaultRecord], new_subject_keys: Mapping[str, bytes]
) -> tuple[list[VaultRecord], dict[str, bytes]]:
    """The vault records and subject keys of the entries actually being written.

    Records come in the order of their entries, so when an id appears twice in one batch the
    first record for each of its pointers belongs to the copy that is stored; a repeat's records
    (sealed with other salts) are dropped with the repeat.
    """
    fresh_ids = {e.entry_id for e in plan.fresh}
    records: list[VaultRecord] = []
    seen: set[tuple[str, str]] = set()
    for record in vault:
        if record.entry_id in fresh_ids and (record.entry_id, record.pointer) not in seen:
            seen.add((record.entry_id, record.pointer))
            records.append(record)
    subjects = {r.subject for r in records}
    return records, {s: w for s, w in new_subject_keys.items() if s in subjects}


def check_vault_subjects(
    plan: BatchPlan,
    vault: Sequence[VaultRecord],
    keys: Mapping[str, SubjectKey],
    new_subject_keys: Mapping[str, bytes],
    erasures: Sequence[Erasure],
) -> None:
    """Every sealed value needs a live key; keys to create must not exist yet."""
    for subject in new_subject_keys:
        if subject in keys:
            raise SubjectKeyRace(subject)
    positions = {e.entry_id: e.position or f"entry {e.entry_id}" for e in plan.fresh}
    for record in vault:
        key = keys.get(record.subject)
        where = positions.get(record.entry_id, f"entry {record.entry_id}")
        if key is None and record.subject not in new_subject_keys:
            raise InvalidInput(f"{where}: field 'subject': no vault key")
        if key is not None and key.wrapped is None:
            raise InvalidInput(
                f"{where}: field 'subject': this subject was erased; personal data needs a "
                "new subject id"
            )
    fresh_ids = {e.entry_id for e in plan.fresh}
    for erasure in erasures:
        if erasure.entry_id not in fresh_ids:
            raise InvalidInput(f"the erasure of {erasure.subject} needs a new entry of its own")
        key = keys.get(erasure.subject)
        if key is None:
            raise InvalidInput(f"subject {erasure.subject} has no data in this tenant's vault")
        if key.wrapped is None:
            raise Conflict(f"subject {erasure.subject} was already erased")


def extend_tree(
    size: int, border: Sequence[bytes], leaf_hashes: Sequence[bytes]
) -> tuple[dict[NodeID, bytes], bytes]:
    """Append leaves to a tree given its compact range; return the new perfect nodes and root."""
    compact = CompactRange(size, border)
    nodes: dict[NodeID, bytes] = {}
    for leaf_hash in leaf_hashes:
        compact.append(leaf_hash, nodes.__setitem__)
    return nodes, compact.root()
