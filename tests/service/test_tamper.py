"""Tampering with the database (or an exported bundle) is caught by audit and offline verification.

Each test builds a real log on SQLite and PostgreSQL (three batches, 30 entries, checkpoints at
sizes 8, 20 and 30, some entries with sensitive fields), changes the database behind the ledger's
back with plain SQL, and then checks that ``audit_tenant`` and ``verify_path`` both report the
change, and say what they found.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from attest.cli.main import main
from attest.core.checkpoint import (
    Checkpoint,
    SignerKey,
    checkpoint_text_of,
    sign_checkpoint,
    verify_checkpoint,
)
from attest.errors import NotFound, VerificationError
from attest.keyring import Keyring
from attest.service.audit import audit_tenant
from attest.service.export import export_log
from attest.service.ledger import Ledger
from attest.store.sql import SqlStore, make_engine
from attest.verifier import verify_path
from tests.conftest import LOG_SIGNER, MASTER_KEY, OTHER_SIGNER

BATCHES = ((0, 8), (8, 20), (20, 30))  # entry numbers of each batch: checkpoints 8, 20, 30
SIZE = 30
LOG_KEY = LOG_SIGNER.verifier
LOG_KEY_TEXT = f"{LOG_KEY.name}+{LOG_KEY.key_id.hex()}"
STRANGER = SignerKey("mallory.example", bytes(range(2, 34)))


def _entry(n: int, prefix: str = "e") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": "decision",
        "id": f"{prefix}{n:02d}",
        "system": "credit-underwriting",
        "body": {"inputs": {"amount": 1000 + n, "term": 24}, "output": {"label": "approve"}},
    }
    if n % 3 == 0:  # every third entry carries personal data, sealed into the vault
        entry |= {"subject": f"applicant-{n}", "sensitive": ["/identifiers"]}
        entry["body"]["identifiers"] = {"name": f"Applicant {n}", "ssn": f"123-45-{n:04d}"}
    return entry


@dataclass
class Log:
    engine: Engine
    store: SqlStore
    ledger: Ledger
    tenant: str
    work: Path

    def sql(self, statement: str, **params: Any) -> list[Any]:
        """Run one statement straight on the database, in its own transaction."""
        with self.engine.begin() as conn:
            result = conn.execute(text(statement), {"tenant": self.tenant, **params})
            return list(result) if result.returns_rows else []

    def audit(self, trusted: Checkpoint | None = None) -> list[str]:
        return audit_tenant(self.store, self.tenant, LOG_KEY, trusted=trusted).findings

    def bundle(self, trusted: Checkpoint | None = None) -> list[str]:
        """Export the log as it now is and verify the bundle offline."""
        out = self.work / f"bundle-{uuid.uuid4().hex[:8]}"
        export_log(self.store, self.tenant, out)
        (report,) = verify_path(out, LOG_KEY, trusted=trusted)
        return report.findings

    def proof(
        self, entry_id: str, trusted: Checkpoint | None = None, since: int | None = None
    ) -> list[str]:
        """Prove one entry as the log now is and verify the proof document offline."""
        path = self.work / f"proof-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(self.ledger.prove(self.tenant, entry_id, since=since).to_json()))
        (report,) = verify_path(path, LOG_KEY, trusted=trusted)
        return report.findings

    def checkpoint(self, size: int) -> Checkpoint:
        stored = self.store.checkpoint(self.tenant, size)
        assert stored is not None
        return verify_checkpoint(stored.note, LOG_KEY)

    def append(self, first: int, stop: int, prefix: str = "e") -> None:
        self.ledger.append_json(self.tenant, [_entry(n, prefix) for n in range(first, stop)])

    def roll_back(self, size: int) -> None:
        """Make the database a self-consistent log of ``size`` entries, as it was at that size."""
        root = self.checkpoint(size).root
        self.sql(
            "DELETE FROM vault_values WHERE tenant = :tenant AND entry_id IN "
            "(SELECT entry_id FROM entries WHERE tenant = :tenant AND idx >= :size)",
            size=size,
        )
        self.sql("DELETE FROM entries WHERE tenant = :tenant AND idx >= :size", size=size)
        self.sql("DELETE FROM checkpoints WHERE tenant = :tenant AND size > :size", size=size)
        for level in range(
            1, 16
        ):  # node (level, idx) covers entries below size iff idx < size>>level
            self.sql(
                "DELETE FROM nodes WHERE tenant = :tenant AND level = :level AND idx >= :first",
                level=level,
                first=size >> level,
            )
        self.sql(
            "UPDATE logs SET size = :size, root = :root WHERE tenant = :tenant",
            size=size,
            root=root,
        )


def _build(
    url: str, tenant: str, keyring: Keyring, clock: Callable[[], datetime], work: Path
) -> Iterator[Log]:
    engine = make_engine(url)
    store = SqlStore(engine)
    log = Log(engine, store, Ledger(store, keyring, host="attest.test", clock=clock), tenant, work)
    for first, stop in BATCHES:
        log.append(first, stop)
    yield log
    engine.dispose()


@pytest.fixture
def log(
    sql_url: str, tenant: str, keyring: Keyring, clock: Callable[[], datetime], tmp_path: Path
) -> Iterator[Log]:
    """A 30-entry log on SQLite and on PostgreSQL."""
    yield from _build(sql_url, tenant, keyring, clock, tmp_path)


@pytest.fixture
def sqlite_log(
    sqlite_url: str, tenant: str, keyring: Keyring, clock: Callable[[], datetime], tmp_path: Path
) -> Iterator[Log]:
    yield from _build(sqlite_url, tenant, keyring, clock, tmp_path)


def _text(findings: list[str]) -> str:
    return "\n".join(findings)


def _has(findings: list[str], *parts: str) -> bool:
    """Whether one finding contains every part."""
    return any(all(part in finding for part in parts) for finding in findings)


# -- a clean log -----------------------------------------------------------------------------------


def test_an_untouched_log_passes_audit_and_offline_verification(log: Log) -> None:
    report = audit_tenant(log.store, log.tenant, LOG_KEY, trusted=log.checkpoint(8))
    assert report.findings == []
    assert (report.entries, report.checkpoints) == (SIZE, 3)
    assert log.bundle(trusted=log.checkpoint(20)) == []
    for n in (0, 3, 12, 29):
        assert log.proof(f"e{n:02d}") == []
    assert log.proof("e05", trusted=log.checkpoint(8), since=8) == []


# -- tampering with the database -------------------------------------------------------------------


def test_a_changed_byte_in_an_entry_is_caught(log: Log) -> None:
    ((data,),) = log.sql("SELECT data FROM entries WHERE tenant = :tenant AND idx = 12")
    changed = bytes(data).replace(b'"amount":1012', b'"amount":1013')
    assert sum(a != b for a, b in zip(data, changed, strict=True)) == 1
    log.sql("UPDATE entries SET data = :data WHERE tenant = :tenant AND idx = 12", data=changed)

    audit = log.audit()
    assert _has(audit, "entry 12: stored leaf hash", "does not match its data")
    assert _has(audit, "checkpoint 20: signed root", "something in entries 8-19 changed")
    assert not _has(audit, "checkpoint 8:")  # the first batch is still intact

    bundle = log.bundle()
    assert _has(bundle, "checkpoint 20: signed root", "something in entries 8-19 changed")
    assert "the entries do not produce the root of the bundle's newest checkpoint" in bundle
    assert _has(log.proof("e12"), "entry 12 is not in the signed tree")


def test_a_deleted_entry_is_caught(log: Log) -> None:
    log.sql("DELETE FROM entries WHERE tenant = :tenant AND idx = 12")

    audit = log.audit()
    assert "entry 12 missing: the next entry found is 13" in audit
    assert _has(audit, "checkpoint 30: signed for 30 entries but only 29 exist")

    bundle = log.bundle()
    assert "entry 12 missing: the next entry found is 13" in bundle
    assert "the bundle's newest checkpoint covers 30 entries, the bundle holds 29" in bundle
    # No proof document can be made for the entry, nor for its neighbour that needs its hash.
    with pytest.raises(NotFound, match="no entry e12"):
        log.ledger.prove(log.tenant, "e12")
    with pytest.raises(VerificationError, match=r"is damaged: node \(0, 12\) needed"):
        log.ledger.prove(log.tenant, "e13")


def test_two_swapped_entries_are_caught(log: Log) -> None:
    rows = {
        r.idx: r
        for r in log.sql(
            "SELECT idx, data, leaf_hash FROM entries WHERE tenant = :tenant AND idx IN (5, 12)"
        )
    }
    for here, there in ((5, 12), (12, 5)):
        log.sql(
            "UPDATE entries SET data = :data, leaf_hash = :leaf "
            "WHERE tenant = :tenant AND idx = :i",
            data=rows[there].data,
            leaf=rows[there].leaf_hash,
            i=here,
        )

    audit = log.audit()
    assert "leaf hash" not in _text(audit)  # each row is consistent: the tree gives it away
    assert _has(audit, "checkpoint 8: signed root", "something in entries 0-7 changed")
    assert _has(audit, "node (1, 2) stored hash", "node (1, 6) stored hash")  # entries 4-5, 12-13

    assert _has(log.bundle(), "checkpoint 8: signed root", "something in entries 0-7 changed")
    assert _has(log.proof("e05"), "entry 5 is not in the signed tree")
    assert _has(log.proof("e12"), "entry 12 is not in the signed tree")


def test_an_edited_node_hash_is_caught(log: Log) -> None:
    ((stored,),) = log.sql(
        "SELECT hash FROM nodes WHERE tenant = :tenant AND level = 1 AND idx = 0"
    )
    edited = bytes([stored[0] ^ 0x01]) + bytes(stored[1:])
    log.sql(
        "UPDATE nodes SET hash = :hash WHERE tenant = :tenant AND level = 1 AND idx = 0",
        hash=edited,
    )

    assert log.audit() == [
        f"node (1, 0) stored hash {edited.hex()} differs from the rebuilt {bytes(stored).hex()}"
    ]
    # The inclusion proof of entry 3 carries node (1, 0), the hash of entries 0-1.
    assert _has(log.proof("e03"), "entry 3 is not in the signed tree")
    # Nodes are derived data: an exported bundle is rebuilt from the entries and stays valid.
    assert log.bundle() == []


@pytest.mark.parametrize("signer", [OTHER_SIGNER, STRANGER], ids=["same-name", "other-name"])
@pytest.mark.parametrize("size", [20, SIZE], ids=["older", "newest"])
def test_a_checkpoint_signed_by_another_key_is_caught(
    log: Log, signer: SignerKey, size: int
) -> None:
    ((note,),) = log.sql(
        "SELECT note FROM checkpoints WHERE tenant = :tenant AND size = :size", size=size
    )
    forged = sign_checkpoint(checkpoint_text_of(note), signer)
    assert forged != note
    log.sql(
        "UPDATE checkpoints SET note = :note WHERE tenant = :tenant AND size = :size",
        note=forged,
        size=size,
    )
    not_signed = f"checkpoint is not signed by the log key {LOG_KEY_TEXT}"

    assert f"checkpoint {size}: {not_signed}" in log.audit()
    if size == SIZE:
        assert log.bundle() == [f"bundle.json: newest checkpoint: {not_signed}"]
        assert log.proof("e12") == [not_signed]
    else:
        assert log.bundle() == [f"checkpoint {size}: {not_signed}"]


# -- rollback and fork -----------------------------------------------------------------------------


def test_a_rollback_is_caught_against_a_trusted_checkpoint(log: Log) -> None:
    newer = log.checkpoint(SIZE)
    log.roll_back(20)

    # The database is now a consistent log of 20 entries: only the earlier checkpoint tells.
    assert log.audit() == []
    assert log.bundle() == []
    rollback = "rollback: a checkpoint of size 30 was trusted before, the log now holds 20 entries"
    assert log.audit(trusted=newer) == [rollback]
    assert log.bundle(trusted=newer) == [rollback]
    assert log.proof("e03", trusted=newer) == [
        "rollback: the log now shows size 20, but a checkpoint of size 30 was seen before"
    ]


@pytest.mark.parametrize("regrown", [SIZE, 35], ids=["same-size", "larger"])
def test_a_fork_is_caught_against_a_trusted_checkpoint(log: Log, regrown: int) -> None:
    newer = log.checkpoint(SIZE)
    log.roll_back(20)
    log.append(20, regrown, prefix="f")  # different entries where entries 20-29 were

    assert log.audit() == []  # a self-consistent, signed, but different history
    fork = (
        f"fork or rewrite: the trusted checkpoint of size 30 has root {newer.root.hex()}, "
        "the entries give "
    )
    assert _has(log.audit(trusted=newer), fork)
    assert _has(log.bundle(trusted=newer), fork)
    if regrown == SIZE:
        assert log.proof("e03", trusted=newer) == ["fork: two different signed roots for size 30"]
    else:
        assert _has(
            log.proof("e03", trusted=newer, since=SIZE),
            "fork or rollback: size 35 is not an extension of the trusted checkpoint of size 30",
        )
        assert log.proof("e03", trusted=newer) == [
            "no consistency proof from the trusted size 30 to size 35"
        ]


def test_the_cli_audit_remembers_the_checkpoint_and_catches_a_later_rollback(
    log: Log, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "signing.key").write_text(f"{LOG_SIGNER}\n")
    monkeypatch.setenv("ATTEST_HOME", str(home))
    monkeypatch.setenv("ATTEST_MASTER_KEY", base64.b64encode(MASTER_KEY).decode())
    monkeypatch.setenv("ATTEST_DATABASE_URL", str(log.engine.url.render_as_string(False)))

    assert main(["audit", "--tenant", log.tenant]) == 0
    assert f"ok     {log.tenant}: 30 entries, 3 checkpoints" in capsys.readouterr().out
    remembered = home / "audit" / f"{log.tenant}.checkpoint"
    assert verify_checkpoint(remembered.read_text(), LOG_KEY).size == SIZE

    log.roll_back(20)
    assert main(["audit", "--tenant", log.tenant]) == 1
    out = capsys.readouterr().out
    assert f"FAILED {log.tenant}: 1 problems" in out
    assert "rollback: a checkpoint of size 30 was trusted before, the log now holds 20" in out
    assert main(["audit", "--tenant", log.tenant, "--no-state"]) == 0  # the state is what tells
    assert verify_checkpoint(remembered.read_text(), LOG_KEY).size == SIZE  # not forgotten


# -- tampering with an exported bundle -------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def _change_entry_byte(bundle: Path) -> None:
    lines = _lines(bundle / "entries.jsonl")
    record = json.loads(lines[12])
    data = base64.b64decode(record["entry"])
    record["entry"] = base64.b64encode(data.replace(b":1012,", b":1013,")).decode()
    assert record["entry"] != json.loads(lines[12])["entry"]
    lines[12] = json.dumps(record) + "\n"
    (bundle / "entries.jsonl").write_text("".join(lines))


def _delete_entry_line(bundle: Path) -> None:
    lines = _lines(bundle / "entries.jsonl")
    del lines[12]
    (bundle / "entries.jsonl").write_text("".join(lines))


def _swap_entry_lines(bundle: Path) -> None:
    lines = _lines(bundle / "entries.jsonl")
    lines[5], lines[6] = lines[6], lines[5]
    (bundle / "entries.jsonl").write_text("".join(lines))


def _swap_entry_contents(bundle: Path) -> None:
    """Swap two entries but keep each line's index, so the order looks right."""
    lines = _lines(bundle / "entries.jsonl")
    five, twelve = json.loads(lines[5]), json.loads(lines[12])
    five["entry"], twelve["entry"] = twelve["entry"], five["entry"]
    lines[5], lines[12] = json.dumps(five) + "\n", json.dumps(twelve) + "\n"
    (bundle / "entries.jsonl").write_text("".join(lines))


def _drop_newest_checkpoint_line(bundle: Path) -> None:
    lines = _lines(bundle / "checkpoints.jsonl")
    assert json.loads(lines[-1])["size"] == SIZE
    (bundle / "checkpoints.jsonl").write_text("".join(lines[:-1]))


def _resign_checkpoint_line(bundle: Path) -> None:
    lines = _lines(bundle / "checkpoints.jsonl")
    record = json.loads(lines[1])
    record["note"] = sign_checkpoint(checkpoint_text_of(record["note"]), OTHER_SIGNER)
    lines[1] = json.dumps(record) + "\n"
    (bundle / "checkpoints.jsonl").write_text("".join(lines))


def _resign_bundle_checkpoint(bundle: Path) -> None:
    document = json.loads((bundle / "bundle.json").read_text())
    document["checkpoint"] = sign_checkpoint(checkpoint_text_of(document["checkpoint"]), STRANGER)
    (bundle / "bundle.json").write_text(json.dumps(document))


BUNDLE_TAMPERING = {
    "entry-byte": (_change_entry_byte, ["checkpoint 20: signed root", "entries 8-19 changed"]),
    "deleted-line": (_delete_entry_line, ["entry 12 missing: the next entry found is 13"]),
    "swapped-lines": (_swap_entry_lines, ["entry 5 appears twice or out of order"]),
    "swapped-entries": (_swap_entry_contents, ["checkpoint 8: signed root", "entries 0-7"]),
    "dropped-checkpoint": (
        _drop_newest_checkpoint_line,
        ["checkpoints.jsonl does not end with the bundle's newest checkpoint (size 30)"],
    ),
    "checkpoint-line-other-key": (
        _resign_checkpoint_line,
        [f"checkpoint 20: checkpoint is not signed by the log key {LOG_KEY_TEXT}"],
    ),
    "bundle-checkpoint-other-key": (
        _resign_bundle_checkpoint,
        [f"bundle.json: newest checkpoint: checkpoint is not signed by the log key {LOG_KEY_TEXT}"],
    ),
}


@pytest.mark.parametrize("name", sorted(BUNDLE_TAMPERING))
def test_a_tampered_bundle_fails_verification(sqlite_log: Log, tmp_path: Path, name: str) -> None:
    tamper, expected = BUNDLE_TAMPERING[name]
    bundle = tmp_path / "bundle"
    export_log(sqlite_log.store, sqlite_log.tenant, bundle)
    assert verify_path(bundle, LOG_KEY)[0].findings == []
    tamper(bundle)
    (report,) = verify_path(bundle, LOG_KEY)
    assert _has(report.findings, *expected), report.findings


def test_an_entry_stored_under_another_id_is_caught(log: Log) -> None:
    log.sql("UPDATE entries SET entry_id = 'loan-42' WHERE tenant = :tenant AND idx = 7")
    audit = log.audit()
    assert _has(audit, "entry 7: listed under id 'loan-42' but its envelope says otherwise")
