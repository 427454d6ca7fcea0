"""docs/ledger.md is enough to verify Attest's evidence: a verifier written from it alone agrees.

Attest builds, proves and exports a log here; ``independent`` (which imports nothing from
``attest``) must accept what Attest produced and reject every tampered copy.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from attest.core.checkpoint import SignerKey, checkpoint_text_of, cosign, sign_checkpoint
from attest.core.proof_document import verify_proof_document as attest_verify_document
from attest.service.export import export_log
from attest.service.ledger import Ledger
from attest.verifier import verify_bundle as attest_verify_bundle
from tests.conftest import LOG_SIGNER, OTHER_SIGNER
from tests.docs_verifier import independent, worked_example
from tests.docs_verifier.independent import Failure, VerifierKey

ROOT = Path(__file__).parent.parent.parent
LEDGER_MD = ROOT / "docs" / "ledger.md"
VECTORS = ROOT / "tests" / "vectors" / "rfc6962"
LOG_KEY = VerifierKey.parse(str(LOG_SIGNER.verifier))
WITNESS = SignerKey("witness.example", bytes(range(64, 96)))
WITNESS_KEY = VerifierKey.parse(str(WITNESS.verifier))
PERSON = {"name": "Jane Q. Applicant", "date_of_birth": "1970-01-01"}


def _decision(entry_id: str, **extra: Any) -> dict[str, Any]:
    entry = {
        "type": "decision",
        "id": entry_id,
        "system": "credit-underwriting",
        "body": {"inputs": {"amount": 1200, "rate": 0.071}, "output": {"label": "approve"}},
    }
    return entry | extra


@dataclass
class Evidence:
    ledger: Ledger
    tenant: str
    early_note: str  # the checkpoint after the first batch
    early_document: dict[str, Any]  # a proof made before the later batches
    document: dict[str, Any]  # dec-2 in the newest checkpoint, consistent since the first one
    bundle: Path


@pytest.fixture
def evidence(ledger: Ledger, tenant: str, tmp_path: Path) -> Evidence:
    first = ledger.append_json(
        tenant,
        [
            _decision("dec-1"),
            _decision(
                "dec-2",
                subject="applicant-2",
                sensitive=["/identifiers"],
                body={"identifiers": PERSON, "inputs": {"amount": 900}, "note": "é ✓ \u2028"},
            ),
            {"type": "model.approval", "body": {"model_version": "v3"}},  # UUIDv7 id, no system
        ],
    )
    early_document = ledger.prove(tenant, "dec-1").to_json()
    ledger.append_json(tenant, [_decision("dec-3"), _decision("dec-4")])
    ledger.append_json(tenant, [_decision(f"dec-{i}") for i in range(5, 12)])
    newest = ledger.latest_checkpoint(tenant).note
    ledger.cosign(tenant, cosign(newest, WITNESS), [WITNESS.verifier])
    document = ledger.prove(tenant, "dec-2", since=first[0].tree_size).to_json()
    bundle = tmp_path / "bundle"
    export_log(ledger.store, tenant, bundle)
    return Evidence(ledger, tenant, first[0].checkpoint, early_document, document, bundle)


def _trusted(note: str) -> independent.Checkpoint:
    return independent.verify_checkpoint(note, LOG_KEY)


def _flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def _rewrite_line(path: Path, number: int, change: Callable[[dict[str, Any]], None]) -> None:
    lines = path.read_text().splitlines()
    record = json.loads(lines[number])
    change(record)
    lines[number] = json.dumps(record)
    path.write_text("\n".join(lines) + "\n")


def _foreign_note(note: str) -> str:
    """The same checkpoint signed by another key with the log key's name."""
    return sign_checkpoint(checkpoint_text_of(note), OTHER_SIGNER)


# -- what Attest produces verifies --------------------------------------------------------------


def test_the_proof_document_verifies(evidence: Evidence) -> None:
    document = evidence.document
    assert independent.verify_proof_document(document, LOG_KEY) == []
    assert independent.verify_proof_document(json.dumps(document, indent=2), LOG_KEY) == []
    assert independent.verify_proof_document(document, LOG_KEY, witness_keys=[WITNESS_KEY]) == []
    trusted = _trusted(evidence.early_note)
    assert independent.verify_proof_document(document, LOG_KEY, trusted=trusted) == []
    assert attest_verify_document(document, LOG_SIGNER.verifier) == []


def test_the_bundle_verifies_by_replay(evidence: Evidence) -> None:
    assert len((evidence.bundle / "checkpoints.jsonl").read_text().splitlines()) == 3
    assert independent.verify_bundle(evidence.bundle, LOG_KEY) == []
    trusted = _trusted(evidence.early_note)
    assert independent.verify_bundle(evidence.bundle, LOG_KEY, trusted=trusted) == []
    assert attest_verify_bundle(evidence.bundle, LOG_SIGNER.verifier) == []


def test_a_revealed_vault_value_opens_its_commitment(evidence: Evidence) -> None:
    reading = evidence.ledger.read_values(evidence.tenant, "dec-2")
    (value,) = reading.values
    entry = json.loads(base64.b64decode(evidence.document["entry"]))
    committed = entry["body"]["identifiers"]["commit"]
    digest = independent.sha256(value.salt + independent.canonical(value.value)).hex()
    assert committed == f"sha256:{digest}"
    assert value.value == PERSON


def test_after_erasure_every_proof_still_verifies(evidence: Evidence, tmp_path: Path) -> None:
    evidence.ledger.erase(evidence.tenant, "applicant-2", "erasure request 42")
    assert evidence.ledger.read_values(evidence.tenant, "dec-2").erased_at is not None
    document = evidence.ledger.prove(evidence.tenant, "dec-2").to_json()
    assert independent.verify_proof_document(document, LOG_KEY) == []
    bundle = tmp_path / "after-erasure"
    export_log(evidence.ledger.store, evidence.tenant, bundle)
    assert independent.verify_bundle(bundle, LOG_KEY, trusted=_trusted(evidence.early_note)) == []


def test_the_command_line_exit_statuses(evidence: Evidence, tmp_path: Path) -> None:
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(evidence.document))
    key = str(LOG_KEY)
    assert independent.main([str(path), "--key", key]) == 0
    assert independent.main([str(evidence.bundle), "--key", key]) == 0
    assert independent.main([str(path), "--key", str(OTHER_SIGNER.verifier)]) == 1
    assert independent.main([str(tmp_path / "missing"), "--key", key]) == 2


# -- tampering is caught ------------------------------------------------------------------------


@pytest.mark.parametrize("position", [0, 10, -3])
def test_a_flipped_entry_byte_is_rejected(evidence: Evidence, position: int) -> None:
    document = copy.deepcopy(evidence.document)
    entry = base64.b64decode(document["entry"])
    document["entry"] = base64.b64encode(_flip(entry, position % len(entry))).decode()
    findings = independent.verify_proof_document(document, LOG_KEY)
    assert any("not in the signed tree" in f for f in findings), findings
    assert attest_verify_document(document, LOG_SIGNER.verifier)


@pytest.mark.parametrize("member", ["proof", "consistency"])
def test_a_changed_proof_hash_is_rejected(evidence: Evidence, member: str) -> None:
    document = copy.deepcopy(evidence.document)
    hashes = document["proof"] if member == "proof" else document["consistency"]["proof"]
    hashes[1] = base64.b64encode(_flip(base64.b64decode(hashes[1]), 31)).decode()
    trusted = _trusted(evidence.early_note)
    findings = independent.verify_proof_document(document, LOG_KEY, trusted=trusted)
    assert findings
    attest_trusted = checkpoint_text_of(evidence.early_note)
    assert attest_verify_document(document, LOG_SIGNER.verifier, trusted=attest_trusted)


def test_a_checkpoint_signed_by_another_key_is_rejected(evidence: Evidence) -> None:
    document = copy.deepcopy(evidence.document)
    document["checkpoint"] = _foreign_note(document["checkpoint"])
    assert OTHER_SIGNER.name == LOG_SIGNER.name  # same name, different key: a different key id
    findings = independent.verify_proof_document(document, LOG_KEY)
    assert findings == ["not signed by the log key attest.test+942e5129"]
    assert attest_verify_document(document, LOG_SIGNER.verifier)


def test_a_forged_signature_under_the_log_key_id_is_rejected(evidence: Evidence) -> None:
    document = copy.deepcopy(evidence.document)
    lines = document["checkpoint"].split("\n")
    number = lines.index(next(x for x in lines if x.startswith("\u2014 attest.test ")))
    encoded = lines[number].rpartition(" ")[2]
    raw = base64.b64decode(encoded)
    forged = base64.b64encode(raw[:4] + _flip(raw[4:], 0)).decode()
    lines[number] = f"\u2014 attest.test {forged}"
    document["checkpoint"] = "\n".join(lines)
    assert independent.verify_proof_document(document, LOG_KEY) == [
        "invalid signature by attest.test+942e5129"
    ]


def test_a_missing_witness_co_signature_is_rejected(evidence: Evidence) -> None:
    other_witness = VerifierKey.parse(str(SignerKey("witness.example", bytes(32)).verifier))
    findings = independent.verify_proof_document(
        evidence.document, LOG_KEY, witness_keys=[other_witness]
    )
    assert findings and "no co-signature" in findings[0]


def test_rollback_and_missing_consistency_are_rejected(evidence: Evidence) -> None:
    newest = _trusted(evidence.ledger.latest_checkpoint(evidence.tenant).note)
    findings = independent.verify_proof_document(evidence.early_document, LOG_KEY, trusted=newest)
    assert findings and findings[0].startswith("rollback")
    document = copy.deepcopy(evidence.document)
    del document["consistency"]
    trusted = _trusted(evidence.early_note)
    findings = independent.verify_proof_document(document, LOG_KEY, trusted=trusted)
    assert findings == ["no consistency proof from the trusted size 3"]


def test_a_fork_is_rejected(evidence: Evidence) -> None:
    early = checkpoint_text_of(evidence.early_note)
    other_root = type(early)(early.origin, early.size, bytes(32))
    forked = _trusted(sign_checkpoint(other_root, LOG_SIGNER))
    findings = independent.verify_proof_document(evidence.document, LOG_KEY, trusted=forked)
    assert findings and findings[0].startswith("fork or rollback")
    findings = independent.verify_bundle(evidence.bundle, LOG_KEY, trusted=forked)
    assert findings == ["fork or rewrite at the trusted size 3"]


def test_a_flipped_byte_in_a_bundle_entry_is_rejected(evidence: Evidence) -> None:
    def flip(record: dict[str, Any]) -> None:
        data = base64.b64decode(record["entry"])
        record["entry"] = base64.b64encode(_flip(data, 20)).decode()

    _rewrite_line(evidence.bundle / "entries.jsonl", 3, flip)
    findings = independent.verify_bundle(evidence.bundle, LOG_KEY)
    assert "checkpoint 5: its root is not the entries' root" in findings
    assert attest_verify_bundle(evidence.bundle, LOG_SIGNER.verifier)


def test_a_deleted_bundle_entry_is_rejected(evidence: Evidence) -> None:
    path = evidence.bundle / "entries.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:4] + lines[5:]) + "\n")
    findings = independent.verify_bundle(evidence.bundle, LOG_KEY)
    assert "entries 4-4 missing" in findings
    assert attest_verify_bundle(evidence.bundle, LOG_SIGNER.verifier)


def test_a_bundle_entry_listed_under_another_id_is_rejected(evidence: Evidence) -> None:
    _rewrite_line(evidence.bundle / "entries.jsonl", 1, lambda r: r.update(id="dec-99"))
    findings = independent.verify_bundle(evidence.bundle, LOG_KEY)
    assert findings == ["entry 1: listed id is not the envelope's id"]
    assert attest_verify_bundle(evidence.bundle, LOG_SIGNER.verifier)


def test_a_bundle_missing_its_newest_checkpoint_line_is_rejected(evidence: Evidence) -> None:
    path = evidence.bundle / "checkpoints.jsonl"
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")
    findings = independent.verify_bundle(evidence.bundle, LOG_KEY)
    assert findings == ["checkpoints.jsonl does not end with the newest checkpoint"]
    assert attest_verify_bundle(evidence.bundle, LOG_SIGNER.verifier)


def test_a_bundle_checkpoint_signed_by_another_key_is_rejected(evidence: Evidence) -> None:
    def replace(record: dict[str, Any]) -> None:
        record["note"] = _foreign_note(record["note"])

    _rewrite_line(evidence.bundle / "checkpoints.jsonl", 0, replace)
    findings = independent.verify_bundle(evidence.bundle, LOG_KEY)
    assert findings == ["checkpoint: not signed by the log key attest.test+942e5129"]
    assert attest_verify_bundle(evidence.bundle, LOG_SIGNER.verifier)

    bundle_json = evidence.bundle / "bundle.json"
    bundle = json.loads(bundle_json.read_text())
    bundle["checkpoint"] = _foreign_note(bundle["checkpoint"])
    bundle_json.write_text(json.dumps(bundle))
    assert independent.verify_bundle(evidence.bundle, LOG_KEY) == [
        "bundle.json: not signed by the log key attest.test+942e5129"
    ]


# -- reference vectors --------------------------------------------------------------------------

GO_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd"
    "ngotpRZb6KE6RyyBwJnAM=\n"
)


def test_the_go_sumdb_note_reference_vector() -> None:
    key = VerifierKey.parse(GO_KEY)
    assert key.name == "PeterNeumann" and key.key_id.hex() == "c74f20a3"
    assert str(key) == GO_KEY
    note = independent.parse_note(GO_TEXT + "\n" + GO_SIGNATURE)
    assert note.text == GO_TEXT
    assert independent.signed_by(note, key)
    unknown = VerifierKey.parse(str(LOG_SIGNER.verifier))
    assert not independent.signed_by(note, unknown)  # another key's signature is ignored
    forged = independent.parse_note(GO_TEXT.replace("problem,", "problem!") + "\n" + GO_SIGNATURE)
    with pytest.raises(Failure, match="invalid signature"):
        independent.signed_by(forged, key)


def _vector_cases(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json"))


def _b64_list(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


@pytest.mark.parametrize("kind", ["inclusion", "consistency"])
def test_the_documented_algorithms_give_every_rfc6962_vector_its_verdict(kind: str) -> None:
    cases = _vector_cases(kind)
    assert cases
    for path in cases:
        probe = json.loads(path.read_text())
        try:
            if kind == "inclusion":
                independent.verify_inclusion(
                    probe["leafIdx"],
                    probe["treeSize"],
                    base64.b64decode(probe["leafHash"] or ""),
                    _b64_list(probe["proof"]),
                    base64.b64decode(probe["root"] or ""),
                )
            else:
                independent.verify_consistency(
                    probe["size1"],
                    probe["size2"],
                    base64.b64decode(probe["root1"] or ""),
                    base64.b64decode(probe["root2"] or ""),
                    _b64_list(probe["proof"]),
                )
            rejected = False
        except Failure:
            rejected = True
        assert rejected == probe["wantErr"], f"{path.relative_to(VECTORS)}: {probe['desc']}"


# -- the worked example of docs/ledger.md is true -----------------------------------------------


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL)


def test_the_worked_example_in_the_document_is_what_attest_produces() -> None:
    text = LEDGER_MD.read_text()
    blocks = _code_blocks(text)
    example = worked_example.build()
    store = example.ledger.store
    tenant = worked_example.TENANT
    assert str(LOG_SIGNER) in text and str(LOG_SIGNER.verifier) in text
    assert LOG_SIGNER.verifier.public_key.hex() in text
    for entry in store.entries(tenant):
        assert entry.data.decode() + "\n" in blocks, f"entry {entry.index} differs"
        assert entry.leaf_hash.hex() in text
    for node, node_hash in worked_example.stored_nodes(example).items():
        assert f"| ({node.level}, {node.index}) | `{node_hash.hex()}` |" in text
    for note in (example.checkpoint3, example.checkpoint5):
        assert note in blocks
        root = checkpoint_text_of(note).root.hex()
        assert root in text
    assert json.dumps(example.proof_document, indent=2) + "\n" in blocks
    (value,) = example.ledger.read_values(tenant, worked_example.PROVEN_ID).values
    assert value.salt.hex() in text


def test_the_worked_example_verifies_from_the_document_alone() -> None:
    text = LEDGER_MD.read_text()
    key = VerifierKey.parse(
        re.search(r"\| verifier key \| `(attest\.test\+[^`]+)` \|", text).group(1)
    )
    blocks = _code_blocks(text)
    document = next(json.loads(b) for b in blocks if b.lstrip().startswith('{\n  "entry"'))
    notes = [b for b in blocks if b.startswith("attest.test/attest/bank-a\n")]
    size3 = next(n for n in notes if n.startswith("attest.test/attest/bank-a\n3\n"))
    trusted = independent.verify_checkpoint(size3, key)
    assert independent.verify_proof_document(document, key, trusted=trusted) == []
    assert independent.verify_proof_document(document, key) == []

    entry = base64.b64decode(document["entry"])
    assert entry.decode() + "\n" in blocks
    salt = re.search(r"salt\n`([0-9a-f]{64})`", text).group(1)
    value = json.loads(re.search(r"value\n`(\{[^`]+\})` \(canonical\)", text).group(1))
    commit = json.loads(entry)["body"]["identifiers"]["commit"]
    digest = independent.sha256(bytes.fromhex(salt) + independent.canonical(value)).hex()
    assert commit == f"sha256:{digest}"
