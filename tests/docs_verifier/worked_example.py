"""The worked example of docs/ledger.md, rebuilt with Attest so the document's bytes stay true.

Everything is fixed: the signing key (``tests.conftest.LOG_SIGNER``), the master key, the clock
and the random bytes (salts and UUIDv7 randomness come from a SHA-256 counter stream). Run this
module to print the values the document shows::

    .venv/bin/python -m tests.docs_verifier.worked_example
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from attest.core.merkle import NodeID
from attest.keyring import Keyring
from attest.service.ledger import Ledger
from attest.store.memory import MemoryStore
from tests.conftest import LOG_SIGNER, MASTER_KEY

HOST = "attest.test"
TENANT = "bank-a"
PROVEN_ID = "dec-0002"
FIRST_BATCH: list[dict[str, Any]] = [
    {
        "type": "model.approval",
        "system": "credit-underwriting",
        "body": {"model_version": "credit-v3", "approved_by": "validator-7"},
    },
    {
        "type": "decision",
        "id": "dec-0001",
        "system": "credit-underwriting",
        "body": {"inputs": {"amount": 1200, "term_months": 24}, "output": {"label": "approve"}},
    },
    {
        "type": "decision",
        "id": PROVEN_ID,
        "system": "credit-underwriting",
        "subject": "applicant-0002",
        "sensitive": ["/identifiers"],
        "body": {
            "identifiers": {"name": "Jane Q. Applicant", "zip": "10001"},
            "inputs": {"amount": 5000, "term_months": 36},
            "output": {"label": "decline", "score": 0.41},
        },
    },
]
SECOND_BATCH: list[dict[str, Any]] = [
    {
        "type": "review",
        "id": "rev-0001",
        "system": "credit-underwriting",
        "body": {"decision_id": PROVEN_ID, "action": "agree", "reviewer": "underwriter-3"},
    },
    {
        "type": "outcome",
        "id": "out-0001",
        "system": "credit-underwriting",
        "body": {"decision_id": "dec-0001", "outcome": "repaid"},
    },
]


def fixed_random() -> Callable[[int], bytes]:
    """Reproducible "random" bytes: SHA-256("attest-example/" || counter), truncated."""
    counter = itertools.count()

    def random(n: int) -> bytes:
        block = hashlib.sha256(f"attest-example/{next(counter)}".encode()).digest()
        return block[:n]

    return random


def fixed_clock() -> Callable[[], datetime]:
    start = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    ticks = itertools.count()
    return lambda: start + timedelta(seconds=next(ticks))


@dataclass
class WorkedExample:
    ledger: Ledger
    checkpoint3: str
    checkpoint5: str
    proof_document: dict[str, Any]


def build() -> WorkedExample:
    ledger = Ledger(
        MemoryStore(),
        Keyring(LOG_SIGNER, MASTER_KEY),
        host=HOST,
        clock=fixed_clock(),
        random=fixed_random(),
    )
    first = ledger.append_json(TENANT, FIRST_BATCH)
    second = ledger.append_json(TENANT, SECOND_BATCH)
    document = ledger.prove(TENANT, PROVEN_ID, since=3).to_json()
    return WorkedExample(ledger, first[0].checkpoint, second[0].checkpoint, document)


def stored_nodes(example: WorkedExample) -> dict[NodeID, bytes]:
    """The perfect nodes of level >= 1 the store holds for the example's log of size 5."""
    wanted = [NodeID(level, i) for level in (1, 2) for i in range(5 >> level)]
    return example.ledger.store.node_hashes(TENANT, wanted)


def main() -> None:
    example = build()
    ledger = example.ledger
    store = ledger.store
    print("private key:", str(LOG_SIGNER))
    print("verifier key:", str(LOG_SIGNER.verifier))
    print("public key hex:", LOG_SIGNER.verifier.public_key.hex())
    material = HOST.encode() + b"\n\x01" + LOG_SIGNER.verifier.public_key
    print("key id input hex:", material.hex())
    print("key id:", hashlib.sha256(material).hexdigest()[:8])
    for entry in store.entries(TENANT):
        print(f"--- entry {entry.index} id {entry.entry_id}")
        print(entry.data.decode())
        print("leaf hash:", entry.leaf_hash.hex())
    reading = ledger.read_values(TENANT, PROVEN_ID)
    for value in reading.values:
        print("vault:", value.pointer, json.dumps(value.value), value.salt.hex(), value.commitment)
    for node, digest in sorted(stored_nodes(example).items()):
        print(f"node ({node.level}, {node.index}): {digest.hex()}")
    print("checkpoint 3:\n" + example.checkpoint3)
    print("checkpoint 5:\n" + example.checkpoint5)
    print(json.dumps(example.proof_document, indent=2))
    for item in example.proof_document["proof"]:
        print("proof", base64.b64decode(item).hex())
    for item in example.proof_document["consistency"]["proof"]:
        print("consistency", base64.b64decode(item).hex())


if __name__ == "__main__":
    main()
