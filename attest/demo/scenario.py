"""The main scenario: the German credit applications into a tenant's ledger, then every check."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from attest.core.records import format_time, parse_submission
from attest.demo.german_credit import application_entries
from attest.keyring import create_keys
from attest.runtime import Runtime
from attest.service.audit import audit_tenant
from attest.service.export import export_log
from attest.store.sql.schema import upgrade
from attest.verifier import verify_path

TENANT = "first-community-bank"
PROVEN_ENTRY = "german-credit-0042"
ERASED_SUBJECT = "applicant-0007"


def run_scenario(rt: Runtime, echo: Callable[[str], object]) -> int:
    settings = rt.settings
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(rt.engine)
    create_keys(settings)
    key = rt.keyring.verifier
    echo(f"verifier key: {key}  (also in {settings.verifier_key_path})")

    raw = list(application_entries())
    submissions = [parse_submission(r, f"application {i + 1}") for i, r in enumerate(raw)]
    receipts = rt.ledger.append(TENANT, submissions)
    new = sum(r.created for r in receipts)
    echo(
        f"logged {len(receipts)} German credit applications for {TENANT} "
        f"({new} new, {len(receipts) - new} already there); tree size {receipts[-1].tree_size}"
    )
    echo("newest checkpoint:\n" + rt.ledger.latest_checkpoint(TENANT).note)

    work = settings.home / "demo"
    work.mkdir(exist_ok=True)
    proof_path = work / f"{PROVEN_ENTRY}.proof.json"
    proof_path.write_text(json.dumps(rt.ledger.prove(TENANT, PROVEN_ENTRY).to_json(), indent=2))
    failures = sum(len(r.findings) for r in verify_path(proof_path, key))
    echo(f"proof of {PROVEN_ENTRY}: {proof_path} -> {'verified' if not failures else 'INVALID'}")

    reading = rt.ledger.read_values(TENANT, "german-credit-0007")
    if reading.erased_at is None:
        receipt = rt.ledger.erase(TENANT, ERASED_SUBJECT, "demo: applicant asked for erasure")
        echo(f"erased {ERASED_SUBJECT}: erasure entry {receipt.id} at index {receipt.index}")
    reading = rt.ledger.read_values(TENANT, "german-credit-0007")
    erased_at = format_time(reading.erased_at) if reading.erased_at else "never"
    echo(f"vault for german-credit-0007: erased {erased_at} ({reading.erasure_reason})")
    erased_proof = rt.ledger.prove(TENANT, "german-credit-0007").to_json()
    erased_path = work / "german-credit-0007.proof.json"
    erased_path.write_text(json.dumps(erased_proof, indent=2))
    failures += sum(len(r.findings) for r in verify_path(erased_path, key))
    echo("its entry still verifies after erasure" if not failures else "ERASED ENTRY INVALID")

    bundle = work / "bundle"
    if bundle.exists():
        for child in bundle.iterdir():
            child.unlink()
    size = export_log(rt.store, TENANT, bundle)
    bundle_findings = [f for r in verify_path(bundle, key) for f in r.findings]
    echo(f"exported {size} entries to {bundle}: {'verified' if not bundle_findings else 'INVALID'}")

    report = audit_tenant(rt.store, TENANT, key)
    echo(
        f"audit: {report.entries} entries, {report.checkpoints} checkpoints, "
        f"{len(report.findings)} problems"
    )
    command = Path(sys.argv[0]).name == "attest" and sys.argv[0] or "attest"
    echo(f"verify offline yourself: {command} verify {bundle} --key {settings.verifier_key_path}")
    return 1 if failures or bundle_findings or report.findings else 0
