"""The public proof document: one entry, its inclusion proof and the signed checkpoint.

::

    {"entry": base64(canonical entry bytes), "index": 7, "tree_size": 12,
     "proof": [base64 hash, ...], "checkpoint": "<signed note text>",
     "consistency": {"from_size": 8, "proof": [base64 hash, ...]}}    # optional

Checking one needs only this module, the log's verifier key and, to rule out a rollback or a
fork, a checkpoint the checker trusted earlier. Findings are returned as sentences, one per
problem, so a report can name every failure rather than the first.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from attest.core.canonical import canonical_bytes, parse_json
from attest.core.checkpoint import Checkpoint, VerifierKey, verify_checkpoint
from attest.core.merkle import HASH_SIZE, hash_leaf, verify_consistency, verify_inclusion
from attest.errors import Error, VerificationError


@dataclass(frozen=True)
class ProofDocument:
    entry: bytes
    index: int
    tree_size: int
    proof: tuple[bytes, ...]
    checkpoint: str
    consistency_from: int | None = None
    consistency_proof: tuple[bytes, ...] = ()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "entry": base64.b64encode(self.entry).decode(),
            "index": self.index,
            "tree_size": self.tree_size,
            "proof": [base64.b64encode(h).decode() for h in self.proof],
            "checkpoint": self.checkpoint,
        }
        if self.consistency_from is not None:
            document["consistency"] = {
                "from_size": self.consistency_from,
                "proof": [base64.b64encode(h).decode() for h in self.consistency_proof],
            }
        return document


def _hashes(value: Any, field: str) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise VerificationError(f"field {field!r} must be a list of base64 hashes")
    decoded = []
    for i, item in enumerate(value):
        try:
            raw = base64.b64decode(item, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise VerificationError(f"{field}[{i}] is not base64") from None
        if len(raw) != HASH_SIZE:
            raise VerificationError(f"{field}[{i}] is not a {HASH_SIZE}-byte hash")
        decoded.append(raw)
    return tuple(decoded)


def _natural(value: Any, field: str) -> int:
    if type(value) is not int or value < 0:
        raise VerificationError(f"field {field!r} must be a non-negative integer")
    return value


def parse_consistency(consistency: Any) -> tuple[int, tuple[bytes, ...]]:
    """``{"from_size": N, "proof": [base64 hashes]}``: the earlier size and the proof."""
    if not isinstance(consistency, dict):
        raise VerificationError("field 'consistency' must be an object")
    return (
        _natural(consistency.get("from_size"), "consistency.from_size"),
        _hashes(consistency.get("proof"), "consistency.proof"),
    )


def parse_proof_document(document: Any) -> ProofDocument:
    """Check the shape of a proof document; raise :class:`VerificationError` naming the field."""
    if not isinstance(document, dict):
        raise VerificationError("a proof document is a JSON object")
    for field in ("entry", "index", "tree_size", "proof", "checkpoint"):
        if field not in document:
            raise VerificationError(f"proof document has no field {field!r}")
    try:
        entry = base64.b64decode(document["entry"], validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise VerificationError("field 'entry' is not base64") from None
    if not isinstance(document["checkpoint"], str):
        raise VerificationError("field 'checkpoint' must be the signed note text")
    consistency = document.get("consistency")
    consistency_from: int | None = None
    consistency_proof: tuple[bytes, ...] = ()
    if consistency is not None:
        consistency_from, consistency_proof = parse_consistency(consistency)
    return ProofDocument(
        entry=entry,
        index=_natural(document["index"], "index"),
        tree_size=_natural(document["tree_size"], "tree_size"),
        proof=_hashes(document["proof"], "proof"),
        checkpoint=document["checkpoint"],
        consistency_from=consistency_from,
        consistency_proof=consistency_proof,
    )


def tenant_of_origin(origin: str) -> str | None:
    head, separator, tenant = origin.rpartition("/attest/")
    return tenant if separator and head and tenant else None


_HEADER = re.compile(
    rb'\},"id":"(?P<id>[^"\\]*)"(?:,"subject":"[^"\\]*")?(?:,"system":"[^"\\]*")?'
    rb',"tenant":"(?P<tenant>[^"\\]*)","time":"[^"\\]*","type":"[^"\\]*","v":(?P<v>[0-9]+)\}'
)


def header_is_plainly_right(data: bytes, tenant: bytes, listed_id: str | None) -> bool:
    """The audit's fast path: a usual canonical header with version 1, this tenant and this id.

    False means "look closer" (:func:`check_entry_bytes` then says what is wrong), not "wrong".
    """
    start = data.rfind(b'},"id":"')
    usual = _HEADER.fullmatch(data, start) if start > 0 else None
    return (
        usual is not None
        and data.startswith(b'{"body":')
        and usual["v"] == b"1"
        and usual["tenant"] == tenant
        and (listed_id is None or usual["id"] == listed_id.encode())
    )


def _envelope_header(data: bytes) -> Any:
    """The envelope members after ``body``, read from the tail of canonical entry bytes.

    In canonical form the body comes first and no header value can contain ``},"id":"``, so
    the last occurrence of it starts the header. Cheap enough to run on every entry of an audit;
    :func:`check_entry_bytes` with ``full=True`` checks the whole encoding.
    """
    start = data.rfind(b'},"id":"')
    if not data.startswith(b'{"body":') or start < 0:
        return None
    usual = _HEADER.fullmatch(data, start)
    if usual is not None:
        return {
            "id": usual["id"].decode(),
            "tenant": usual["tenant"].decode(),
            "v": int(usual["v"]),
        }
    try:
        return json.loads("{" + data[start + 2 :].decode())
    except ValueError:  # UnicodeDecodeError and JSONDecodeError alike
        return None


def check_entry_bytes(
    data: bytes,
    origin: str,
    where: str,
    listed_id: str | None = None,
    *,
    full: bool = True,
    tenant: str | None = None,
) -> list[str]:
    """An entry must be canonical JSON of a version-1 envelope of the log's own tenant.

    ``listed_id`` is the id under which the entry is stored or listed; it must be the envelope's.
    With ``full=False`` only the envelope header is read, not the canonical form of the body.
    """
    findings = []
    if full:
        try:
            envelope = parse_json(data)
            canonical = canonical_bytes(envelope)
        except Error as error:
            return [f"{where}: not canonical JSON ({error})"]
        if canonical != data:
            findings.append(f"{where}: bytes are not in RFC 8785 canonical form")
    else:
        envelope = _envelope_header(data)
    if not isinstance(envelope, dict) or type(envelope.get("v")) is not int or envelope["v"] != 1:
        return [*findings, f"{where}: not a version-1 Attest entry envelope"]
    if listed_id is not None and envelope.get("id") != listed_id:
        findings.append(f"{where}: listed under id {listed_id!r} but its envelope says otherwise")
    tenant = tenant or tenant_of_origin(origin)
    if envelope.get("tenant") != tenant:
        findings.append(
            f"{where}: entry belongs to tenant {envelope.get('tenant')!r}, the log to {tenant!r}"
        )
    return findings


def check_against_trusted(
    checkpoint: Checkpoint,
    trusted: Checkpoint,
    consistency_from: int | None,
    consistency_proof: Sequence[bytes],
) -> list[str]:
    """Rule out a rollback or a fork relative to a checkpoint the checker saw before."""
    if trusted.origin != checkpoint.origin:
        return [f"trusted checkpoint is for log {trusted.origin}, not {checkpoint.origin}"]
    if checkpoint.size < trusted.size:
        return [
            f"rollback: the log now shows size {checkpoint.size}, but a checkpoint of size "
            f"{trusted.size} was seen before"
        ]
    if checkpoint.size == trusted.size:
        if checkpoint.root != trusted.root:
            return [f"fork: two different signed roots for size {trusted.size}"]
        return []
    if consistency_from != trusted.size:
        return [
            f"no consistency proof from the trusted size {trusted.size} to size {checkpoint.size}"
        ]
    try:
        verify_consistency(
            trusted.size, checkpoint.size, trusted.root, checkpoint.root, consistency_proof
        )
    except VerificationError as error:
        return [
            f"fork or rollback: size {checkpoint.size} is not an extension of the trusted "
            f"checkpoint of size {trusted.size} ({error})"
        ]
    return []


def verify_proof_document(
    document: Any,
    log_key: VerifierKey,
    *,
    witness_keys: Sequence[VerifierKey] = (),
    trusted: Checkpoint | None = None,
) -> list[str]:
    """Every problem with a proof document; an empty list means it verifies."""
    try:
        proof = parse_proof_document(document)
        checkpoint = verify_checkpoint(proof.checkpoint, log_key, witness_keys)
    except VerificationError as error:
        return [str(error)]
    findings = []
    if checkpoint.size != proof.tree_size:
        findings.append(
            f"tree_size {proof.tree_size} differs from the checkpoint's size {checkpoint.size}"
        )
    try:
        verify_inclusion(
            proof.index, checkpoint.size, hash_leaf(proof.entry), proof.proof, checkpoint.root
        )
    except VerificationError as error:
        findings.append(f"entry {proof.index} is not in the signed tree: {error}")
    findings.extend(check_entry_bytes(proof.entry, checkpoint.origin, f"entry {proof.index}"))
    if trusted is not None:
        findings.extend(
            check_against_trusted(
                checkpoint, trusted, proof.consistency_from, proof.consistency_proof
            )
        )
    return findings
