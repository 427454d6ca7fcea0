"""The ledger service on every store: receipts, retries, the vault and erasure."""

from __future__ import annotations

from typing import Any

import pytest

from attest.core.checkpoint import verify_checkpoint
from attest.core.proof_document import verify_proof_document
from attest.core.records import commitment
from attest.errors import Conflict, InvalidInput, NotFound
from attest.service.ledger import Ledger
from tests.conftest import LOG_SIGNER

PERSON = {"name": "Jane Q. Applicant", "ssn": "123-45-6789"}


def _decision(entry_id: str | None = None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": "decision",
        "system": "credit-underwriting",
        "body": {"inputs": {"amount": 1200, "term": 24}, "output": {"label": "approve"}},
    }
    if entry_id:
        entry["id"] = entry_id
    return entry | extra


def _personal(entry_id: str, subject: str = "subject-1") -> dict[str, Any]:
    entry = _decision(entry_id, subject=subject, sensitive=["/identifiers"])
    entry["body"] = entry["body"] | {"identifiers": PERSON}
    return entry


def test_receipts_come_with_the_checkpoint_that_holds_them(ledger: Ledger, tenant: str) -> None:
    receipts = ledger.append_json(tenant, [_decision("a"), _decision("b"), _decision()])
    assert [r.index for r in receipts] == [0, 1, 2]
    assert all(r.created and r.tree_size == 3 for r in receipts)
    checkpoint = verify_checkpoint(receipts[0].checkpoint, LOG_SIGNER.verifier)
    assert checkpoint.size == 3
    assert checkpoint.origin == f"attest.test/attest/{tenant}"
    assert receipts[2].id  # a UUIDv7 was assigned


def test_a_retry_returns_the_same_index_and_adds_nothing(ledger: Ledger, tenant: str) -> None:
    first = ledger.append_json(tenant, [_decision("a"), _personal("p")])
    again = ledger.append_json(tenant, [_personal("p"), _decision("a")])
    assert [(r.index, r.created) for r in again] == [(1, False), (0, False)]
    assert again[0].tree_size == first[0].tree_size == 2


def test_the_same_id_with_other_content_is_a_conflict_and_stores_nothing(
    ledger: Ledger, tenant: str
) -> None:
    ledger.append_json(tenant, [_decision("a")])
    changed = _decision("a")
    changed["body"]["output"]["label"] = "decline"
    with pytest.raises(Conflict, match=r"line 2 \(id a\): id a is already used by entry 0"):
        ledger.append_json(tenant, [_decision("fresh"), changed])
    assert ledger.latest_checkpoint(tenant).size == 1
    assert ledger.store.entry_by_id(tenant, "fresh") is None


def test_different_sensitive_values_under_one_id_conflict(ledger: Ledger, tenant: str) -> None:
    ledger.append_json(tenant, [_personal("p")])
    other = _personal("p")
    other["body"]["identifiers"] = {"name": "Someone Else", "ssn": "000-00-0000"}
    with pytest.raises(Conflict):
        ledger.append_json(tenant, [other])


def test_a_batch_with_one_bad_entry_stores_nothing(ledger: Ledger, tenant: str) -> None:
    ledger.append_json(tenant, [_decision("a")])
    bad = _decision("bad")
    bad["body"]["inputs"]["amount"] = float("nan")
    with pytest.raises(InvalidInput, match=r"line 3 \(id bad\): field 'body/inputs/amount'"):
        ledger.append_json(tenant, [_decision("b"), _personal("p"), bad])
    assert ledger.latest_checkpoint(tenant).size == 1
    assert ledger.store.entry_by_id(tenant, "b") is None
    assert ledger.store.subject_keys(tenant, ["subject-1"]) == {}


def test_oversized_entries_are_refused(store: Any, keyring: Any, clock: Any, tenant: str) -> None:
    small = Ledger(store, keyring, host="attest.test", clock=clock, max_entry_bytes=300)
    big = _decision("big")
    big["body"]["inputs"]["notes"] = "x" * 400
    with pytest.raises(
        InvalidInput, match=r"line 1 \(id big\): entry is \d+ bytes, over the limit of 300"
    ):
        small.append_json(tenant, [big])
    assert small.store.latest_checkpoint(tenant) is None


def test_unknown_tenant_is_not_found(ledger: Ledger, tenant: str) -> None:
    with pytest.raises(NotFound, match=f"unknown tenant {tenant}"):
        ledger.latest_checkpoint(tenant)
    with pytest.raises(NotFound):
        ledger.prove(tenant, "nothing")


def test_sensitive_values_leave_the_entry_and_come_back_from_the_vault(
    ledger: Ledger, tenant: str
) -> None:
    (receipt,) = ledger.append_json(tenant, [_personal("p")])
    stored = ledger.store.entry_by_id(tenant, "p")
    assert stored is not None
    assert b"Jane" not in stored.data and b"123-45-6789" not in stored.data
    assert b'"identifiers":{"commit":"sha256:' in stored.data
    reading = ledger.read_values(tenant, "p")
    (value,) = reading.values
    assert value.pointer == "/identifiers" and value.value == PERSON
    assert commitment(value.salt, value.value) == value.commitment
    assert value.commitment in stored.data.decode()
    assert receipt.index == 0


def test_erasure_destroys_the_values_but_every_proof_still_verifies(
    ledger: Ledger, tenant: str
) -> None:
    ledger.append_json(tenant, [_personal("p1"), _personal("p2"), _personal("q", "subject-2")])
    before = ledger.prove(tenant, "p1").to_json()
    receipt = ledger.erase(tenant, "subject-1", "GDPR Art. 17 request 2026-114")
    assert receipt.index == 3 and receipt.created

    reading = ledger.read_values(tenant, "p1")
    assert reading.values == [] and reading.erased_at is not None
    assert reading.erasure_reason == "GDPR Art. 17 request 2026-114"
    assert reading.erasure_entry == receipt.id
    assert ledger.read_values(tenant, "q").values[0].value == PERSON  # other subjects untouched

    for entry_id in ("p1", "p2", receipt.id):
        document = ledger.prove(tenant, entry_id, since=3).to_json()
        assert verify_proof_document(document, LOG_SIGNER.verifier) == []
    assert verify_proof_document(before, LOG_SIGNER.verifier) == []
    erasure_entry = ledger.store.entry_by_id(tenant, receipt.id)
    assert erasure_entry is not None and b'"type":"erasure"' in erasure_entry.data


def test_after_erasure_retries_pass_and_new_personal_data_is_refused(
    ledger: Ledger, tenant: str
) -> None:
    ledger.append_json(tenant, [_personal("p1")])
    ledger.erase(tenant, "subject-1", "retention period ended")
    (retry,) = ledger.append_json(tenant, [_personal("p1")])
    assert (retry.index, retry.created) == (0, False)
    with pytest.raises(
        InvalidInput, match=r"line 1 \(id p9\): field 'subject': this subject was erased"
    ):
        ledger.append_json(tenant, [_personal("p9")])
    with pytest.raises(Conflict, match="already erased"):
        ledger.erase(tenant, "subject-1", "again")


def test_erasing_an_unknown_subject_or_without_reason_is_refused(
    ledger: Ledger, tenant: str
) -> None:
    ledger.append_json(tenant, [_decision("a")])
    with pytest.raises(InvalidInput, match="no data in this tenant's vault"):
        ledger.erase(tenant, "nobody", "reason")
    with pytest.raises(InvalidInput, match="needs a reason"):
        ledger.erase(tenant, "nobody", "  ")
    assert ledger.latest_checkpoint(tenant).size == 1


def test_witness_cosignatures_are_kept(ledger: Ledger, tenant: str) -> None:
    from attest.core.checkpoint import SignerKey, cosign

    witness = SignerKey("witness.example", bytes(range(64, 96)))
    ledger.append_json(tenant, [_decision("a")])
    note = ledger.latest_checkpoint(tenant).note
    ledger.cosign(tenant, cosign(note, witness), [witness.verifier])
    kept = ledger.latest_checkpoint(tenant).note
    verify_checkpoint(kept, LOG_SIGNER.verifier, [witness.verifier])
    document = ledger.prove(tenant, "a").to_json()
    assert (
        verify_proof_document(document, LOG_SIGNER.verifier, witness_keys=[witness.verifier]) == []
    )
