"""``attest verify``: check proof documents, exported log bundles and examination packages offline.

Needs no database and no network: only the files, the log's verifier key, optionally witness keys
and a checkpoint trusted from before.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from attest.core.canonical import parse_json
from attest.core.checkpoint import Checkpoint, VerifierKey, checkpoint_text_of, verify_checkpoint
from attest.core.proof_document import verify_proof_document
from attest.core.replay import LogReplay
from attest.errors import Error, InvalidInput, VerificationError
from attest.package_verifier import is_package, verify_package, verify_package_archive
from attest.service.export import BUNDLE_FORMAT


@dataclass(frozen=True)
class ItemReport:
    """One checked file (or bundle) and every problem found in it."""

    label: str
    findings: list[str]


def _json_lines(path: Path, findings: list[str]) -> Iterator[dict[str, object]]:
    if not path.exists():
        findings.append(f"{path.name} is missing")
        return
    with path.open() as handle:
        for number, line in enumerate(handle, 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                findings.append(f"{path.name} line {number}: malformed JSON")
                continue
            if not isinstance(record, dict):
                findings.append(f"{path.name} line {number}: not a JSON object")
                continue
            yield record


def _same_checkpoint(notes: list[str], checkpoint: Checkpoint) -> bool:
    try:
        return bool(notes) and checkpoint_text_of(notes[-1]) == checkpoint
    except VerificationError:
        return False  # the replay has reported the malformed note


def verify_bundle(
    directory: Path,
    log_key: VerifierKey,
    *,
    witness_keys: Sequence[VerifierKey] = (),
    trusted: Checkpoint | None = None,
) -> list[str]:
    """Rebuild the exported log and check every checkpoint in it."""
    try:
        bundle = parse_json((directory / "bundle.json").read_bytes())
    except Error as error:
        return [f"bundle.json: {error}"]
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        return [f"bundle.json: not an {BUNDLE_FORMAT} bundle"]
    try:
        final = verify_checkpoint(str(bundle.get("checkpoint")), log_key, witness_keys)
    except VerificationError as error:
        return [f"bundle.json: newest checkpoint: {error}"]
    findings: list[str] = []
    if bundle.get("origin") != final.origin or bundle.get("tree_size") != final.size:
        findings.append("bundle.json: origin or tree_size differ from its signed checkpoint")
    newest_line: list[str] = []  # the last note of checkpoints.jsonl, once the replay has read it

    def notes() -> Iterator[str]:
        for record in _json_lines(directory / "checkpoints.jsonl", findings):
            newest_line[:] = [str(record.get("note"))]
            yield newest_line[0]

    replay = LogReplay(final.origin, log_key, notes(), trusted=trusted)
    for record in _json_lines(directory / "entries.jsonl", findings):
        index = record.get("index")
        try:
            data = base64.b64decode(str(record.get("entry")), validate=True)
        except (binascii.Error, ValueError):
            findings.append(f"entries.jsonl: entry {index} is not base64")
            continue
        if type(index) is not int:
            findings.append("entries.jsonl: a line has no integer index")
            continue
        listed_id = record.get("id")
        replay.add_entry(index, data, stored_id=listed_id if isinstance(listed_id, str) else None)
    replay.finish()
    if (directory / "checkpoints.jsonl").exists() and not _same_checkpoint(newest_line, final):
        findings.append(
            "checkpoints.jsonl does not end with the bundle's newest checkpoint "
            f"(size {final.size})"
        )
    if replay.size != final.size:
        findings.append(
            f"the bundle's newest checkpoint covers {final.size} entries, the bundle holds "
            f"{replay.size}"
        )
    elif replay.root() != final.root:
        findings.append("the entries do not produce the root of the bundle's newest checkpoint")
    return findings + replay.findings


def verify_path(
    path: Path,
    log_key: VerifierKey,
    *,
    witness_keys: Sequence[VerifierKey] = (),
    trusted: Checkpoint | None = None,
) -> list[ItemReport]:
    """Check a proof document, a bundle directory, an examination package (directory or .zip),
    or every proof document under a directory."""
    if path.is_dir() and (path / "bundle.json").exists():
        findings = verify_bundle(path, log_key, witness_keys=witness_keys, trusted=trusted)
        return [ItemReport(str(path), findings)]
    if is_package(path):
        findings = verify_package(path, log_key, witness_keys=witness_keys, trusted=trusted)
        return [ItemReport(str(path), findings)]
    if path.is_file() and path.suffix == ".zip":
        findings = verify_package_archive(path, log_key, witness_keys=witness_keys, trusted=trusted)
        return [ItemReport(str(path), findings)]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.is_file())
        if not files:
            raise InvalidInput(f"{path}: no proof documents (*.json) or bundle.json in it")
    elif path.is_file():
        files = [path]
    else:
        raise InvalidInput(f"{path}: no such file or directory")
    reports = []
    for file in files:
        try:
            document = parse_json(file.read_bytes())
        except Error as error:
            reports.append(ItemReport(str(file), [str(error)]))
            continue
        findings = verify_proof_document(
            document, log_key, witness_keys=witness_keys, trusted=trusted
        )
        reports.append(ItemReport(str(file), findings))
    return reports
