"""``attest audit``: rebuild each tenant's log from the database and report every disagreement."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from attest.core.checkpoint import (
    Checkpoint,
    VerifierKey,
    checkpoint_text_of,
    verify_checkpoint,
)
from attest.core.merkle import NodeID
from attest.core.replay import LogReplay
from attest.errors import NotFound, VerificationError
from attest.store.base import LedgerStore

NODE_CHUNK = 1 << 14  # entries between two comparisons of stored and rebuilt node hashes
MAX_NODE_DETAILS = 3


@dataclass
class AuditReport:
    tenant: str
    entries: int = 0
    checkpoints: int = 0
    latest: str | None = None
    findings: list[str] = field(default_factory=list)


def _stored_notes(
    store: LedgerStore, tenant: str, up_to: int, findings: list[str]
) -> Iterator[str]:
    """The checkpoint notes in size order, checking each row's size and root columns on the way."""
    for stored in store.checkpoints(tenant, up_to=up_to):
        try:
            signed = checkpoint_text_of(stored.note)
        except VerificationError:
            yield stored.note  # the replay reports the malformed note
            continue
        if (signed.size, signed.root) != (stored.size, stored.root):
            findings.append(
                f"checkpoint {stored.size}: the row's size and root disagree with its signed note "
                f"(size {signed.size})"
            )
        yield stored.note


def _compare_nodes(
    store: LedgerStore, tenant: str, start: int, stop: int, rebuilt: dict[NodeID, bytes]
) -> list[str]:
    stored = store.nodes_ending_in(tenant, start, stop)
    if stored == rebuilt:
        return []
    problems = []
    for node in sorted(set(rebuilt) | set(stored)):
        if node not in stored:
            problems.append(f"node ({node.level}, {node.index}) is missing")
        elif node not in rebuilt:
            problems.append(f"node ({node.level}, {node.index}) should not exist")
        elif stored[node] != rebuilt[node]:
            problems.append(
                f"node ({node.level}, {node.index}) stored hash {stored[node].hex()} differs from "
                f"the rebuilt {rebuilt[node].hex()}"
            )
    if len(problems) > MAX_NODE_DETAILS:
        shown = "; ".join(problems[:MAX_NODE_DETAILS])
        return [
            f"{len(problems)} node hashes over entries {start}-{stop - 1} disagree: {shown}; ..."
        ]
    return problems


def audit_tenant(
    store: LedgerStore,
    tenant: str,
    log_key: VerifierKey,
    *,
    trusted: Checkpoint | None = None,
    deep: bool = False,
    progress: Callable[[int], object] = lambda _n: None,
) -> AuditReport:
    """Recompute every leaf hash, node hash and checkpoint root of one tenant's log.

    Every entry's envelope header (version, id, tenant) is checked against its row; ``deep``
    also re-encodes every entry to check its RFC 8785 form, at about a third of the speed.

    The audit covers the log up to the newest checkpoint at its start, so batches committed while
    it runs are not mistaken for damage; rows beyond that point are checked at the end against
    the newest checkpoint at that moment.
    """
    origin = store.origin(tenant)
    latest = store.latest_checkpoint(tenant)
    if origin is None:
        raise NotFound(f"unknown tenant {tenant}: it has no log")
    size = latest.size if latest else 0
    report = AuditReport(tenant, latest=latest.note if latest else None)
    row_findings: list[str] = []
    notes = _stored_notes(store, tenant, size, row_findings)
    replay = LogReplay(origin, log_key, notes, trusted=trusted, full_entry_check=deep)
    rebuilt: dict[NodeID, bytes] = {}
    chunk_start = 0
    for entry in store.entries(tenant, stop=size):
        rebuilt.update(replay.add_entry(entry.index, entry.data, entry.leaf_hash, entry.entry_id))
        if replay.size - chunk_start >= NODE_CHUNK:
            replay.findings.extend(_compare_nodes(store, tenant, chunk_start, replay.size, rebuilt))
            progress(replay.size - chunk_start)
            chunk_start, rebuilt = replay.size, {}
    replay.findings.extend(_compare_nodes(store, tenant, chunk_start, replay.size, rebuilt))
    progress(replay.size - chunk_start)
    replay.finish()
    replay.findings.extend(_beyond_the_newest_checkpoint(store, tenant, size))
    report.entries = replay.size
    report.checkpoints = replay.checkpoints_checked
    report.findings = row_findings + replay.findings
    return report


def _beyond_the_newest_checkpoint(store: LedgerStore, tenant: str, size: int) -> list[str]:
    """Entries or nodes past ``size`` must belong to a batch committed since (with a checkpoint)."""
    latest = store.latest_checkpoint(tenant)
    covered = latest.size if latest else 0
    findings = []
    stray = next(iter(store.entries(tenant, start=max(size, covered))), None)
    if stray is not None:
        findings.append(f"entry {stray.index} exists but no signed checkpoint covers it")
    beyond = store.count_nodes_beyond(tenant, max(size, covered))
    if beyond:
        findings.append(f"{beyond} stored node hashes cover entries no checkpoint covers")
    return findings


class AuditState:
    """The newest checkpoint each tenant's last clean audit saw, kept outside the database.

    A database restored to an older, self-consistent state looks healthy on its own; compared
    with what the previous audit saw, it shows as a rollback. Copy this directory somewhere the
    database's operators cannot write for the protection to hold against them too.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, tenant: str) -> Path:
        return self.directory / f"{tenant}.checkpoint"

    def tenants(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.checkpoint"))

    def recall(self, tenant: str, log_key: VerifierKey) -> Checkpoint | None:
        """The remembered checkpoint; a note that does not verify is an error, not a fresh start."""
        path = self._path(tenant)
        if not path.exists():
            return None
        try:
            return verify_checkpoint(path.read_text(), log_key)
        except VerificationError as error:
            raise VerificationError(
                f"{path}: the remembered checkpoint does not verify ({error})"
            ) from None

    def remember(self, tenant: str, note: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._path(tenant).write_text(note)


def audit_vanished(tenant: str, trusted: Checkpoint) -> AuditReport:
    """The report for a tenant audited before whose log no longer exists."""
    return AuditReport(
        tenant,
        findings=[f"the log was audited before at size {trusted.size} and no longer exists"],
    )
