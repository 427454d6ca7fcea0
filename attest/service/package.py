"""``attest package``: the examination package of one AI system for one period.

The package is a directory (and a .zip of it) an examiner checks offline (docs/package.md):
the period's decisions of the system, the entries that refer to them, the system's inventory
records, each as a proof document against one *package checkpoint*; the period's checkpoints
chained by consistency proofs up to it; the model artifacts; and a manifest of every file with
its SHA-256. The manifest's own SHA-256 goes into a ``package.issued`` entry appended to the log
after the files are fixed, and that entry's proof (``issued.json``, against the *issue checkpoint*,
with a consistency proof from the package checkpoint) ties the whole directory to the log.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attest.core.package import (
    CHECKPOINTS_FILE,
    EVIDENCE_TYPES,
    ISSUED_FILE,
    ISSUED_TYPE,
    MANIFEST_FILE,
    PACKAGE_FORMAT,
    README_FILE,
    STANDING_EVIDENCE_TYPES,
    SYSTEM_INVENTORY_TYPES,
    TENANT_INVENTORY_TYPE,
    Kind,
    ListedFile,
    Manifest,
    Period,
    artifact_path,
    count_files,
    entry_path,
)
from attest.core.proof_document import ProofDocument
from attest.core.records import Submission, check_tenant
from attest.errors import Conflict, InvalidInput, NotFound
from attest.service.ledger import Ledger
from attest.store.base import Store, StoredCheckpoint, StoredEntry


@dataclass(frozen=True)
class PackageSummary:
    """What was written and where the package's issuance sits in the log."""

    directory: Path
    archive: Path
    decisions: int
    events: int
    inventory: int
    evidence: int
    checkpoints: int
    artifacts: int
    package_checkpoint: int
    issued_id: str
    issued_index: int
    issue_checkpoint: int
    manifest_sha256: str


@dataclass
class _Selection:
    """The entries a package holds, found in one pass over the log."""

    decisions: list[StoredEntry] = field(default_factory=list)
    events: list[StoredEntry] = field(default_factory=list)
    inventory: list[StoredEntry] = field(default_factory=list)
    evidence: list[StoredEntry] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)  # sha256 -> format


def _refers(value: Any, names: set[str]) -> bool:
    return isinstance(value, str) and value in names


def _select(store: Store, tenant: str, system: str, period: Period, size: int) -> _Selection:
    """Read the log up to ``size`` and keep what belongs in the package.

    Entries referring to a decision come after it in the log, so one pass finds them: an entry
    whose ``body.decision_id`` names a decision already selected, or an erasure of the subject of
    such a decision.
    """
    chosen = _Selection()
    decision_ids: set[str] = set()
    subjects: set[str] = set()
    for entry in store.entries(tenant, stop=size):
        envelope = json.loads(entry.data)
        kind, body = envelope.get("type"), envelope.get("body")
        body = body if isinstance(body, dict) else {}
        if kind == TENANT_INVENTORY_TYPE:
            chosen.inventory.append(entry)
        elif kind in SYSTEM_INVENTORY_TYPES and envelope.get("system") == system:
            chosen.inventory.append(entry)
            if kind == "model_version.registered" and isinstance(body.get("artifact_sha256"), str):
                chosen.artifacts[body["artifact_sha256"]] = str(body.get("artifact_format"))
        elif (
            kind == "decision"
            and envelope.get("system") == system
            and period.contains(envelope.get("time", ""))
        ):
            chosen.decisions.append(entry)
            decision_ids.add(envelope["id"])
            if envelope.get("subject"):
                subjects.add(envelope["subject"])
        elif (
            kind in EVIDENCE_TYPES
            and envelope.get("system") == system
            and (
                period.contains(envelope.get("time", ""))
                or (kind in STANDING_EVIDENCE_TYPES and period.before_end(envelope.get("time", "")))
            )
        ):
            chosen.evidence.append(entry)
        elif _refers(body.get("decision_id"), decision_ids) or (
            kind == "erasure" and _refers(envelope.get("subject"), subjects)
        ):
            chosen.events.append(entry)
    return chosen


def _period_checkpoints(
    store: Store, tenant: str, period: Period, latest: StoredCheckpoint
) -> list[StoredCheckpoint]:
    """The checkpoints signed in the period, then the package checkpoint (the newest)."""
    chain = [
        c
        for c in store.checkpoints(tenant, up_to=latest.size)
        if period.start <= c.created_at < period.end and c.size != latest.size
    ]
    return [*chain, latest]


def _b64(hashes: Sequence[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


def _write(root: Path, relative: str, content: bytes) -> str:
    """Write one file of the package; return its SHA-256 (hex)."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return hashlib.sha256(content).hexdigest()


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, indent=2) + "\n").encode()


def _readme(
    tenant: str, system: str, period: Period, counts: dict[str, int], verifier: str
) -> bytes:
    return f"""# Examination package

- tenant: `{tenant}`
- AI system: `{system}`
- period: decisions logged from {period.start_text} up to, not including, {period.end_text}
- decisions: {counts["decisions"]}
- entries that refer to them (outcomes, reviews, erasures...): {counts["events"]}
- inventory records: {counts["inventory"]}
- governance evidence (bias tests, their reviews and policy, group assignments, monitoring runs,
  their reference profiles and monitoring plans): {counts["evidence"]}
- model artifacts: {counts["artifacts"]}
- checkpoints of the log: {counts["checkpoints"]}

Every entry is a proof document (docs/ledger.md section 7) against one package checkpoint.
`manifest.json` lists every other file with its SHA-256; `issued.json` proves the log entry that
records the manifest's SHA-256. The format and every check are specified in docs/package.md of
Attest.

Check it offline with the log's verifier key, obtained from the bank or vendor separately
(the issuer states it is `{verifier}`):

    attest verify <this directory> --key <verifier key>
""".encode()


def _archive(directory: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            handle.write(path, f"{directory.name}/{path.relative_to(directory).as_posix()}")


def _target(out: Path) -> tuple[Path, Path]:
    directory = out.resolve()
    archive = directory.with_name(directory.name + ".zip")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InvalidInput(f"--out {out}: not an empty directory")
    if archive.exists():
        raise InvalidInput(f"--out {out}: {archive} already exists")
    return directory, archive


def issue_package(
    ledger: Ledger, store: Store, tenant: str, system: str, period: Period, out: Path
) -> PackageSummary:
    """Write the package of ``system``'s decisions in ``period`` to ``out`` and ``out``.zip.

    Refuses, writing and logging nothing, when the period holds no decision of the system.
    """
    check_tenant(tenant)
    latest = ledger.latest_checkpoint(tenant)
    origin = store.origin(tenant)
    assert origin is not None  # the log exists: it has a checkpoint
    if store.table_row(tenant, "systems", {"system": system}) is None:
        raise NotFound(f"tenant {tenant} has no AI system {system}")
    directory, archive = _target(out)
    chosen = _select(store, tenant, system, period, latest.size)
    if not chosen.decisions:
        raise NotFound(
            f"no decisions of {system} were logged for {tenant} from {period.describe()} "
            "(UTC): there is nothing to examine, so no package was written"
        )
    chain = _period_checkpoints(store, tenant, period, latest)
    entries: list[tuple[Kind, StoredEntry]] = [
        *(("decision", e) for e in chosen.decisions),
        *(("event", e) for e in chosen.events),
        *(("inventory", e) for e in chosen.inventory),
        *(("evidence", e) for e in chosen.evidence),
    ]
    inclusion, consistency = ledger.proof_hashes(
        tenant,
        inclusion=[(entry.index, latest.size) for _, entry in entries],
        consistency=[(a.size, b.size) for a, b in zip(chain, chain[1:], strict=False)],
    )
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would follow the package into its final place
    try:
        files = _write_content(staging, store, tenant, chosen, entries, inclusion, latest)
        links = [{"size": chain[0].size, "note": chain[0].note}]
        pairs = zip(chain, chain[1:], strict=False)
        for (earlier, later), proof in zip(pairs, consistency, strict=True):
            links.append(
                {
                    "size": later.size,
                    "note": later.note,
                    "consistency": {"from_size": earlier.size, "proof": _b64(proof)},
                }
            )
        digest = _write(staging, CHECKPOINTS_FILE, _json_bytes({"checkpoints": links}))
        files.append(ListedFile(CHECKPOINTS_FILE, digest, "checkpoints"))
        counts = count_files(files) | {"checkpoints": len(chain)}
        readme = _readme(tenant, system, period, counts, str(ledger.verifier))
        files.append(ListedFile(README_FILE, _write(staging, README_FILE, readme), "readme"))
        manifest = Manifest(
            tenant=tenant,
            origin=origin,
            system=system,
            period=period,
            checkpoint_size=latest.size,
            checkpoint_root=latest.root,
            counts=counts,
            files=tuple(sorted(files, key=lambda f: f.path)),
        )
        manifest_digest = _write(staging, MANIFEST_FILE, _json_bytes(manifest.to_json()))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # From here on the package exists in the log, whatever happens to the files.
    (receipt,) = ledger.append(
        tenant,
        [
            Submission(
                type=ISSUED_TYPE,
                system=system,
                body={
                    "format": PACKAGE_FORMAT,
                    "manifest_sha256": manifest_digest,
                    "period": period.to_json(),
                    "checkpoint": manifest.checkpoint_json(),
                    "counts": counts,
                },
            )
        ],
        ["package.issued"],
    )
    issued = store.entry_by_id(tenant, receipt.id)
    assert issued is not None
    (issued_path,), (from_package,) = ledger.proof_hashes(
        tenant,
        inclusion=[(receipt.index, receipt.tree_size)],
        consistency=[(latest.size, receipt.tree_size)],
    )
    document = ProofDocument(
        entry=issued.data,
        index=receipt.index,
        tree_size=receipt.tree_size,
        proof=issued_path,
        checkpoint=receipt.checkpoint,
        consistency_from=latest.size,
        consistency_proof=from_package,
    )
    _write(staging, ISSUED_FILE, _json_bytes(document.to_json()))
    if directory.exists():
        directory.rmdir()  # empty, checked above
    os.replace(staging, directory)
    _archive(directory, archive)
    return PackageSummary(
        directory=directory,
        archive=archive,
        decisions=counts["decisions"],
        events=counts["events"],
        inventory=counts["inventory"],
        evidence=counts["evidence"],
        checkpoints=counts["checkpoints"],
        artifacts=counts["artifacts"],
        package_checkpoint=latest.size,
        issued_id=receipt.id,
        issued_index=receipt.index,
        issue_checkpoint=receipt.tree_size,
        manifest_sha256=manifest_digest,
    )


def _write_content(
    root: Path,
    store: Store,
    tenant: str,
    chosen: _Selection,
    entries: list[tuple[Kind, StoredEntry]],
    inclusion: list[tuple[bytes, ...]],
    checkpoint: StoredCheckpoint,
) -> list[ListedFile]:
    """The proof documents and the model artifacts, each listed with its SHA-256."""
    width = len(str(checkpoint.size - 1))
    files = []
    for (kind, entry), proof in zip(entries, inclusion, strict=True):
        document = ProofDocument(entry.data, entry.index, checkpoint.size, proof, checkpoint.note)
        relative = entry_path(kind, entry.index, entry.entry_id, width)
        digest = _write(root, relative, _json_bytes(document.to_json()))
        files.append(ListedFile(relative, digest, kind, entry.entry_id, entry.index))
    for sha256, artifact_format in sorted(chosen.artifacts.items()):
        found = store.artifact(tenant, sha256)
        if found is None:
            continue  # registered without an upload: the entry still names its hash
        if hashlib.sha256(found[1]).hexdigest() != sha256:
            raise Conflict(f"artifact {sha256} no longer matches its hash")
        relative = artifact_path(sha256, artifact_format)
        files.append(ListedFile(relative, _write(root, relative, found[1]), "artifact"))
    return files
