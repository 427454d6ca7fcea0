"""The main scenario: First Community Bank's credit model, from registration to examination.

1. Register the tenant ``first-community-bank`` and its AI system ``credit-underwriting`` (risk
   tier high, with the rationale), train a logistic regression on the German credit data and
   register it as a model version with its skops artifact; validate, approve and deploy it.
2. Score the 1,000 applications and log each decision through the SDK (``attest.Client.local``):
   inputs, synthetic identifiers and the protected attributes (both to the vault), the output
   (approve or decline at a threshold on the probability of good credit), the adverse flag and
   the attributions with the reasons for a decline; then each applicant's real outcome.
3. Prove a decision offline, erase one applicant and show the proof still verifies, export the
   whole log and verify it, audit the database.
4. Build the examination package of the period and verify it offline.

Runs in-process with no server; running it again logs nothing twice.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from attest.config import Settings
from attest.core.group_rules import parse_rules
from attest.core.inventory import AISystem, Lifecycle, ModelVersion, Tenant
from attest.core.monitoring_period import parse_period
from attest.core.package import Period
from attest.core.records import format_time
from attest.core.reference_profile import Outcomes, ReferenceRow
from attest.demo.german_credit import CITATION, PROTECTED, Application, applications
from attest.demo.identities import synthetic_identities
from attest.errors import InvalidInput, NotFound
from attest.keyring import create_keys
from attest.runtime import Runtime
from attest.service.audit import audit_tenant
from attest.service.bias import BiasConfig
from attest.service.export import export_log
from attest.service.package import PackageSummary, issue_package
from attest.store.base import DecisionFilter
from attest.store.sql.schema import upgrade
from attest.verifier import verify_path

TENANT = "first-community-bank"
SYSTEM_ID = "credit-underwriting"
MODEL_VERSION = "1.0.0"
QUARTER_3 = datetime(2026, 7, 1, 9, tzinfo=UTC)
QUARTER_4 = datetime(2026, 10, 1, tzinfo=UTC)
SHIFTED = 400  # fourth-quarter applications, with a deliberate shift (see _monitoring)
VALIDATOR = "demo model validator"
PLAN = {
    "cadence": "quarterly",
    "start": "2026-07-01",
    "owner": "Model risk management, First Community Bank",
    "escalation": "Amber: the model owner reviews within ten business days. Red: the model risk "
    "committee decides on recalibration or redevelopment.",
}
PROVEN_NUMBER = 42
ERASED_NUMBER = 7
SYSTEM = AISystem(
    id=SYSTEM_ID,
    name="Consumer credit underwriting",
    purpose="Recommends approving or declining consumer credit applications from the applicant's "
    "credit file; declines get the principal reasons for the adverse action notice.",
    domain="credit",
    jurisdictions=("US", "US-CO"),
    consequential=True,
    owner="Chief Credit Officer, First Community Bank",
    lifecycle="deployed",
    risk_tier="high",
    risk_rationale="Decides access to credit: a consequential decision under the Colorado AI Act "
    "(SB 24-205), subject to ECOA / Regulation B adverse action and anti-discrimination rules.",
)


def decision_id(number: int) -> str:
    return f"german-credit-{number:04d}"


def decided_at(number: int) -> datetime:
    """The German applications are decided over the third quarter of 2026 (their dates are
    synthetic: the data has none), the shifted ones over the fourth."""
    return QUARTER_3 + timedelta(days=(number - 1) * 92 // 1000, minutes=number % 480)


def subject_of(number: int) -> str:
    return f"applicant-{number:04d}"


@dataclass
class ScenarioReport:
    """What the scenario did and found; ``ok`` when every check passed."""

    failures: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    accuracy: float = 0.0
    validation_accuracy: float = 0.0
    approved: int = 0
    decisions_logged: int = 0
    outcomes_logged: int = 0
    model_sha256: str = ""
    package: PackageSummary | None = None
    bias: dict[str, str] = field(default_factory=dict)  # attribute -> verdict
    monitoring: dict[str, str] = field(default_factory=dict)  # period -> status

    @property
    def ok(self) -> bool:
        return not self.failures


@contextmanager
def _timed(report: ScenarioReport, step: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    report.timings[step] = time.perf_counter() - start


def _check(report: ScenarioReport, path: Path, key: Any, what: str) -> bool:
    findings = [f for r in verify_path(path, key) for f in r.findings]
    report.failures.extend(f"{what}: {finding}" for finding in findings)
    return not findings


def _model_version(model: Any, rows: Sequence[Application], validation: float) -> ModelVersion:
    import sklearn
    import skops

    from attest.demo.credit_model import THRESHOLD, feature_schema

    return ModelVersion(
        system=SYSTEM_ID,
        version=MODEL_VERSION,
        artifact_sha256=model.sha256,
        artifact_format="skops",
        framework=f"scikit-learn {sklearn.__version__} (saved with skops {skops.__version__})",
        features=tuple(feature_schema(rows)),
        built_by="Model development, First Community Bank (demo)",
        training_data={
            "source": CITATION,
            "rows": len(rows),
            "target": "credit_risk: 1 good, 2 bad",
            "excluded_inputs": list(PROTECTED),
            "algorithm": "one-hot encoding and standard scaling, logistic regression (C = 1)",
            "decision_rule": f"approve when the probability of good credit is >= {THRESHOLD}",
            "validation": {
                "method": "stratified 5-fold cross-validation, accuracy at the threshold",
                "accuracy": round(validation, 4),
            },
        },
        limitations=(
            "Trained on 1,000 German applications of the 1970s to 1990s: not representative of "
            "the bank's applicants; for demonstration only.",
            "Inputs outside the ranges and categories seen in training are refused.",
            "Protected characteristics are not inputs, but other inputs can act as proxies for "
            "them: test for disparate impact before and during use.",
        ),
        lifecycle="validation",
    )


def _model(rt: Runtime, rows: Sequence[Application], report: ScenarioReport, echo: Any) -> Any:
    """The model: trained and registered, or loaded back from its registered artifact."""
    from attest.demo.credit_model import cross_validated_accuracy, load, train

    inventory = rt.inventory
    inventory.register_tenant(Tenant(TENANT, "First Community Bank"))
    if not any(s.id == SYSTEM_ID for s in inventory.systems(TENANT)):
        inventory.register_system(TENANT, SYSTEM)
    version = inventory.model_version(TENANT, SYSTEM_ID, MODEL_VERSION)
    if version is None:
        with _timed(report, "train and validate"):
            model = train(rows)
            validation = cross_validated_accuracy(rows)
        version = _model_version(model, rows, validation)
        inventory.register_model_version(TENANT, version, model.artifact)
        echo(f"trained and registered model {SYSTEM_ID} {MODEL_VERSION} (sha256 {model.sha256})")
    else:
        with _timed(report, "load model"):
            _, artifact = inventory.artifact(TENANT, version.artifact_sha256)
            model = load(artifact, rows)
        echo(f"loaded registered model {SYSTEM_ID} {MODEL_VERSION} (sha256 {model.sha256})")
    report.validation_accuracy = float(version.training_data["validation"]["accuracy"])
    report.model_sha256 = model.sha256
    steps: list[tuple[Lifecycle, Lifecycle, str, str]] = [
        ("validation", "approved", "Model Risk Management", "independent validation passed"),
        ("approved", "deployed", "Credit Operations", "deployed for consumer credit"),
    ]
    for before, after, by, reason in steps:
        current = inventory.model_version(TENANT, SYSTEM_ID, MODEL_VERSION)
        if current is not None and current.lifecycle == before:
            inventory.change_lifecycle(
                TENANT, SYSTEM_ID, MODEL_VERSION, after, by=by, reason=reason
            )
    return model


def _sdk_client(rt: Runtime) -> Any:
    import attest

    if Settings(home=rt.settings.home).effective_database_url != rt.settings.effective_database_url:
        raise InvalidInput(
            "the demo logs through attest.Client.local(ATTEST_HOME), which would open another "
            "database than this runtime's: set the database through ATTEST_DATABASE_URL"
        )
    return attest.Client.local(rt.settings.home, tenant=TENANT)


def _log(rt: Runtime, model: Any, rows: Sequence[Application], report: ScenarioReport) -> None:
    """Each application's decision, then its real outcome; what is already logged is skipped."""
    from attest.demo.credit_model import THRESHOLD, inputs_of

    with _timed(report, "score"):
        probabilities = model.probability_good(rows)
        explanations = model.explain(rows)
        people = synthetic_identities(len(rows))
    labels = ["approve" if p >= THRESHOLD else "decline" for p in probabilities]
    report.approved = labels.count("approve")
    good = [row["credit_risk"] == 1 for row in rows]
    report.accuracy = sum((label == "approve") == g for label, g in zip(labels, good, strict=True))
    report.accuracy /= len(rows)
    logged = {
        r["decision_id"]: r
        for r in rt.decisions.find(TENANT, DecisionFilter(system=SYSTEM_ID, limit=len(rows) * 2))
    }
    with _timed(report, "log"):
        client = _sdk_client(rt)
        try:
            for number, (row, probability, explanation, person, label) in enumerate(
                zip(rows, probabilities, explanations, people, labels, strict=True), 1
            ):
                if decision_id(number) in logged:
                    continue
                explained: dict[str, Any] = {
                    "method": "linear-contributions",
                    "units": "log-odds of good credit",
                    "base": round(explanation.base, 6),
                    "attributions": {k: round(v, 6) for k, v in explanation.attributions.items()},
                }
                if explanation.reasons:
                    explained["reasons"] = explanation.reasons
                client.log_decision(
                    decision_id=decision_id(number),
                    system=SYSTEM_ID,
                    model_version=MODEL_VERSION,
                    decided_at=decided_at(number),
                    subject=subject_of(number),
                    inputs=inputs_of(row),
                    identifiers=person,
                    protected={name: row[name] for name in PROTECTED},
                    output={
                        "label": label,
                        "score": round(float(probability), 6),
                        "threshold": THRESHOLD,
                    },
                    adverse=label == "decline",
                    explanation=explained,
                )
                report.decisions_logged += 1
            for number, row in enumerate(rows, 1):
                earlier = logged.get(decision_id(number))
                if earlier is not None and earlier["outcome"] is not None:
                    continue
                client.log_outcome(
                    decision_id(number),
                    "good" if row["credit_risk"] == 1 else "bad",
                    outcome_id=f"outcome-{number:04d}",
                )
                report.outcomes_logged += 1
            delivered = client.flush(timeout=120)
            refused = client.errors()
        finally:
            client.close()
    if not delivered or refused:
        report.failures.append(
            f"the SDK did not deliver everything ({len(refused)} refused"
            + (f", first: {refused[0].message}" if refused else "")
            + ")"
        )


def _ledger_checks(rt: Runtime, work: Path, report: ScenarioReport, echo: Any) -> None:
    """Prove, erase and prove again, export and verify, audit."""
    key = rt.keyring.verifier
    proven = decision_id(PROVEN_NUMBER)
    proof_path = work / f"{proven}.proof.json"
    proof_path.write_text(json.dumps(rt.ledger.prove(TENANT, proven).to_json(), indent=2))
    verified = _check(report, proof_path, key, proven)
    echo(f"proof of {proven}: {proof_path} -> {'verified' if verified else 'INVALID'}")

    erased_id = decision_id(ERASED_NUMBER)
    reading = rt.ledger.read_values(TENANT, erased_id)
    if reading.erased_at is None:
        receipt = rt.ledger.erase(
            TENANT, subject_of(ERASED_NUMBER), "demo: the applicant asked for erasure"
        )
        echo(f"erased {subject_of(ERASED_NUMBER)}: erasure entry {receipt.id} at {receipt.index}")
    reading = rt.ledger.read_values(TENANT, erased_id)
    erased_at = format_time(reading.erased_at) if reading.erased_at else "never"
    echo(f"vault for {erased_id}: erased {erased_at} ({reading.erasure_reason})")
    erased_path = work / f"{erased_id}.proof.json"
    erased_path.write_text(json.dumps(rt.ledger.prove(TENANT, erased_id).to_json(), indent=2))
    if _check(report, erased_path, key, erased_id):
        echo("its entry still verifies after erasure")

    bundle = work / "bundle"
    shutil.rmtree(bundle, ignore_errors=True)
    size = export_log(rt.store, TENANT, bundle)
    verified = _check(report, bundle, key, "bundle")
    echo(f"exported {size} entries to {bundle}: {'verified' if verified else 'INVALID'}")

    audit = audit_tenant(rt.store, TENANT, key)
    report.failures.extend(f"audit: {finding}" for finding in audit.findings)
    echo(
        f"audit: {audit.entries} entries, {audit.checkpoints} checkpoints, "
        f"{len(audit.findings)} problems"
    )


# Groups from the data's own protected attributes (personal_status_sex codes per the data's
# README; age under 25 vs 25 and over, the split the literature uses) and a BISG race/ethnicity
# proxy on the SYNTHETIC surnames and ZIP codes (made up for this demo: see data/README.md).
BIAS_RULES = [
    {"attribute": "age_band", "kind": "bands", "source": "protected.age_years", "bands": [25]},
    {
        "attribute": "sex",
        "kind": "map",
        "source": "protected.personal_status_sex",
        "map": {"A91": "male", "A93": "male", "A94": "male", "A92": "female", "A95": "female"},
    },
    {
        "attribute": "race_ethnicity",
        "kind": "bisg",
        "surname": "identifiers.surname",
        "zip": "identifiers.zip",
    },
]


def _bias(rt: Runtime, report: ScenarioReport, echo: Any) -> None:
    """Assign the groups from the vault, then test age, sex and BISG race/ethnicity."""
    assignment = rt.bias.assign_groups(
        TENANT, SYSTEM_ID, parse_rules(BIAS_RULES), by="demo compliance officer"
    )
    echo(
        f"groups assigned from the vault for {assignment.decisions} decisions "
        f"({', '.join(f'{a}: {n}' for a, n in assignment.assigned.items())}); "
        f"logged as {assignment.receipt.id}"
    )
    config = BiasConfig(("age_band", "sex", "race_ethnicity"), good_outcomes=("good",))
    document = rt.bias.run(TENANT, SYSTEM_ID, config, by="demo compliance officer")
    for result in document["results"][:3]:
        flagged = [
            "/".join(str(v) for v in (g["group"] or {}).values())
            for g in result["verdict"]["groups"]
            if g["outcome"] == "flag"
        ]
        name = result["attributes"][0]
        report.bias[name] = result["verdict"]["outcome"]
        echo(
            f"bias test by {name}: {result['verdict']['outcome']}"
            + (f" (flagged: {', '.join(flagged)})" if flagged else "")
        )
    echo(f"bias run logged as entry {document['entry']}: overall {document['verdict']}")


def _shifted(rows: Sequence[Application]) -> list[Application]:
    """Fourth-quarter applications: German applications drawn again, with larger loans (amount
    × 1.8, at most the largest the schema allows) and, for half of them, longer terms (duration
    × 1.3). Synthetic, and said so: the shift is deliberate, so that monitoring finds it."""
    rng = random.Random(2026)
    largest = max(row["credit_amount"] for row in rows)  # the schema's maximum
    shifted = []
    for _ in range(SHIFTED):
        row = dict(rng.choice(rows))
        row["credit_amount"] = min(largest, round(row["credit_amount"] * 1.8))
        if rng.random() < 0.5:
            row["duration_months"] = min(72, round(row["duration_months"] * 1.3))
        shifted.append(row)
    return shifted


def _monitoring(
    rt: Runtime, model: Any, rows: Sequence[Application], report: ScenarioReport, echo: Any
) -> None:
    """Fix the reference profile on the development data and a quarterly monitoring plan, log a
    shifted fourth quarter, and run monitoring by the plan on both quarters (the third with its
    outcomes, the fourth without)."""
    from attest.demo.credit_model import THRESHOLD, inputs_of

    try:
        rt.monitoring.profile(TENANT, SYSTEM_ID, MODEL_VERSION)
    except NotFound:
        probabilities = model.probability_good(rows)
        reference = [
            ReferenceRow(inputs_of(row), float(p), "good" if row["credit_risk"] == 1 else "bad")
            for row, p in zip(rows, probabilities, strict=True)
        ]
        receipt, profile = rt.monitoring.set_profile(
            TENANT,
            SYSTEM_ID,
            MODEL_VERSION,
            reference,
            outcomes=Outcomes(("good",), "good"),
            source={"kind": "development data", "name": "German credit data", "citation": CITATION},
            by=VALIDATOR,
        )
        echo(f"reference profile of {len(profile.features)} features and the score: {receipt.id}")
    try:
        rt.monitoring.plan(TENANT, SYSTEM_ID, MODEL_VERSION)
    except NotFound:
        receipt, _ = rt.monitoring.set_plan(TENANT, SYSTEM_ID, MODEL_VERSION, PLAN, by=VALIDATOR)
        echo(f"quarterly monitoring plan from {PLAN['start']}: {receipt.id}")
    shifted = _shifted(rows)
    probabilities = model.probability_good(shifted)
    rt.decisions.ingest(
        TENANT,
        [
            {
                "decision_id": f"q4-{number:04d}",
                "system": SYSTEM_ID,
                "model_version": MODEL_VERSION,
                "decided_at": format_time(QUARTER_4 + timedelta(hours=number * 3)),
                "inputs": inputs_of(row),
                "output": {
                    "label": "approve" if p >= THRESHOLD else "decline",
                    "score": round(float(p), 6),
                    "threshold": THRESHOLD,
                },
                "adverse": bool(p < THRESHOLD),
            }
            for number, (row, p) in enumerate(zip(shifted, probabilities, strict=True), 1)
        ],
        SHIFTED,
    )
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    q4_so_far = {
        "since": QUARTER_4,
        "until": max(today + timedelta(days=1), QUARTER_4 + timedelta(days=70)),
    }
    for name, window in (
        ("2026 Q3", {"period": parse_period("2026-Q3")}),
        ("2026 Q4 so far", q4_so_far),
    ):
        document = rt.monitoring.run(
            TENANT, SYSTEM_ID, MODEL_VERSION, **window, by="demo model risk"
        )
        report.monitoring[name] = document["status"]
        statuses = {n: r["status"] for n, r in document["features"].items()}
        counted = {s: list(statuses.values()).count(s) for s in ("green", "amber", "red")}
        auc = document["score"].get("auc", {})
        echo(
            f"monitoring {name}: {document['status']} ({int(document['decisions'])} decisions; "
            f"features green {counted['green']}, amber {counted['amber']}, red {counted['red']}; "
            f"AUC {auc.get('auc') if auc.get('auc') is None else round(auc['auc'], 3)} "
            f"{auc.get('status')}); logged as {document['entry']}"
        )
    echo(
        "vintages by decision month: "
        + "; ".join(
            f"{v['month']} {v['maturity']:.0%} matured, AUC "
            + (f"{v['auc']['auc']:.3f}" if v["auc"]["auc"] is not None else "not yet measurable")
            for v in document.get("vintages") or ()
            if v["decisions"]
        )
    )


def _package(rt: Runtime, work: Path, report: ScenarioReport, echo: Any) -> None:
    """The examination package from the day the first decision was logged to today."""
    first = rt.decisions.get(TENANT, decision_id(1))["logged_at"]
    period = Period.of_days(first.astimezone(UTC).date(), datetime.now(UTC).date())
    out = work / "package"
    shutil.rmtree(out, ignore_errors=True)
    out.with_name("package.zip").unlink(missing_ok=True)
    summary = issue_package(rt.ledger, rt.store, TENANT, SYSTEM_ID, period, out)
    report.package = summary
    verified = _check(report, out, rt.keyring.verifier, "package")
    verified = _check(report, summary.archive, rt.keyring.verifier, "package.zip") and verified
    echo(
        f"examination package {out} (+ .zip) for {period.describe()}: {summary.decisions} "
        f"decisions, {summary.events} outcomes and other entries, {summary.inventory} inventory "
        f"records, {summary.evidence} bias-testing and monitoring entries, "
        f"{summary.artifacts} artifact, "
        f"{summary.checkpoints} checkpoints -> "
        f"{'verified' if verified else 'INVALID'}"
    )


def run_scenario(rt: Runtime, echo: Callable[[str], object]) -> ScenarioReport:
    """The whole scenario against ``rt``'s database; nothing is served."""
    report = ScenarioReport()
    started = time.perf_counter()
    settings = rt.settings
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(rt.engine)
    create_keys(settings)
    echo(f"verifier key: {rt.keyring.verifier}  (also in {settings.verifier_key_path})")
    rows = list(applications())

    with _timed(report, "import scikit-learn"):
        import attest.demo.credit_model  # noqa: F401 - a second or two, counted apart
    model = _model(rt, rows, report, echo)
    _log(rt, model, rows, report)
    numbered = {decision_id(n) for n in range(1, len(rows) + 1)}
    rows_logged = [
        r
        for r in rt.decisions.find(TENANT, DecisionFilter(system=SYSTEM_ID, limit=len(rows) * 2))
        if r["decision_id"] in numbered
    ]
    with_outcome = sum(r["outcome"] is not None for r in rows_logged)
    echo(
        f"logged {report.decisions_logged} decisions and {report.outcomes_logged} outcomes through "
        f"attest.Client.local ({len(rows_logged)} decisions, {with_outcome} with their outcome "
        f"in the ledger); approved {report.approved} of {len(rows)}, accuracy against the real "
        f"outcomes {report.accuracy:.3f} (cross-validated {report.validation_accuracy:.3f})"
    )
    if len(rows_logged) != len(rows) or with_outcome != len(rows):
        report.failures.append("not every decision and outcome is in the ledger")
    work = settings.home / "demo"
    work.mkdir(exist_ok=True)
    with _timed(report, "ledger checks"):
        _ledger_checks(rt, work, report, echo)
    with _timed(report, "bias testing"):
        _bias(rt, report, echo)
    with _timed(report, "monitoring"):
        _monitoring(rt, model, rows, report, echo)
    with _timed(report, "package"):
        _package(rt, work, report, echo)
    report.timings["total"] = time.perf_counter() - started
    echo("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items()))
    command = Path(sys.argv[0]).name == "attest" and sys.argv[0] or "attest"
    key_path = settings.verifier_key_path
    echo(f"verify offline yourself: {command} verify {work / 'package'} --key {key_path}")
    for failure in report.failures:
        echo(f"FAILED: {failure}")
    return report
