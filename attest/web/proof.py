"""The "verified in checkpoint N" badge: a real inclusion proof, checked on every view.

The server asks its own ledger for the decision's proof document (the entry's bytes, its inclusion
proof and the newest signed checkpoint), then checks it exactly as an outside verifier would:
:func:`verify_proof_document` with the log's verifier key (signature, tree size, Merkle path from
the hash of the entry bytes to the signed root, canonical envelope of the right tenant). On top it
checks that the entry is this decision of this tenant, and that the query-table row the explorer
lists says what the entry says, so the badge covers what the page shows.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from attest.core.canonical import parse_json
from attest.core.checkpoint import VerifierKey, verify_checkpoint
from attest.core.proof_document import tenant_of_origin, verify_proof_document
from attest.errors import Error
from attest.service.ledger import Ledger


@dataclass(frozen=True)
class Badge:
    """What the proof showed, for one view of one decision."""

    verified: bool
    checkpoint: int | None = None
    index: int | None = None
    root: str | None = None
    origin: str | None = None
    findings: tuple[str, ...] = ()
    envelope: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def text(self) -> str:
        if self.verified:
            return f"Verified in checkpoint {self.checkpoint}"
        return "Verification failed"


def _envelope(data: bytes) -> dict[str, Any] | None:
    try:
        envelope = parse_json(data)
    except Error:
        return None
    return envelope if isinstance(envelope, dict) else None


def _disagreements(row: dict[str, Any], envelope: dict[str, Any]) -> list[str]:
    """Columns of the decision's query-table row that differ from its ledger entry."""
    body = envelope.get("body")
    if not isinstance(body, dict):
        return ["body"]
    output = body.get("output")
    if not isinstance(output, dict):
        output = {}
    expected = {
        "system": envelope.get("system"),
        "subject": envelope.get("subject"),
        "model_version": body.get("model_version"),
        "label": output.get("label"),
        "score": output.get("score"),
        "adverse": body.get("adverse"),
        "flags": ",".join(body.get("flags") or []) or None,
        "inputs": body.get("inputs"),
        "explanation": body.get("explanation"),
    }
    return [name for name, value in expected.items() if row.get(name) != value]


def check_decision(
    ledger: Ledger, verifier: VerifierKey, tenant: str, decision_id: str, row: dict[str, Any]
) -> Badge:
    """Prove the decision's entry and check the proof; never raises for a failed check."""
    try:
        document = ledger.prove(tenant, decision_id)
    except Error as error:
        return Badge(False, findings=(f"no proof could be made: {error}",))
    findings = list(verify_proof_document(document.to_json(), verifier))
    envelope = _envelope(document.entry)
    origin = root = None
    try:
        checkpoint = verify_checkpoint(document.checkpoint, verifier)
        origin, root = checkpoint.origin, base64.b64encode(checkpoint.root).decode()
        if tenant_of_origin(checkpoint.origin) != tenant:
            findings.append(f"the checkpoint is of log {checkpoint.origin}, not of {tenant}")
    except Error:
        pass  # verify_proof_document has said why
    if envelope is None:
        findings.append("the entry bytes are not a JSON object")
    else:
        if envelope.get("id") != decision_id:
            findings.append("the entry's id is not this decision's id")
        if envelope.get("type") != "decision":
            findings.append("the entry is not a decision")
        differing = _disagreements(row, envelope)
        if differing:
            findings.append(
                "the query table disagrees with the logged entry on: " + ", ".join(differing)
            )
    return Badge(
        verified=not findings,
        checkpoint=document.tree_size,
        index=document.index,
        root=root,
        origin=origin,
        findings=tuple(findings),
        envelope=envelope,
    )
