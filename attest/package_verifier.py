"""Check an examination package offline (docs/package.md section 4), naming every problem.

Needs only the package, the log's verifier key and optionally witness keys and a checkpoint
trusted from before. Every finding starts with the file it is about.
"""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from attest.core.canonical import parse_json
from attest.core.checkpoint import Checkpoint, VerifierKey, checkpoint_text_of, verify_checkpoint
from attest.core.merkle import verify_consistency
from attest.core.package import (
    BINDING_FILES,
    COUNTED,
    EVIDENCE_TYPES,
    ISSUED_FILE,
    ISSUED_TYPE,
    MANIFEST_FILE,
    PACKAGE_FORMAT,
    PROOF_KINDS,
    STANDING_EVIDENCE_TYPES,
    SYSTEM_INVENTORY_TYPES,
    TENANT_INVENTORY_TYPE,
    ListedFile,
    Manifest,
    parse_manifest,
)
from attest.core.proof_document import (
    parse_consistency,
    parse_proof_document,
    verify_proof_document,
)
from attest.errors import Error, VerificationError


@dataclass
class _Check:
    """The state of one package check: the manifest, the files read, and the findings."""

    directory: Path
    manifest: Manifest
    log_key: VerifierKey
    witness_keys: Sequence[VerifierKey]
    findings: list[str] = field(default_factory=list)
    present: dict[str, bytes] = field(default_factory=dict)  # listed files that exist
    chain: dict[int, bytes] = field(default_factory=dict)  # size -> root, verified checkpoints
    decisions: set[str] = field(default_factory=set)  # ids the manifest lists as decisions
    subjects: set[str] = field(default_factory=set)  # of the decisions that check out
    artifact_hashes: set[str] = field(default_factory=set)  # named by model versions

    def problem(self, where: str, what: str) -> None:
        self.findings.append(f"{where}: {what}")

    @property
    def package_checkpoint(self) -> tuple[str, int, bytes]:
        m = self.manifest
        return m.origin, m.checkpoint_size, m.checkpoint_root


def _read_json(path: Path, label: str, findings: list[str]) -> Any:
    try:
        return parse_json(path.read_bytes())
    except OSError:
        findings.append(f"{label}: cannot be read")
    except Error as error:
        findings.append(f"{label}: {error}")
    return None


def _check_files(check: _Check) -> None:
    """Every listed file present with its SHA-256; no file that is not listed."""
    listed: set[str] = set()
    for item in check.manifest.files:
        if item.path in listed:
            check.problem(MANIFEST_FILE, f"lists {item.path} twice")
            continue
        listed.add(item.path)
        path = check.directory / item.path
        if not path.exists() and not path.is_symlink():
            check.problem(item.path, "listed in the manifest but missing")
            continue
        if path.is_symlink() or not path.is_file():
            check.problem(item.path, "not a regular file")
            continue
        content = path.read_bytes()
        check.present[item.path] = content
        if hashlib.sha256(content).hexdigest() != item.sha256:
            check.problem(
                item.path, "its SHA-256 differs from the manifest's (the file was changed)"
            )
    for path in sorted(check.directory.rglob("*")):
        relative = path.relative_to(check.directory).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue
        if relative not in listed and relative not in BINDING_FILES:
            check.problem(relative, "not listed in the manifest (an extra file)")


def _check_issued(check: _Check, manifest_bytes: bytes) -> Checkpoint | None:
    """The ``package.issued`` entry records this manifest, and its log extends the package's."""
    path = check.directory / ISSUED_FILE
    if not path.is_file():
        check.problem(ISSUED_FILE, "missing: nothing ties the manifest to the log")
        return None
    document = _read_json(path, ISSUED_FILE, check.findings)
    if document is None:
        return None
    for finding in verify_proof_document(document, check.log_key):
        check.problem(ISSUED_FILE, finding)
    try:
        proof = parse_proof_document(document)
        issue = verify_checkpoint(proof.checkpoint, check.log_key)
        envelope = parse_json(proof.entry)
    except Error:
        return None  # reported above
    m = check.manifest
    body = envelope.get("body") if isinstance(envelope, dict) else None
    if not isinstance(body, dict) or envelope.get("type") != ISSUED_TYPE:
        check.problem(ISSUED_FILE, f"its entry is not a {ISSUED_TYPE} entry")
        return issue
    if body.get("manifest_sha256") != hashlib.sha256(manifest_bytes).hexdigest():
        check.problem(
            MANIFEST_FILE,
            f"its SHA-256 is not the one the {ISSUED_TYPE} entry records (the manifest was changed "
            "or belongs to another package)",
        )
    stated = {
        "format": PACKAGE_FORMAT,
        "system": m.system,
        "period": m.period.to_json(),
        "checkpoint": m.checkpoint_json(),
        "counts": m.counts,
    }
    for name, value in stated.items():
        found = envelope.get("system") if name == "system" else body.get(name)
        if found != value:
            check.problem(
                ISSUED_FILE, f"the {ISSUED_TYPE} entry's {name} differs from the manifest"
            )
    if issue.origin != m.origin:
        check.problem(ISSUED_FILE, f"proven in log {issue.origin}, the manifest names {m.origin}")
    if proof.index < m.checkpoint_size:
        check.problem(ISSUED_FILE, "the package was issued before its package checkpoint")
    if proof.consistency_from != m.checkpoint_size:
        check.problem(
            ISSUED_FILE,
            f"no consistency proof from the package checkpoint (size {m.checkpoint_size})",
        )
        return issue
    try:
        verify_consistency(
            m.checkpoint_size, issue.size, m.checkpoint_root, issue.root, proof.consistency_proof
        )
    except VerificationError as error:
        check.problem(
            ISSUED_FILE,
            f"the issue checkpoint (size {issue.size}) does not extend the package checkpoint "
            f"(size {m.checkpoint_size}): {error}",
        )
    return issue


def _check_chain(check: _Check, item: ListedFile) -> None:
    """The period's checkpoints, each extending the one before, ending at the package's."""
    where = item.path
    try:
        document = parse_json(check.present[item.path])
    except Error as error:
        check.problem(where, str(error))
        return
    links = document.get("checkpoints") if isinstance(document, dict) else None
    if not isinstance(links, list) or not links:
        check.problem(where, "must be an object whose 'checkpoints' list is not empty")
        return
    m = check.manifest
    previous: tuple[int, bytes] | None = None
    for number, link in enumerate(links, 1):
        label = f"checkpoint {number}"
        last = number == len(links)
        if not isinstance(link, dict) or not isinstance(link.get("note"), str):
            check.problem(where, f"{label} is not an object with a signed 'note'")
            previous = None
            continue
        try:
            keys = check.witness_keys if last else ()
            checkpoint = verify_checkpoint(link["note"], check.log_key, keys)
        except VerificationError as error:
            check.problem(where, f"{label}: {error}")
            previous = None
            continue
        label = f"checkpoint {number} (size {checkpoint.size})"
        if checkpoint.origin != m.origin:
            check.problem(where, f"{label} is of log {checkpoint.origin}, not {m.origin}")
        if link.get("size") != checkpoint.size:
            check.problem(where, f"{label}: its 'size' differs from its signed note")
        if number > 1:
            _check_link(check, where, label, link.get("consistency"), previous, checkpoint)
        check.chain[checkpoint.size] = checkpoint.root
        previous = (checkpoint.size, checkpoint.root)
    if previous != (m.checkpoint_size, m.checkpoint_root):
        check.problem(where, f"does not end with the package checkpoint (size {m.checkpoint_size})")
    if len(links) != m.counts["checkpoints"]:
        check.problem(
            MANIFEST_FILE, f"counts {m.counts['checkpoints']} checkpoints, not {len(links)}"
        )


def _check_link(
    check: _Check,
    where: str,
    label: str,
    consistency: Any,
    previous: tuple[int, bytes] | None,
    checkpoint: Checkpoint,
) -> None:
    if previous is None:
        check.problem(where, f"{label}: the checkpoint before it is unusable, so nothing links it")
        return
    size, root = previous
    if size >= checkpoint.size:
        check.problem(where, f"{label}: not larger than the checkpoint before it (size {size})")
        return
    try:
        if consistency is None:
            raise VerificationError(f"no consistency proof from size {size}")
        from_size, proof = parse_consistency(consistency)
        if from_size != size:
            raise VerificationError(f"its consistency proof is from size {from_size}")
        verify_consistency(size, checkpoint.size, root, checkpoint.root, proof)
    except VerificationError as error:
        check.problem(where, f"{label} does not extend size {size}: {error}")


def _text(envelope: dict[str, Any], name: str) -> str | None:
    value = envelope.get(name)
    return value if isinstance(value, str) else None


def _check_entry(check: _Check, item: ListedFile) -> None:
    """A proof document against the package checkpoint, of the kind the manifest says."""
    where = item.path
    try:
        document = parse_json(check.present[item.path])
    except Error as error:
        check.problem(where, str(error))
        return
    for finding in verify_proof_document(document, check.log_key, witness_keys=check.witness_keys):
        check.problem(where, finding)
    try:
        proof = parse_proof_document(document)
        checkpoint = checkpoint_text_of(proof.checkpoint)
        envelope = parse_json(proof.entry)
    except Error:
        return  # reported above
    if (checkpoint.origin, checkpoint.size, checkpoint.root) != check.package_checkpoint:
        check.problem(
            where,
            f"proven against a checkpoint of size {checkpoint.size}, not the package checkpoint "
            f"(size {check.manifest.checkpoint_size})",
        )
    if not isinstance(envelope, dict) or not isinstance(envelope.get("body"), dict):
        return  # reported above
    if proof.index != item.index or envelope.get("id") != item.entry_id:
        check.problem(
            where,
            f"holds entry {envelope.get('id')!r} at index {proof.index}, the manifest lists "
            f"{item.entry_id!r} at index {item.index}",
        )
    kind, system, body = _text(envelope, "type"), _text(envelope, "system"), envelope["body"]
    m = check.manifest
    if item.kind == "decision":
        if kind != "decision" or system != m.system:
            check.problem(where, f"not a decision of system {m.system}")
        elif not m.period.contains(str(envelope.get("time"))):
            check.problem(where, f"logged at {envelope.get('time')}, outside the period")
        elif isinstance(envelope.get("subject"), str):
            check.subjects.add(envelope["subject"])
    elif item.kind == "event":
        reference, subject = body.get("decision_id"), envelope.get("subject")
        refers = isinstance(reference, str) and reference in check.decisions
        erases = kind == "erasure" and isinstance(subject, str) and subject in check.subjects
        if not refers and not erases:
            check.problem(where, "refers to no decision of the package")
    elif item.kind == "evidence":
        time = str(envelope.get("time"))
        standing = kind in STANDING_EVIDENCE_TYPES and m.period.before_end(time)
        if kind not in EVIDENCE_TYPES or system != m.system:
            check.problem(where, f"not governance evidence of system {m.system}")
        elif not m.period.contains(time) and not standing:
            check.problem(where, f"logged at {envelope.get('time')}, outside the period")
    elif kind == TENANT_INVENTORY_TYPE or (kind in SYSTEM_INVENTORY_TYPES and system == m.system):
        if kind == "model_version.registered":
            check.artifact_hashes.add(str(body.get("artifact_sha256")))
    else:
        check.problem(where, f"not an inventory record of tenant {m.tenant} or system {m.system}")


def _check_trusted(check: _Check, trusted: Checkpoint, issue: Checkpoint | None) -> None:
    known = dict(check.chain)
    if issue is not None:
        known[issue.size] = issue.root
    if trusted.origin != check.manifest.origin:
        check.problem("--trusted", f"is for log {trusted.origin}, not {check.manifest.origin}")
    elif trusted.size > max(known, default=0):
        check.problem("--trusted", f"rollback: a checkpoint of size {trusted.size} was seen before")
    elif trusted.size not in known:
        check.problem(
            "--trusted",
            f"the package holds no checkpoint of size {trusted.size}, so it cannot show that the "
            "log extends it (check a proof document made with --since instead)",
        )
    elif known[trusted.size] != trusted.root:
        check.problem("--trusted", f"fork: two different signed roots for size {trusted.size}")


def verify_package(
    directory: Path,
    log_key: VerifierKey,
    *,
    witness_keys: Sequence[VerifierKey] = (),
    trusted: Checkpoint | None = None,
) -> list[str]:
    """Every problem with the package in ``directory``; an empty list means it verifies."""
    try:
        manifest_bytes = (directory / MANIFEST_FILE).read_bytes()
        manifest = parse_manifest(parse_json(manifest_bytes))
    except OSError:
        return [f"{MANIFEST_FILE}: cannot be read"]
    except Error as error:
        text = str(error)
        return [text if text.startswith(MANIFEST_FILE) else f"{MANIFEST_FILE}: {text}"]
    check = _Check(directory, manifest, log_key, witness_keys)
    check.decisions = {str(f.entry_id) for f in manifest.files if f.kind == "decision"}
    issue = _check_issued(check, manifest_bytes)
    _check_files(check)
    by_kind: dict[str, list[ListedFile]] = {}
    for item in manifest.files:
        if item.path in check.present:
            by_kind.setdefault(item.kind, []).append(item)
    chains = [f for f in manifest.files if f.kind == "checkpoints"]
    if len(chains) != 1:
        check.problem(MANIFEST_FILE, f"lists {len(chains)} checkpoint chains, not one")
    for item in by_kind.get("checkpoints", []):
        _check_chain(check, item)
    for kind in PROOF_KINDS:  # decisions first: events must refer to them
        for item in by_kind.get(kind, []):
            _check_entry(check, item)
    for item in by_kind.get("artifact", []):
        if item.sha256 not in check.artifact_hashes:
            check.problem(item.path, "no model version in the package names this artifact")
    indexes = [f.index for f in manifest.files if f.index is not None]
    if len(set(indexes)) != len(indexes):
        check.problem(MANIFEST_FILE, "lists one entry in more than one file")
    for kind, name in COUNTED.items():
        listed = sum(f.kind == kind for f in manifest.files)
        if kind != "checkpoints" and listed != manifest.counts[name]:
            check.problem(MANIFEST_FILE, f"counts {manifest.counts[name]} {name}, lists {listed}")
    if not any(f.kind == "decision" for f in manifest.files):
        check.problem(MANIFEST_FILE, "the package holds no decision")
    if trusted is not None:
        _check_trusted(check, trusted, issue)
    return check.findings


def is_package(path: Path) -> bool:
    return path.is_dir() and (path / MANIFEST_FILE).is_file()


def verify_package_archive(
    archive: Path,
    log_key: VerifierKey,
    *,
    witness_keys: Sequence[VerifierKey] = (),
    trusted: Checkpoint | None = None,
) -> list[str]:
    """Unpack a package's .zip into a temporary directory and check it there."""
    try:
        with zipfile.ZipFile(archive) as handle, tempfile.TemporaryDirectory() as scratch:
            for name in handle.namelist():
                parts = PurePosixPath(name).parts
                if name.startswith("/") or "\\" in name or ".." in parts:
                    return [f"{archive.name}: holds an unsafe path {name!r}"]
            handle.extractall(scratch)
            root = Path(scratch)
            if not is_package(root):
                tops = [p for p in root.iterdir() if p.is_dir()]
                if len(tops) != 1 or not is_package(tops[0]):
                    return [f"{archive.name}: no {MANIFEST_FILE} at its top or in its one folder"]
                root = tops[0]
            return verify_package(root, log_key, witness_keys=witness_keys, trusted=trusted)
    except (zipfile.BadZipFile, OSError) as error:
        return [f"{archive.name}: not a readable zip archive ({error})"]
