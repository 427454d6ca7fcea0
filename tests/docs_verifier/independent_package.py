"""A checker for Attest examination packages, written from docs/package.md section 6 alone.

Like ``independent`` (whose ledger.md primitives it uses) it imports nothing from ``attest``: it
shows that the page is enough to check a package. It returns findings as sentences; an empty list
means the package verifies. Messages need not match Attest's, only the verdict.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from tests.docs_verifier.independent import (
    Checkpoint,
    Failure,
    VerifierKey,
    b64,
    strict_json,
    verify_checkpoint,
    verify_consistency,
    verify_proof_document,
)

FORMAT = "attest-examination-package/v1"
SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
HEX64 = re.compile(r"[0-9a-f]{64}")
KINDS = ("decision", "event", "inventory", "evidence", "checkpoints", "artifact", "readme")
COUNTED = {"decision": "decisions", "event": "events", "inventory": "inventory"}
COUNTED["evidence"] = "evidence"
EVIDENCE_TYPES = (
    "fairness.groups_assigned",
    "bias.run",
    "bias.review",
    "monitoring.run",
    "monitoring.alert",
)
STANDING_TYPES = ("bias.policy", "monitoring.profile", "monitoring.plan")
COUNTED["artifact"] = "artifacts"
SYSTEM_TYPES = (
    "system.registered",
    "system.updated",
    "model_version.registered",
    "model_version.lifecycle",
)


def _integer(value: Any) -> bool:
    return type(value) is int and value >= 0


def _manifest_shape(m: Any) -> None:
    """Section 3, as step 1 requires."""
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise Failure("not a package manifest")
    for name in ("tenant", "origin", "system"):
        if not isinstance(m.get(name), str) or not m[name]:
            raise Failure(f"{name} missing")
    period = m.get("period")
    if not isinstance(period, dict) or set(period) != {"start", "end"}:
        raise Failure("bad period")
    if not all(isinstance(v, str) and TIME.fullmatch(v) for v in period.values()):
        raise Failure("bad period times")
    if not period["start"] < period["end"]:
        raise Failure("period ends before it starts")
    checkpoint = m.get("checkpoint")
    if not isinstance(checkpoint, dict) or not _integer(checkpoint.get("size")):
        raise Failure("bad checkpoint")
    if len(b64(checkpoint.get("root"), "checkpoint.root")) != 32:
        raise Failure("bad checkpoint root")
    counts = m.get("counts")
    names = {"decisions", "events", "inventory", "evidence", "checkpoints", "artifacts"}
    if not isinstance(counts, dict) or set(counts) != names:
        raise Failure("bad counts")
    if not all(_integer(v) for v in counts.values()) or not isinstance(m.get("files"), list):
        raise Failure("bad counts or files")
    for item in m["files"]:
        if not isinstance(item, dict) or item.get("kind") not in KINDS:
            raise Failure("bad file item")
        path = item.get("path")
        if not isinstance(path, str) or not all(SEGMENT.fullmatch(s) for s in path.split("/")):
            raise Failure("bad path")
        if path in ("manifest.json", "issued.json"):
            raise Failure("lists a binding file")
        if not isinstance(item.get("sha256"), str) or not HEX64.fullmatch(item["sha256"]):
            raise Failure("bad sha256")
        if item["kind"] in ("decision", "event", "inventory", "evidence") and not (
            isinstance(item.get("id"), str) and _integer(item.get("index"))
        ):
            raise Failure("entry item without id or index")


def _envelope(document: dict[str, Any]) -> dict[str, Any]:
    value = strict_json(b64(document["entry"], "entry"))
    if not isinstance(value, dict) or not isinstance(value.get("body"), dict):
        raise Failure("entry is not an envelope")
    return value


def verify_package(directory: Path, log_key: VerifierKey) -> list[str]:
    try:
        manifest_bytes = (directory / "manifest.json").read_bytes()
        m = strict_json(manifest_bytes)
        _manifest_shape(m)
    except (OSError, Failure) as error:
        return [f"manifest: {error}"]
    findings: list[str] = []
    p_size, p_root = m["checkpoint"]["size"], b64(m["checkpoint"]["root"], "root")

    # 2. issuance
    try:
        issued = strict_json((directory / "issued.json").read_bytes())
        problems = verify_proof_document(issued, log_key)
        if problems:
            raise Failure("; ".join(problems))
        envelope = _envelope(issued)
        body = envelope["body"]
        if envelope.get("type") != "package.issued":
            raise Failure("not a package.issued entry")
        if body.get("manifest_sha256") != hashlib.sha256(manifest_bytes).hexdigest():
            raise Failure("manifest hash differs")
        if body.get("format") != FORMAT or envelope.get("system") != m["system"]:
            raise Failure("format or system differs")
        for name in ("period", "checkpoint", "counts"):
            if body.get(name) != m[name]:
                raise Failure(f"{name} differs")
        issue = verify_checkpoint(issued["checkpoint"], log_key)
        if issue.origin != m["origin"] or issued["index"] < p_size:
            raise Failure("wrong log or issued too early")
        consistency = issued.get("consistency")
        if not isinstance(consistency, dict) or consistency.get("from_size") != p_size:
            raise Failure("no consistency proof from the package checkpoint")
        proof = [b64(h, "hash") for h in consistency.get("proof", [])]
        verify_consistency(p_size, issue.size, p_root, issue.root, proof)
    except (OSError, Failure, TypeError) as error:
        findings.append(f"issued: {error}")

    # 3. files
    content: dict[str, bytes] = {}
    paths = [item["path"] for item in m["files"]]
    if len(set(paths)) != len(paths):
        findings.append("a path is listed twice")
    for item in m["files"]:
        path = directory / item["path"]
        if path.is_symlink() or not path.is_file():
            findings.append(f"{item['path']}: missing")
            continue
        content[item["path"]] = path.read_bytes()
        if hashlib.sha256(content[item["path"]]).hexdigest() != item["sha256"]:
            findings.append(f"{item['path']}: hash differs")
    for path in directory.rglob("*"):
        relative = path.relative_to(directory).as_posix()
        if (path.is_symlink() or not path.is_dir()) and relative not in (
            *paths,
            "manifest.json",
            "issued.json",
        ):
            findings.append(f"{relative}: not listed")

    # 4. checkpoint chain
    chains = [i for i in m["files"] if i["kind"] == "checkpoints"]
    if len(chains) != 1:
        findings.append("not exactly one chain")
    for item in chains:
        if item["path"] not in content:
            continue
        try:
            links = strict_json(content[item["path"]]).get("checkpoints")
            if not isinstance(links, list) or not links:
                raise Failure("empty chain")
            previous: Checkpoint | None = None
            for link in links:
                checkpoint = verify_checkpoint(link["note"], log_key)
                if checkpoint.origin != m["origin"] or link.get("size") != checkpoint.size:
                    raise Failure("origin or size differs")
                if previous is not None:
                    link_proof = link["consistency"]
                    if link_proof["from_size"] != previous.size or previous.size >= checkpoint.size:
                        raise Failure("chain out of order")
                    hashes = [b64(h, "hash") for h in link_proof["proof"]]
                    verify_consistency(
                        previous.size, checkpoint.size, previous.root, checkpoint.root, hashes
                    )
                previous = checkpoint
            if previous is None or (previous.size, previous.root) != (p_size, p_root):
                raise Failure("does not end at the package checkpoint")
            if len(links) != m["counts"]["checkpoints"]:
                raise Failure("count differs")
        except (Failure, AttributeError, KeyError, TypeError) as error:
            findings.append(f"chain: {error}")

    # 5. entries (decisions first), 6. artifacts
    decision_ids = {i["id"] for i in m["files"] if i["kind"] == "decision"}
    subjects: set[str] = set()
    named_artifacts: set[Any] = set()
    order = {"decision": 0, "event": 1, "inventory": 2, "evidence": 3}
    entries = sorted((i for i in m["files"] if i["kind"] in order), key=lambda i: order[i["kind"]])
    for item in entries:
        where = item["path"]
        if where not in content:
            continue
        try:
            document = strict_json(content[where])
            problems = verify_proof_document(document, log_key)
            if problems:
                raise Failure("; ".join(problems))
            checkpoint = verify_checkpoint(document["checkpoint"], log_key)
            if (checkpoint.origin, checkpoint.size, checkpoint.root) != (
                m["origin"],
                p_size,
                p_root,
            ):
                raise Failure("not against the package checkpoint")
            envelope = _envelope(document)
            if document["index"] != item["index"] or envelope.get("id") != item["id"]:
                raise Failure("index or id differs from the manifest")
            kind, system, body = envelope.get("type"), envelope.get("system"), envelope["body"]
            if item["kind"] == "decision":
                time = envelope.get("time")
                if kind != "decision" or system != m["system"] or not isinstance(time, str):
                    raise Failure("not a decision of the system")
                if not m["period"]["start"] <= time < m["period"]["end"]:
                    raise Failure("outside the period")
                if isinstance(envelope.get("subject"), str):
                    subjects.add(envelope["subject"])
            elif item["kind"] == "event":
                reference, subject = body.get("decision_id"), envelope.get("subject")
                if not (isinstance(reference, str) and reference in decision_ids) and not (
                    kind == "erasure" and isinstance(subject, str) and subject in subjects
                ):
                    raise Failure("refers to no decision of the package")
            elif item["kind"] == "evidence":
                time = envelope.get("time")
                if kind not in (*EVIDENCE_TYPES, *STANDING_TYPES) or system != m["system"]:
                    raise Failure("not governance evidence of the system")
                start = m["period"]["start"] if kind in EVIDENCE_TYPES else ""
                if not isinstance(time, str) or not start <= time < m["period"]["end"]:
                    raise Failure("outside the period")
            elif kind != "tenant.registered" and not (
                kind in SYSTEM_TYPES and system == m["system"]
            ):
                raise Failure("not an inventory record")
            elif kind == "model_version.registered":
                named_artifacts.add(body.get("artifact_sha256"))
        except (Failure, KeyError, TypeError) as error:
            findings.append(f"{where}: {error}")
    for item in m["files"]:
        if item["kind"] == "artifact" and item["sha256"] not in named_artifacts:
            findings.append(f"{item['path']}: no model version names it")

    # 7. counts
    indexes = [i["index"] for i in m["files"] if "index" in i and i["kind"] in order]
    if len(set(indexes)) != len(indexes):
        findings.append("an entry is listed twice")
    for kind, name in COUNTED.items():
        if sum(i["kind"] == kind for i in m["files"]) != m["counts"][name]:
            findings.append(f"{name} count differs")
    if not decision_ids:
        findings.append("no decision")
    return findings
