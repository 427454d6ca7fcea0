"""The examination package on SQLite and PostgreSQL: it verifies, and tampering is named."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from attest.cli.main import main
from attest.core.checkpoint import checkpoint_text_of, sign_checkpoint
from attest.core.inventory import AISystem, ModelVersion, Tenant
from attest.core.package import ISSUED_FILE, MANIFEST_FILE, PROOF_KINDS, Period
from attest.core.records import Submission
from attest.errors import NotFound
from attest.keyring import Keyring
from attest.service.decisions import Decisions
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger
from attest.service.package import PackageSummary, issue_package
from attest.store.sql import SqlStore, make_engine
from attest.verifier import verify_path
from tests.conftest import LOG_SIGNER, MASTER_KEY, OTHER_SIGNER

SYSTEM = "credit-underwriting"
DAY = date(2026, 11, 27)
ARTIFACT = b"model bytes (skops in real life)"


def _system(system_id: str) -> AISystem:
    return AISystem.parse(
        {
            "id": system_id,
            "name": "Credit underwriting",
            "purpose": "Recommend approve or decline for consumer loans",
            "domain": "credit",
            "jurisdictions": ["US-CO"],
            "consequential": True,
            "owner": "Model risk",
            "lifecycle": "deployed",
            "risk_tier": "high",
            "risk_rationale": "Credit decisions are consequential",
        }
    )


def _version(system_id: str) -> ModelVersion:
    return ModelVersion.parse(
        {
            "system": system_id,
            "version": "v1",
            "artifact_sha256": hashlib.sha256(ARTIFACT).hexdigest(),
            "artifact_format": "skops",
            "framework": "scikit-learn",
            "built_by": "ml-team",
            "lifecycle": "approved",
            "features": [{"name": "amount", "type": "number", "minimum": 0}],
        }
    )


def _decision(decision_id: str, system: str = SYSTEM) -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "system": system,
        "model_version": "v1",
        "subject": f"applicant-{decision_id}",
        "inputs": {"amount": 5000},
        "protected": {"age": 44},
        "output": {"label": "approve", "score": 0.8},
        "adverse": False,
    }


class Clock:
    """A clock the test moves: one microsecond per reading, days when told."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def next_day(self) -> None:
        self.now += timedelta(days=1)


@dataclass
class Logged:
    ledger: Ledger
    store: SqlStore
    tenant: str
    clock: Clock

    def package(self, out: Path, first: date = DAY, last: date = DAY) -> PackageSummary:
        period = Period.of_days(first, last)
        return issue_package(self.ledger, self.store, self.tenant, SYSTEM, period, out)


@pytest.fixture
def logged(sql_url: str, tenant: str) -> Iterator[Logged]:
    """A log with decisions the day before, on ``DAY`` (with outcomes, a review, an erasure and a
    decision of another system) and the day after."""
    engine = make_engine(sql_url)
    store = SqlStore(engine)
    clock = Clock()
    ledger = Ledger(store, Keyring(LOG_SIGNER, MASTER_KEY), host="attest.test", clock=clock)
    inventory = Inventory(ledger, store)
    decisions = Decisions(ledger, store, inventory)
    inventory.register_tenant(Tenant(tenant, "First Community Bank"))
    for system_id in (SYSTEM, "fraud-screening"):
        inventory.register_system(tenant, _system(system_id))
        inventory.register_model_version(tenant, _version(system_id), ARTIFACT)
    inventory.change_lifecycle(tenant, SYSTEM, "v1", "deployed", by="validator", reason="passed")
    decisions.ingest(tenant, [_decision("before")], 10)
    profile = {"profile": {"system": SYSTEM, "version": "v1", "features": {}}, "by": "validator"}
    plan = {"plan": {"system": SYSTEM, "version": "v1", "cadence": "quarterly"}, "by": "mrm"}
    ledger.append(
        tenant,
        [
            Submission("monitoring.profile", profile, id="profile-1", system=SYSTEM),
            Submission("monitoring.plan", plan, id="plan-1", system=SYSTEM),
        ],
    )
    clock.next_day()
    decisions.ingest(tenant, [_decision(f"d{n}") for n in (1, 2, 3)], 10)
    decisions.ingest(tenant, [_decision("d4"), _decision("f1", "fraud-screening")], 10)
    decisions.record_outcomes(
        tenant,
        [{"decision_id": "d1", "outcome": "repaid"}, {"decision_id": "f1", "outcome": 0}],
        10,
    )
    ledger.append(
        tenant,
        [Submission("review", {"decision_id": "d2", "action": "agree"}, id="rev-1", system=SYSTEM)],
    )
    run = {"system": SYSTEM, "version": "v1", "status": "amber", "alerts": [], "by": "mrm"}
    policy = {"policy": {"air_threshold": 0.85, "alpha": 0.05, "min_n_eff": 30.0}, "by": "cco"}
    ledger.append(
        tenant,
        [
            Submission("monitoring.run", run, id="mon-1", system=SYSTEM),
            Submission("bias.policy", policy, id="policy-1", system=SYSTEM),
        ],
    )
    bias_body = {
        "config": {"attributes": ["age_band"], "from": None, "to": None},
        "verdict": "flag",
        "by": "compliance",
        "results": [],
    }
    ledger.append(
        tenant,
        [
            Submission("bias.run", bias_body, id="bias-1", system=SYSTEM),
            Submission("bias.run", bias_body, id="bias-other", system="fraud-screening"),
        ],
    )
    review = {"run_id": "bias-1", "review": "finding", "by": "lead", "note": "refit"}
    ledger.append(tenant, [Submission("bias.review", review, id="bias-1-review", system=SYSTEM)])
    ledger.erase(tenant, "applicant-d3", "erasure request")
    ledger.append(tenant, [Submission("note", {"text": "unrelated"}, id="note-1")])
    clock.next_day()
    decisions.ingest(tenant, [_decision("after")], 10)
    later = {"system": SYSTEM, "version": "v1", "status": "green", "alerts": [], "by": "mrm"}
    ledger.append(
        tenant,
        [
            Submission("monitoring.run", later, id="mon-after", system=SYSTEM),
            Submission("monitoring.profile", profile, id="profile-after", system=SYSTEM),
            Submission("monitoring.plan", plan, id="plan-after", system=SYSTEM),
        ],
    )
    yield Logged(ledger, store, tenant, clock)
    engine.dispose()


@pytest.fixture
def package_dir(logged: Logged, tmp_path: Path) -> Path:
    logged.package(tmp_path / "package")
    return tmp_path / "package"


def _findings(path: Path) -> list[str]:
    (report,) = verify_path(path, LOG_SIGNER.verifier)
    return report.findings


def _manifest(directory: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((directory / MANIFEST_FILE).read_text())
    return manifest


def _listed(directory: Path, kind: str) -> list[dict[str, Any]]:
    return [f for f in _manifest(directory)["files"] if f["kind"] == kind]


def test_a_package_holds_the_periods_decisions_and_what_refers_to_them(
    logged: Logged, tmp_path: Path
) -> None:
    size_before = logged.ledger.latest_checkpoint(logged.tenant).size
    summary = logged.package(tmp_path / "package")
    assert (summary.decisions, summary.events, summary.inventory, summary.artifacts) == (4, 3, 4, 1)
    assert summary.package_checkpoint == size_before
    assert summary.issued_index == size_before and summary.issue_checkpoint == size_before + 1
    directory = tmp_path / "package"
    assert sorted(f["id"] for f in _listed(directory, "decision")) == ["d1", "d2", "d3", "d4"]
    # the outcome of d1, the review of d2 and the erasure of d3's subject; not f1's outcome
    events = {f["id"] for f in _listed(directory, "event")}
    assert "rev-1" in events and len(events) == 3
    manifest = _manifest(directory)
    assert manifest["period"] == {
        "start": "2026-11-27T00:00:00.000000Z",
        "end": "2026-11-28T00:00:00.000000Z",
    }
    chain = json.loads((directory / "checkpoints.json").read_text())["checkpoints"]
    assert chain[-1]["size"] == size_before and len(chain) == manifest["counts"]["checkpoints"]
    assert all(
        c["consistency"]["from_size"] == p["size"] for p, c in zip(chain, chain[1:], strict=False)
    )
    (artifact,) = _listed(directory, "artifact")
    assert (directory / artifact["path"]).read_bytes() == ARTIFACT
    # every proof is against the one package checkpoint; the issued entry records the manifest
    for listed in manifest["files"]:
        if listed["kind"] in ("decision", "event", "inventory"):
            document = json.loads((directory / listed["path"]).read_text())
            assert document["tree_size"] == size_before
    issued = json.loads((directory / ISSUED_FILE).read_text())
    body = json.loads(base64.b64decode(issued["entry"]))["body"]
    digest = hashlib.sha256((directory / MANIFEST_FILE).read_bytes()).hexdigest()
    assert body["manifest_sha256"] == digest and body["counts"] == manifest["counts"]
    assert _findings(directory) == []
    assert _findings(summary.archive) == []
    with zipfile.ZipFile(summary.archive) as archive:
        assert f"package/{MANIFEST_FILE}" in archive.namelist()


def test_the_cli_verifies_a_package(package_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(package_dir), "--key", str(LOG_SIGNER.verifier)]) == 0
    assert "1 valid, 0 invalid" in capsys.readouterr().out
    (package_dir / "stray.txt").write_text("x")
    assert main(["verify", str(package_dir), "--key", str(LOG_SIGNER.verifier)]) == 1
    assert "stray.txt: not listed in the manifest" in capsys.readouterr().out


def test_an_edited_decision_proof_is_caught(package_dir: Path) -> None:
    listed = _listed(package_dir, "decision")[0]
    path = package_dir / listed["path"]
    document = json.loads(path.read_text())
    entry = base64.b64decode(document["entry"]).replace(b'"approve"', b'"decline"')
    document["entry"] = base64.b64encode(entry).decode()
    path.write_text(json.dumps(document, indent=2) + "\n")
    findings = _findings(package_dir)
    assert f"{listed['path']}: its SHA-256 differs from the manifest's (the file was changed)" in (
        findings
    )
    assert any(
        f.startswith(f"{listed['path']}: entry ") and "not in the signed tree" in f
        for f in findings
    )


def test_a_deleted_decision_file_is_caught(package_dir: Path) -> None:
    listed = _listed(package_dir, "decision")[1]
    (package_dir / listed["path"]).unlink()
    assert _findings(package_dir) == [f"{listed['path']}: listed in the manifest but missing"]


def test_an_edited_manifest_is_caught(package_dir: Path) -> None:
    """Dropping a decision from the manifest along with its file breaks the log's record."""
    manifest = _manifest(package_dir)
    dropped = next(f for f in manifest["files"] if f["kind"] == "decision")
    manifest["files"].remove(dropped)
    manifest["counts"]["decisions"] -= 1
    (package_dir / dropped["path"]).unlink()
    (package_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    findings = _findings(package_dir)
    assert any(f.startswith("manifest.json: its SHA-256 is not the one") for f in findings)
    assert "issued.json: the package.issued entry's counts differs from the manifest" in findings


def test_a_checkpoint_signed_by_another_key_is_caught(package_dir: Path) -> None:
    path = package_dir / "checkpoints.json"
    chain = json.loads(path.read_text())
    first = chain["checkpoints"][0]
    first["note"] = sign_checkpoint(checkpoint_text_of(first["note"]), OTHER_SIGNER)
    path.write_text(json.dumps(chain, indent=2) + "\n")
    findings = _findings(package_dir)
    assert "checkpoints.json: its SHA-256 differs from the manifest's (the file was changed)" in (
        findings
    )
    assert any(
        f.startswith("checkpoints.json: checkpoint 1: checkpoint is not signed by the log key")
        for f in findings
    )


def test_a_decision_proven_against_another_keys_checkpoint_is_caught(package_dir: Path) -> None:
    listed = _listed(package_dir, "decision")[0]
    path = package_dir / listed["path"]
    document = json.loads(path.read_text())
    document["checkpoint"] = sign_checkpoint(
        checkpoint_text_of(document["checkpoint"]), OTHER_SIGNER
    )
    path.write_text(json.dumps(document, indent=2) + "\n")
    findings = _findings(package_dir)
    assert any(
        f.startswith(f"{listed['path']}: checkpoint is not signed by the log key") for f in findings
    )


def test_an_extra_file_is_caught(package_dir: Path) -> None:
    (package_dir / "decisions" / "99999-forged.json").write_text("{}")
    assert _findings(package_dir) == [
        "decisions/99999-forged.json: not listed in the manifest (an extra file)"
    ]


def test_a_missing_issued_proof_is_caught(package_dir: Path) -> None:
    (package_dir / ISSUED_FILE).unlink()
    assert _findings(package_dir) == ["issued.json: missing: nothing ties the manifest to the log"]


def test_a_period_moved_in_the_manifest_leaves_the_decisions_outside(package_dir: Path) -> None:
    manifest = _manifest(package_dir)
    manifest["period"] = {
        "start": "2026-11-28T00:00:00.000000Z",
        "end": "2026-11-29T00:00:00.000000Z",
    }
    (package_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    findings = _findings(package_dir)
    assert any(f.startswith("manifest.json: its SHA-256 is not the one") for f in findings)
    decision = _listed(package_dir, "decision")[0]["path"]
    assert any(f.startswith(f"{decision}: logged at 2026-11-27") for f in findings)


def test_a_tampered_archive_is_caught(logged: Logged, tmp_path: Path) -> None:
    summary = logged.package(tmp_path / "package")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(summary.archive) as source, zipfile.ZipFile(tampered, "w") as target:
        for name in source.namelist():
            if not name.endswith("README.md"):
                target.writestr(name, source.read(name))
    assert _findings(tampered) == ["README.md: listed in the manifest but missing"]


def test_an_empty_period_writes_and_logs_nothing(logged: Logged, tmp_path: Path) -> None:
    size = logged.ledger.latest_checkpoint(logged.tenant).size
    with pytest.raises(NotFound, match="no decisions of credit-underwriting were logged") as error:
        logged.package(tmp_path / "empty", date(2026, 12, 1), date(2026, 12, 31))
    assert "2026-12-01 to 2026-12-31" in str(error.value) and "no package was written" in str(
        error.value
    )
    assert not (tmp_path / "empty").exists() and not (tmp_path / "empty.zip").exists()
    assert logged.ledger.latest_checkpoint(logged.tenant).size == size
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_package_is_not_written_over_another(logged: Logged, package_dir: Path) -> None:
    size = logged.ledger.latest_checkpoint(logged.tenant).size
    with pytest.raises(Exception, match="not an empty directory"):
        logged.package(package_dir)
    assert logged.ledger.latest_checkpoint(logged.tenant).size == size


def test_a_period_of_several_days_takes_every_decision_in_it(
    logged: Logged, tmp_path: Path
) -> None:
    summary = logged.package(tmp_path / "all", date(2026, 11, 26), date(2026, 11, 28))
    assert summary.decisions == 6
    assert _findings(tmp_path / "all") == []


def test_a_trusted_checkpoint_in_the_chain_is_accepted_and_a_fork_is_not(
    logged: Logged, package_dir: Path
) -> None:
    chain = json.loads((package_dir / "checkpoints.json").read_text())["checkpoints"]
    trusted = checkpoint_text_of(chain[0]["note"])
    (report,) = verify_path(package_dir, LOG_SIGNER.verifier, trusted=trusted)
    assert report.findings == []
    forked = type(trusted)(trusted.origin, trusted.size, bytes(32))
    (report,) = verify_path(package_dir, LOG_SIGNER.verifier, trusted=forked)
    assert report.findings == [
        f"--trusted: fork: two different signed roots for size {trusted.size}"
    ]


def test_the_cli_writes_a_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``attest package`` end to end on a fresh SQLite home."""
    monkeypatch.setenv("ATTEST_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ATTEST_DATABASE_URL", raising=False)
    monkeypatch.delenv("ATTEST_MASTER_KEY", raising=False)
    assert main(["init"]) == 0
    from attest.config import Settings
    from attest.runtime import Runtime

    runtime = Runtime(Settings(home=tmp_path / "home"))
    try:
        runtime.inventory.register_tenant(Tenant("bank-a", "Bank A"))
        runtime.inventory.register_system("bank-a", _system(SYSTEM))
        runtime.decisions.ingest("bank-a", [_decision("d1")], 10)
        today = datetime.now(UTC).date()
    finally:
        runtime.close()
    args = ["package", "--tenant", "bank-a", "--system", SYSTEM, "--from", str(today)]
    capsys.readouterr()
    assert main([*args, "--to", str(today), "--out", str(tmp_path / "pkg")]) == 0
    out = capsys.readouterr().out
    assert "1 decisions" in out and "attest verify" in out
    key = str(tmp_path / "home" / "verifier.key")
    assert main(["verify", str(tmp_path / "pkg.zip"), "--key", key]) == 0
    yesterday = str(today - timedelta(days=1))
    assert main([*args[:-1], yesterday, "--to", yesterday, "--out", str(tmp_path / "no")]) == 1
    assert "no package was written" in capsys.readouterr().err


def test_a_manifest_naming_another_system_makes_its_decisions_foreign(package_dir: Path) -> None:
    manifest = _manifest(package_dir)
    manifest["system"] = "fraud-screening"
    (package_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    findings = _findings(package_dir)
    assert "issued.json: the package.issued entry's system differs from the manifest" in findings
    for listed in _listed(package_dir, "decision"):
        assert f"{listed['path']}: not a decision of system fraud-screening" in findings


GARBAGE = [
    b"[1, 2",
    b'{"entry": 5}',
    b"[]",
    b'{"entry": "e30=", "index": 0, "tree_size": 1, "proof": [], "checkpoint": "x"}',
    b'{"checkpoints": [{"note": 7}, {"size": [], "note": "a\\n1\\n\\n"}]}',
]


@pytest.mark.parametrize("content", GARBAGE)
def test_garbage_in_a_listed_file_is_a_finding_not_a_crash(
    package_dir: Path, content: bytes
) -> None:
    kinds = [k for k in (*PROOF_KINDS, "checkpoints") if _listed(package_dir, k)]
    spoiled = [_listed(package_dir, kind)[0]["path"] for kind in kinds]
    for path in [*spoiled, ISSUED_FILE]:
        (package_dir / path).write_bytes(content)
    findings = _findings(package_dir)
    assert {f.split(": ")[0] for f in findings} >= {*spoiled, ISSUED_FILE}


def _edit_json(path: Path, change: Callable[[Any], None]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2) + "\n")


def _first(directory: Path, kind: str) -> Path:
    return directory / _listed(directory, kind)[0]["path"]


TAMPERING: dict[str, Callable[[Path], None]] = {
    "untouched": lambda d: None,
    "edited decision": lambda d: _edit_json(
        _first(d, "decision"), lambda doc: doc.update(index=doc["index"] + 1)
    ),
    "deleted decision": lambda d: _first(d, "decision").unlink(),
    "deleted event": lambda d: _first(d, "event").unlink(),
    "edited manifest": lambda d: _edit_json(
        d / MANIFEST_FILE, lambda m: m["files"].pop(0) and None
    ),
    "extra file": lambda d: (d / "inventory" / "extra.json").write_text("{}"),
    "foreign checkpoint": lambda d: _edit_json(
        d / "checkpoints.json",
        lambda c: c["checkpoints"][-1].update(
            note=sign_checkpoint(checkpoint_text_of(c["checkpoints"][-1]["note"]), OTHER_SIGNER)
        ),
    ),
    "swapped artifact": lambda d: _first(d, "artifact").write_bytes(b"another model"),
    "deleted issued proof": lambda d: (d / ISSUED_FILE).unlink(),
}


@pytest.mark.parametrize("tampering", sorted(TAMPERING))
def test_a_checker_written_from_the_document_agrees(package_dir: Path, tampering: str) -> None:
    """docs/package.md is enough: a checker built from it alone gives Attest's verdicts."""
    from tests.docs_verifier import independent_package
    from tests.docs_verifier.independent import VerifierKey

    TAMPERING[tampering](package_dir)
    attest_says = _findings(package_dir)
    independent_says = independent_package.verify_package(
        package_dir, VerifierKey.parse(str(LOG_SIGNER.verifier))
    )
    assert (attest_says == []) is (tampering == "untouched"), attest_says
    assert (independent_says == []) is (tampering == "untouched"), independent_says


def test_the_periods_bias_tests_and_reviews_are_evidence(package_dir: Path, tmp_path: Path) -> None:
    from tests.docs_verifier.independent import VerifierKey as IndependentKey
    from tests.docs_verifier.independent_package import verify_package

    evidence = _listed(package_dir, "evidence")
    # The period's tests, reviews and monitoring runs, and the standing policy, profile and
    # monitoring plan (the profile and plan were fixed the day before); nothing logged after the
    # period.
    assert sorted(item["id"] for item in evidence) == [
        "bias-1",
        "bias-1-review",
        "mon-1",
        "plan-1",
        "policy-1",
        "profile-1",
    ]
    assert _manifest(package_dir)["counts"]["evidence"] == 6
    assert _findings(package_dir) == []
    independent_key = IndependentKey.parse(str(LOG_SIGNER.verifier))
    assert verify_package(package_dir, independent_key) == []

    path = package_dir / evidence[0]["path"]
    document = json.loads(path.read_text())
    entry = base64.b64decode(document["entry"]).replace(b'"flag"', b'"pass"')
    document["entry"] = base64.b64encode(entry).decode()
    path.write_text(json.dumps(document))
    assert any(f.startswith(evidence[0]["path"]) for f in _findings(package_dir))
    assert verify_package(package_dir, independent_key) != []
