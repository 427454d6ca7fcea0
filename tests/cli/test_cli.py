"""The ``attest`` command end to end: in process through ``main`` and once as a real process."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from attest.cli.main import main
from attest.core.checkpoint import SignerKey, VerifierKey, cosign, verify_checkpoint
from attest.core.records import COMMITMENT_PREFIX

TENANT = "first-community-bank"
PERSON = {"name": "Jane Q. Applicant", "ssn": "987-65-4321"}
PERSONAL_VALUES = tuple(PERSON.values())
WITNESS = SignerKey("witness.example", bytes(range(40, 72)))
UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ATTEST_HOME in a temporary directory, SQLite, and no other ATTEST_* setting."""
    for name in list(os.environ):
        if name.startswith("ATTEST_") and not name.startswith("ATTEST_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ATTEST_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def attest(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``attest ARGS`` in this process; ``stdin`` is the text the command reads."""

    def run(*args: str | Path, stdin: str | None = None) -> Result:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def initialised(attest: Run, home: Path) -> Path:
    assert attest("init").code == 0
    return home


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry) + "\n"


def _decision(entry_id: str | None = None, amount: int = 1200) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": "decision",
        "system": "credit-underwriting",
        "body": {"inputs": {"amount": amount, "term": 24}, "output": {"label": "approve"}},
    }
    if entry_id:
        entry["id"] = entry_id
    return entry


def _personal(entry_id: str, subject: str = "applicant-7") -> dict[str, Any]:
    entry = _decision(entry_id) | {"subject": subject, "sensitive": ["/identifiers"]}
    entry["body"]["identifiers"] = dict(PERSON)
    return entry


def _append(attest: Run, tmp_path: Path, *entries: dict[str, Any], tenant: str = TENANT) -> None:
    source = tmp_path / f"batch-{len(list(tmp_path.glob('batch-*')))}.jsonl"
    source.write_text("".join(_line(e) for e in entries))
    result = attest("log", "append", "--tenant", tenant, source)
    assert result.code == 0, result.err


def _checkpoint_note(attest: Run, tenant: str = TENANT) -> str:
    result = attest("log", "checkpoint", "--tenant", tenant)
    assert result.code == 0, result.err
    return result.out


def _prove(attest: Run, tmp_path: Path, entry_id: str, tenant: str = TENANT) -> Path:
    result = attest("log", "prove", "--tenant", tenant, "--entry", entry_id)
    assert result.code == 0, result.err
    path = tmp_path / f"proof-{entry_id}-{len(list(tmp_path.glob('proof-*')))}.json"
    path.write_text(result.out)
    return path


def _no_personal_data(result: Result) -> None:
    for value in PERSONAL_VALUES:
        assert value not in result.out and value not in result.err


# -- init ------------------------------------------------------------------------------------------


def test_init_writes_private_keys_and_prints_the_verifier_key(attest: Run, home: Path) -> None:
    first = attest("init")
    assert first.code == 0, first.err
    verifier = VerifierKey.from_string(first.out)
    assert first.out.strip() == str(verifier)
    assert (home / "verifier.key").read_text().strip() == str(verifier)
    for secret in ("signing.key", "master.key"):
        assert stat.S_IMODE((home / secret).stat().st_mode) == 0o600, secret
        assert f"wrote {home / secret}" in first.err
    keys = {name: (home / name).read_text() for name in ("signing.key", "master.key")}

    again = attest("init")
    assert again.code == 0
    assert again.out == first.out
    assert {name: (home / name).read_text() for name in keys} == keys
    assert "signing.key" not in again.err  # kept, not rewritten


# -- log append ------------------------------------------------------------------------------------


def test_append_from_a_file_creates_the_log_and_assigns_missing_ids(
    attest: Run, initialised: Path, tmp_path: Path
) -> None:
    assert attest("log", "checkpoint", "--tenant", TENANT).code == 1  # no log yet
    source = tmp_path / "entries.jsonl"
    source.write_text(
        _line(_decision("loan-1")) + "\n" + _line(_decision()) + _line(_personal("p"))
    )
    result = attest("log", "append", "--tenant", TENANT, "--receipts", source)
    assert result.code == 0, result.err
    receipts = [json.loads(line) for line in result.out.splitlines()]
    assert [(r["index"], r["created"], r["tree_size"]) for r in receipts] == [
        (0, True, 3),
        (1, True, 3),
        (2, True, 3),
    ]
    assert receipts[0]["id"] == "loan-1" and receipts[2]["id"] == "p"
    assert UUID7.fullmatch(receipts[1]["id"])
    assert f"appended 3 entries to {TENANT} (3 new); tree size 3" in result.err
    key = VerifierKey.from_string((initialised / "verifier.key").read_text())
    assert verify_checkpoint(_checkpoint_note(attest), key).size == 3


def test_append_reads_stdin_and_a_retry_adds_nothing(attest: Run, initialised: Path) -> None:
    lines = _line(_decision("a")) + _line(_personal("p"))
    first = attest("log", "append", "--tenant", TENANT, stdin=lines)
    assert first.code == 0, first.err
    assert f"appended 2 entries to {TENANT} (2 new); tree size 2" in first.out
    again = attest("log", "append", "--tenant", TENANT, stdin=lines + _line(_decision("b")))
    assert again.code == 0, again.err
    assert f"appended 3 entries to {TENANT} (1 new); tree size 3" in again.out
    _no_personal_data(first)


BAD_LINES: dict[str, tuple[str, list[str]]] = {
    "malformed-json": (
        '{"type": "decision", "body": {"inputs": {}}\n',
        ["line 3: malformed JSON: Expecting ',' delimiter at column"],
    ),
    "nan": ('{"type": "decision", "body": {"score": NaN}}\n', ["line 3: NaN is not allowed"]),
    "duplicate-key": (
        '{"type": "decision", "body": {"score": 1, "score": 2}}\n',
        ["line 3: duplicate object key 'score'"],
    ),
    "sensitive-without-subject": (
        _line({"type": "decision", "sensitive": ["/ssn"], "body": {"ssn": PERSON["ssn"]}}),
        ["line 3: field 'sensitive' needs a 'subject'"],
    ),
    "oversized": (
        _line(_decision("big") | {"body": {"notes": "x" * 500}}),
        ["line 3 (id big): entry is", "bytes, over the limit of 400"],
    ),
    "unencodable-sensitive-value": (
        _line(
            _personal("bad-name")
            | {"body": {"identifiers": {"name": PERSON["name"] + "\ud800", "ssn": PERSON["ssn"]}}}
        ),
        [
            "line 3 (id bad-name): field 'body/identifiers/name': string is not valid Unicode",
        ],
    ),
    "bad-type": (_line({"type": "Decision!", "body": {}}), ["line 3: field 'type'"]),
    "big-integer": (
        _line(_decision("odd", amount=2**53 + 1)),
        ["line 3 (id odd): field 'body/inputs/amount'", "no exact JSON number form"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_a_batch_with_one_bad_line_stores_nothing(
    attest: Run, initialised: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.setenv("ATTEST_MAX_ENTRY_BYTES", "400")
    _append(attest, tmp_path, _decision("first"))
    before = _checkpoint_note(attest)
    bad_line, expected = BAD_LINES[case]
    batch = _line(_personal("good-1")) + _line(_decision("good-2")) + bad_line

    for tenant in (TENANT, "fresh-bank"):
        result = attest("log", "append", "--tenant", tenant, stdin=batch)
        assert result.code == 1
        assert result.out == ""
        assert result.err.startswith("error: ") and result.err.count("\n") == 1
        for part in expected:
            assert part in result.err, result.err
        _no_personal_data(result)

    assert _checkpoint_note(attest) == before
    missing = attest("log", "prove", "--tenant", TENANT, "--entry", "good-1")
    assert (missing.code, missing.err) == (1, f"error: tenant {TENANT} has no entry good-1\n")
    unknown = attest("log", "checkpoint", "--tenant", "fresh-bank")
    assert (unknown.code, unknown.err) == (
        1,
        "error: unknown tenant fresh-bank: it has no log yet\n",
    )


def test_an_unrepresentable_sensitive_number_is_not_echoed(attest: Run, initialised: Path) -> None:
    account = 123456789012345678901  # a national id or account number sent as a JSON number
    entry = _decision("acct") | {"subject": "applicant-9", "sensitive": ["/account"]}
    entry["body"]["account"] = account
    result = attest("log", "append", "--tenant", TENANT, stdin=_line(entry))
    assert result.code == 1
    assert "line 1 (id acct): field 'body/account'" in result.err
    assert str(account) not in result.err


# -- checkpoint, prove, verify ---------------------------------------------------------------------


def test_checkpoint_prints_the_signed_note(attest: Run, initialised: Path, tmp_path: Path) -> None:
    _append(attest, tmp_path, _decision("a"), _decision("b"))
    note = _checkpoint_note(attest)
    key = VerifierKey.from_string((initialised / "verifier.key").read_text())
    checkpoint = verify_checkpoint(note, key)
    assert (checkpoint.origin, checkpoint.size) == (f"localhost/attest/{TENANT}", 2)
    assert note.endswith("\n") and "\n\n\u2014 localhost " in note


def test_prove_prints_one_proof_document(attest: Run, initialised: Path, tmp_path: Path) -> None:
    _append(attest, tmp_path, _decision("a"), _personal("p"), _decision("c"))
    result = attest("log", "prove", "--tenant", TENANT, "--entry", "p")
    assert result.code == 0, result.err
    document = json.loads(result.out)  # exactly one JSON document, nothing else on stdout
    assert set(document) == {"entry", "index", "tree_size", "proof", "checkpoint"}
    assert (document["index"], document["tree_size"]) == (1, 3)
    assert len(document["proof"]) == 2
    assert document["checkpoint"] == _checkpoint_note(attest)
    envelope = json.loads(base64.b64decode(document["entry"]))
    assert envelope["id"] == "p" and envelope["subject"] == "applicant-7"
    assert envelope["body"]["identifiers"]["commit"].startswith(COMMITMENT_PREFIX)
    _no_personal_data(result)  # only the commitment is public


def test_verify_exit_codes(attest: Run, initialised: Path, tmp_path: Path) -> None:
    _append(attest, tmp_path, _decision("a"), _decision("b"), _decision("c"))
    proof = _prove(attest, tmp_path, "b")
    key_file = initialised / "verifier.key"

    valid = attest("verify", proof, "--key", key_file)
    assert (valid.code, valid.out) == (0, f"ok      {proof}\n1 valid, 0 invalid\n")
    inline = attest("verify", proof, "--key", key_file.read_text().strip())
    assert inline.code == 0

    document = json.loads(proof.read_text())
    document["entry"] = base64.b64encode(
        base64.b64decode(document["entry"]).replace(b'"amount":1200', b'"amount":9200')
    ).decode()
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    failed = attest("verify", tampered, "--key", key_file)
    assert failed.code == 1
    assert f"INVALID {tampered}\n  - entry 1 is not in the signed tree: root mismatch" in failed.out
    assert failed.out.endswith("0 valid, 1 invalid\n")

    stranger = str(SignerKey("localhost", bytes(range(7, 39))).verifier)
    wrong_key = attest("verify", proof, "--key", stranger)
    assert wrong_key.code == 1
    assert "checkpoint is not signed by the log key localhost+" in wrong_key.out

    missing = attest("verify", tmp_path / "nope.json", "--key", key_file)
    assert (missing.code, missing.err) == (
        2,
        f"error: {tmp_path / 'nope.json'}: no such file or directory\n",
    )
    bad_key_file = tmp_path / "bad.key"
    bad_key_file.write_text("not a key\n")
    bad_key = attest("verify", proof, "--key", bad_key_file)
    assert bad_key.code == 2
    assert bad_key.err.startswith("error: --key: verifier key must read <name>+")
    no_key = attest("verify", proof)
    assert no_key.code == 2
    assert "--key" in no_key.err


def test_verify_checks_an_exported_bundle(attest: Run, initialised: Path, tmp_path: Path) -> None:
    _append(attest, tmp_path, _decision("a"), _personal("p"))
    _append(attest, tmp_path, _decision("c"))
    bundle = tmp_path / "bundle"
    exported = attest("log", "export", "--tenant", TENANT, "--out", bundle)
    assert (exported.code, exported.out) == (0, f"exported 3 entries of {TENANT} to {bundle}\n")
    key_file = initialised / "verifier.key"
    assert (
        attest("verify", bundle, "--key", key_file).out == f"ok      {bundle}\n1 valid, 0 invalid\n"
    )

    lines = (bundle / "entries.jsonl").read_text().splitlines(keepends=True)
    (bundle / "entries.jsonl").write_text(lines[0] + lines[2])
    result = attest("verify", bundle, "--key", key_file)
    assert result.code == 1
    assert "  - entry 1 missing: the next entry found is 2\n" in result.out


def test_unknown_tenants_are_named(attest: Run, initialised: Path) -> None:
    for args in (("log", "checkpoint"), ("log", "prove", "--entry", "x")):
        result = attest(*args, "--tenant", "nobody")
        assert (result.code, result.out) == (1, "")
        assert result.err == "error: unknown tenant nobody: it has no log yet\n"
    bad_name = attest("log", "checkpoint", "--tenant", "No Such Bank")
    assert bad_name.code == 1
    assert "tenant 'No Such Bank' must be 1-63 lowercase letters" in bad_name.err


# -- audit -----------------------------------------------------------------------------------------


def _database(home: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(home / "attest.db"))


def test_audit_passes_a_clean_database_and_fails_a_changed_byte(
    attest: Run, initialised: Path, tmp_path: Path
) -> None:
    _append(attest, tmp_path, _decision("a"), _personal("p"), _decision("c"))
    clean = attest("audit")
    assert (clean.code, clean.out) == (0, f"ok     {TENANT}: 3 entries, 1 checkpoints\n")

    with _database(initialised) as db, db:
        (data,) = db.execute("SELECT data FROM entries WHERE idx = 2").fetchone()
        changed = data.replace(b'"amount":1200', b'"amount":1300')
        db.execute("UPDATE entries SET data = ? WHERE idx = 2", (changed,))
    result = attest("audit")
    assert result.code == 1
    assert result.out.startswith(f"FAILED {TENANT}: ")
    assert "  - entry 2: stored leaf hash " in result.out
    assert "checkpoint 3: signed root" in result.out


def test_audit_state_catches_a_rollback_without_trusted(
    attest: Run, initialised: Path, tmp_path: Path
) -> None:
    _append(attest, tmp_path, _decision("a"), _personal("p"))
    assert attest("audit").code == 0
    _append(attest, tmp_path, _decision("c"), _decision("d"), _decision("e"))
    assert attest("audit").code == 0  # the remembered checkpoint moves forward with the log
    remembered = initialised / "audit" / f"{TENANT}.checkpoint"
    assert remembered.read_text() == _checkpoint_note(attest)

    with _database(initialised) as db, db:  # back to 2 entries, consistently
        (root,) = db.execute("SELECT root FROM checkpoints WHERE size = 2").fetchone()
        db.execute("DELETE FROM entries WHERE idx >= 2")
        db.execute("DELETE FROM nodes WHERE NOT (level = 1 AND idx = 0)")
        db.execute("DELETE FROM checkpoints WHERE size > 2")
        db.execute("UPDATE logs SET size = 2, root = ?", (root,))
    assert attest("audit", "--no-state").code == 0  # the database alone looks fine

    result = attest("audit")
    assert result.code == 1
    assert f"FAILED {TENANT}: 1 problems\n" in result.out
    assert "rollback: a checkpoint of size 5 was trusted before, the log now holds 2" in result.out


# -- the vault -------------------------------------------------------------------------------------


def test_erasure_keeps_proofs_valid_and_records_when_and_why(
    attest: Run, initialised: Path, tmp_path: Path
) -> None:
    _append(attest, tmp_path, _decision("a"), _personal("p"))
    shown = attest("vault", "show", "--tenant", TENANT, "--entry", "p")
    assert shown.code == 0
    assert json.loads(shown.out)["values"][0]["value"] == PERSON  # readable before the erasure

    reason = "GDPR Art. 17 request 2026-118"
    erased = attest("erase", "--tenant", TENANT, "--subject", "applicant-7", "--reason", reason)
    assert erased.code == 0, erased.err
    assert erased.out.startswith(f"erased subject applicant-7 of {TENANT}: erasure entry ")

    after = attest("vault", "show", "--tenant", TENANT, "--entry", "p")
    assert after.code == 0
    document = json.loads(after.out)
    assert "values" not in document
    assert document["erased"]["reason"] == reason
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", document["erased"]["at"])
    _no_personal_data(after)

    proof = _prove(attest, tmp_path, "p")
    verified = attest("verify", proof, "--key", initialised / "verifier.key")
    assert verified.code == 0, verified.out


# -- witnesses -------------------------------------------------------------------------------------


def test_a_kept_cosignature_is_required_by_verify_witness_key(
    attest: Run, initialised: Path, tmp_path: Path
) -> None:
    _append(attest, tmp_path, _decision("a"), _decision("b"))
    key_file = initialised / "verifier.key"
    witness_key = str(WITNESS.verifier)
    unsigned = _prove(attest, tmp_path, "a")
    assert attest("verify", unsigned, "--key", key_file).code == 0

    cosigned = tmp_path / "cosigned.note"
    cosigned.write_text(cosign(_checkpoint_note(attest), WITNESS))
    unchecked = attest("log", "cosign", "--tenant", TENANT, cosigned)
    assert unchecked.code == 2  # --witness-key is required: nothing unchecked is kept
    impostor = tmp_path / "impostor.note"
    impostor.write_text(
        cosign(_checkpoint_note(attest), SignerKey("witness.example", bytes([9]) * 32))
    )
    refused = attest("log", "cosign", "--tenant", TENANT, impostor, "--witness-key", witness_key)
    assert refused.code == 1 and "no co-signature by witness.example" in refused.err
    kept = attest("log", "cosign", "--tenant", TENANT, cosigned, "--witness-key", witness_key)
    assert kept.code == 0, kept.err
    assert kept.out == cosigned.read_text() == _checkpoint_note(attest)

    proof = _prove(attest, tmp_path, "a")
    assert attest("verify", proof, "--key", key_file, "--witness-key", witness_key).code == 0
    lacking = attest("verify", unsigned, "--key", key_file, "--witness-key", witness_key)
    assert lacking.code == 1
    assert f"checkpoint has no co-signature by {WITNESS.name}+" in lacking.out
    other = str(SignerKey("witness.example", bytes(range(80, 112))).verifier)
    assert attest("verify", proof, "--key", key_file, "--witness-key", other).code == 1

    _append(attest, tmp_path, _decision("c"))  # a new checkpoint, not co-signed yet
    newer = _prove(attest, tmp_path, "a")
    assert attest("verify", newer, "--key", key_file, "--witness-key", witness_key).code == 1


# -- as a real process -----------------------------------------------------------------------------


def _command() -> list[str]:
    script = Path(sys.executable).parent / "attest"
    return [str(script)] if script.exists() else [sys.executable, "-m", "attest.cli.main"]


def test_the_installed_command_exits_0_1_and_2(
    attest: Run, initialised: Path, tmp_path: Path
) -> None:
    _append(attest, tmp_path, _decision("a"), _personal("p"))
    proof = _prove(attest, tmp_path, "p")
    tampered = tmp_path / "tampered.json"
    tampered.write_text(proof.read_text().replace('"index": 1', '"index": 0'))
    key = str(initialised / "verifier.key")

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_command(), *args], input=stdin, capture_output=True, text=True, timeout=60
        )

    valid = run("verify", str(proof), "--key", key)
    assert (valid.returncode, valid.stdout) == (0, f"ok      {proof}\n1 valid, 0 invalid\n")
    invalid = run("verify", str(tampered), "--key", key)
    assert invalid.returncode == 1
    assert "entry 0 is not in the signed tree" in invalid.stdout
    usage = run("verify", str(tmp_path / "nope.json"), "--key", key)
    assert usage.returncode == 2
    assert "no such file or directory" in usage.stderr
    bad_input = run("log", "append", "--tenant", TENANT, stdin=_line(_personal("q")) + "{\n")
    assert bad_input.returncode == 1
    assert bad_input.stderr.startswith("error: line 2: malformed JSON")
    assert not any(v in bad_input.stderr + bad_input.stdout for v in PERSONAL_VALUES)


def test_audit_reports_a_tenant_whose_whole_log_vanished(attest: Run, initialised: Path) -> None:
    import sqlite3

    attest("log", "append", "--tenant", TENANT, stdin=_line(_decision("a")))
    assert attest("audit").code == 0
    database = sqlite3.connect(initialised / "attest.db")
    with database:
        for table in ("checkpoints", "nodes", "entries", "logs"):
            database.execute(f"DELETE FROM {table} WHERE tenant = ?", (TENANT,))
    database.close()
    result = attest("audit")
    assert result.code == 1
    assert "audited before at size 1 and no longer exists" in result.out


def test_bias_policy_shows_the_defaults_then_logs_a_change(attest: Run, initialised: Path) -> None:
    from attest.cli.context import runtime
    from attest.core.inventory import Tenant
    from tests.service.test_inventory_decisions import SYSTEM

    with runtime() as rt:
        rt.inventory.register_tenant(Tenant("bank-cli", "First Community Bank"))
        rt.inventory.register_system("bank-cli", SYSTEM)
    where = ("--tenant", "bank-cli", "--system", SYSTEM.id)
    shown = attest("bias", "policy", *where)
    assert shown.code == 0, shown.err
    assert "air_threshold: 0.8\n" in shown.out and "source: defaults" in shown.out

    changed = attest(
        "bias", "policy", *where, "--alpha", "0.01", "--note", "stricter", "--as", "cco"
    )
    assert changed.code == 0, changed.err
    assert "alpha: 0.01\n" in changed.out and "air_threshold: 0.8\n" in changed.out
    assert "source: entry" in changed.out
    with runtime() as rt:
        standing = rt.bias.policy("bank-cli", SYSTEM.id)
    assert standing["by"] == "cco" and standing["note"] == "stricter"

    refused = attest("bias", "policy", *where, "--alpha", "2")
    assert refused.code != 0 and "field 'alpha'" in refused.err


def test_monitor_profile_from_a_file_then_a_run_of_a_shifted_period(
    attest: Run, initialised: Path, tmp_path: Path
) -> None:
    import random

    from attest.cli.context import runtime
    from attest.core.inventory import Tenant
    from tests.service.test_inventory_decisions import ARTIFACT, SYSTEM, _version
    from tests.service.test_monitoring import _applicant, _decisions

    rng = random.Random(3)
    reference = [_applicant(rng) for _ in range(200)]
    shifted = [_applicant(rng, shift=1.8) for _ in range(150)]
    with runtime() as rt:
        rt.inventory.register_tenant(Tenant("bank-mon", "First Community Bank"))
        rt.inventory.register_system("bank-mon", SYSTEM)
        rt.inventory.register_model_version("bank-mon", _version(), ARTIFACT)
        rt.decisions.ingest("bank-mon", _decisions(shifted, "d-"), 1000)
    data = tmp_path / "validation.csv"
    lines = ["amount,term,purpose,score,outcome"] + [
        f"{r['inputs']['amount']},{r['inputs']['term']},{r['inputs']['purpose']},"
        f"{r['score']},{r['outcome']}"
        for r in reference
    ]
    data.write_text("\n".join(lines) + "\n")
    where = ("--tenant", "bank-mon", "--system", SYSTEM.id, "--version", "v1")

    made = attest("monitor", "profile", *where, "--file", data, "--good-outcome", "good")
    assert made.code == 0, made.err
    assert "200 reference rows" in made.out and "amount: 11 bins" in made.out

    today = datetime.now(UTC).date().isoformat()
    ran = attest("monitor", "run", *where, "--from", "2020-01-01", "--to", today)
    assert ran.code == 1, ran.err  # red: the amounts moved
    assert re.search(r"amount\s+CSI=\d\.\d{4}\s+red", ran.out)
    assert "score auc" in ran.out and "not_measurable" in ran.out  # no outcomes yet
    assert "alert: csi of amount is red" in ran.out

    bad = tmp_path / "bad.csv"
    bad.write_text("amount,term,score\n1,12,0.5\n")
    refused = attest("monitor", "profile", *where, "--file", bad, "--good-outcome", "good")
    assert refused.code != 0 and "no column 'purpose'" in refused.err


def test_monitor_plan_then_runs_of_its_periods_and_the_due_ones(
    attest: Run, initialised: Path
) -> None:
    import random

    from attest.cli.context import runtime
    from attest.core.inventory import Tenant
    from attest.core.reference_profile import Outcomes, ReferenceRow
    from tests.service.test_inventory_decisions import ARTIFACT, SYSTEM, _version
    from tests.service.test_monitoring import _applicant, _decisions

    rng = random.Random(4)
    decided = _decisions([_applicant(rng, shift=1.8) for _ in range(120)], "d-")
    for number, decision in enumerate(decided):
        decision["decided_at"] = f"2026-0{7 + number % 3}-1{number % 10}T12:00:00Z"
    with runtime() as rt:
        rt.inventory.register_tenant(Tenant("bank-plan", "First Community Bank"))
        rt.inventory.register_system("bank-plan", SYSTEM)
        rt.inventory.register_model_version("bank-plan", _version("v1", "deployed"), ARTIFACT)
        rt.monitoring.set_profile(
            "bank-plan",
            SYSTEM.id,
            "v1",
            [
                ReferenceRow(r["inputs"], r["score"], r["outcome"])
                for r in (_applicant(rng) for _ in range(200))
            ],
            outcomes=Outcomes(("good",)),
            source={"kind": "file", "name": "validation.csv"},
            by="vera",
        )
        rt.decisions.ingest("bank-plan", decided, 1000)
    where = ("--tenant", "bank-plan", "--system", SYSTEM.id)

    missing = attest("monitor", "plan", *where, "--version", "v1", "--show")
    assert missing.code == 1 and "no monitoring plan" in missing.err
    refused = attest("monitor", "plan", *where, "--version", "v1", "--threshold", "csi=0.3,0.1")
    assert refused.code != 0 and "thresholds.csi.red" in refused.err
    made = attest(
        "monitor",
        "plan",
        *where,
        "--version",
        "v1",
        "--cadence",
        "monthly",
        "--start",
        "2026-07-01",
        "--threshold",
        "csi=0.2,0.5",
        "--owner",
        "Model risk",
    )
    assert made.code == 0, made.err
    assert "cadence: monthly, from 2026-07-01" in made.out
    assert re.search(r"csi\s+amber 0.2, red 0.5 \(higher is worse\)", made.out)
    assert re.search(r"auc\s+amber 0.7, red 0.6 \(lower is worse\)", made.out)
    assert "owner: Model risk" in made.out

    ran = attest("monitor", "run", *where, "--period", "2026-08", "--json")
    document = json.loads(ran.out)
    assert document["version"] == "v1" and document["period"]["label"] == "2026-08"
    assert document["decisions"] == 40 and document["thresholds"]["csi"]["red"] == 0.5
    assert [v["month"] for v in document["vintages"]] == ["2026-07", "2026-08"]
    assert ran.code == (1 if document["status"] == "red" else 0)
    bad = attest("monitor", "run", *where, "--period", "2026-8")
    assert bad.code != 0 and "--period" in bad.err

    due = attest("monitor", "due", "--tenant", "bank-plan")
    assert due.code in (0, 1), due.err
    periods = [p for p, _ in re.findall(r"credit-underwriting v1 (\S+): (\w+)", due.out)]
    assert periods[:2] == ["2026-07", "2026-09"]  # August ran already; after, as time goes
    assert "2026-08" not in periods
    again = attest("monitor", "due", "--tenant", "bank-plan")
    assert again.code == 0 and again.out == ""
