"""What a quick audit checks on every entry, and what only ``deep`` (and ``verify``) adds."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from attest.core.checkpoint import origin_for, sign_checkpoint
from attest.core.merkle import hash_leaf
from attest.service.audit import audit_tenant
from attest.service.export import export_log
from attest.store.base import NewEntry
from attest.store.memory import MemoryStore
from attest.verifier import verify_path
from tests.conftest import LOG_SIGNER

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def _signed_log(tenant: str, *entries: bytes) -> MemoryStore:
    """A log whose entries were signed as given, as if written by a faulty or hostile writer."""
    store = MemoryStore()
    batch = [
        NewEntry(f"e{i}", hash_leaf(data), data, hashlib.sha256(data).digest())
        for i, data in enumerate(entries)
    ]
    store.append(
        tenant,
        origin=origin_for("attest.test", tenant),
        entries=batch,
        sign=lambda checkpoint: sign_checkpoint(checkpoint, LOG_SIGNER),
        now=NOW,
    )
    return store


def _entry(tenant: str, entry_id: str, spacing: str = "") -> bytes:
    return (
        f'{{"body":{{"a":{spacing}1}},"id":"{entry_id}","tenant":"{tenant}",'
        f'"time":"2026-11-27T00:00:00.000000Z","type":"note","v":1}}'
    ).encode()


def test_a_signed_but_non_canonical_entry_is_found_by_deep_audit_and_verify(
    tenant: str, tmp_path: Path
) -> None:
    store = _signed_log(tenant, _entry(tenant, "e0"), _entry(tenant, "e1", spacing=" "))
    assert audit_tenant(store, tenant, LOG_SIGNER.verifier).findings == []
    deep = audit_tenant(store, tenant, LOG_SIGNER.verifier, deep=True).findings
    assert deep == ["entry 1: bytes are not in RFC 8785 canonical form"]
    export_log(store, tenant, tmp_path / "bundle")
    (report,) = verify_path(tmp_path / "bundle", LOG_SIGNER.verifier)
    assert report.findings == ["entry 1: bytes are not in RFC 8785 canonical form"]


def test_the_quick_audit_still_reads_every_envelope_header(tenant: str) -> None:
    other = _entry("another-bank", "e1")
    wrong_version = _entry(tenant, "e2").replace(b'"v":1}', b'"v":2}')
    not_json = b"plain text"
    store = _signed_log(tenant, _entry(tenant, "e0"), other, wrong_version, not_json)
    findings = audit_tenant(store, tenant, LOG_SIGNER.verifier).findings
    assert findings == [
        f"entry 1: entry belongs to tenant 'another-bank', the log to '{tenant}'",
        "entry 2: not a version-1 Attest entry envelope",
        "entry 3: not a version-1 Attest entry envelope",
    ]
