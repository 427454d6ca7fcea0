"""The main scenario on the real German credit data: model, decisions, outcomes, package."""

from __future__ import annotations

import hashlib
import math
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import skops.io

from attest.config import Settings
from attest.demo.credit_model import (
    FEATURES,
    MAX_REASONS,
    THRESHOLD,
    cross_validated_accuracy,
    feature_schema,
    good_credit,
    load,
    train,
)
from attest.demo.german_credit import PROTECTED, applications
from attest.demo.identities import SURNAMES, ZIP_CODES, synthetic_identities
from attest.demo.scenario import MODEL_VERSION, SYSTEM_ID, TENANT, decision_id, run_scenario
from attest.demo.web_users import ensure_demo_users
from attest.runtime import Runtime
from attest.store.base import DecisionFilter
from attest.verifier import verify_path

ROWS = list(applications())


def test_the_german_credit_file_is_the_cited_one() -> None:
    data = resources.files("attest.demo").joinpath("data/german.data").read_bytes()
    assert (
        hashlib.sha256(data).hexdigest()
        == "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871"
    )
    readme = resources.files("attest.demo").joinpath("data/README.md").read_text()
    assert "DOI 10.24432/C5NC77" in readme and "CC BY 4.0" in readme
    assert "**synthetic**" in readme and "BISG" in readme


def test_applications_parse_with_the_documented_outcome_split() -> None:
    assert len(ROWS) == 1000
    assert sum(r["credit_risk"] == 1 for r in ROWS) == 700
    assert not set(PROTECTED) & set(FEATURES)


def test_synthetic_identities_are_deterministic_and_from_the_built_in_lists() -> None:
    people = synthetic_identities(1000)
    assert people == synthetic_identities(1000) != synthetic_identities(1000, seed=1)
    assert all(p["surname"] in SURNAMES and p["zip"] in ZIP_CODES for p in people)
    assert len({p["surname"] for p in people}) > 30  # spread over the list, not one name


def test_the_model_is_sensible_and_its_explanations_add_up() -> None:
    model = train(ROWS)
    probabilities = model.probability_good(ROWS)
    accuracy = np.mean((probabilities >= THRESHOLD) == good_credit(ROWS))
    assert accuracy >= 0.70 and cross_validated_accuracy(ROWS) >= 0.70
    for probability, explanation in zip(probabilities, model.explain(ROWS), strict=True):
        logit = math.log(probability / (1 - probability))
        assert explanation.base + sum(explanation.attributions.values()) == pytest.approx(logit)
        assert set(explanation.attributions) == set(FEATURES)
        if probability >= THRESHOLD:
            assert explanation.reasons == []
        else:
            assert 0 < len(explanation.reasons) <= MAX_REASONS
            values = [explanation.attributions[r] for r in explanation.reasons]
            assert all(v < 0 for v in values) and values == sorted(values)
    reloaded = load(model.artifact, ROWS)
    assert np.array_equal(reloaded.probability_good(ROWS), probabilities)


def test_the_feature_schema_comes_from_the_data() -> None:
    schema = {spec.name: spec for spec in feature_schema(ROWS)}
    assert list(schema) == list(FEATURES)
    assert schema["duration_months"].type == "integer"
    assert (schema["duration_months"].minimum, schema["duration_months"].maximum) == (4, 72)
    assert schema["checking_status"].categories == ("A11", "A12", "A13", "A14")


@pytest.mark.slow
def test_the_scenario_runs_clean_and_again(tmp_path: Path) -> None:
    lines: list[str] = []
    runtime = Runtime(Settings(home=tmp_path / "home"))
    try:
        started = time.perf_counter()
        report = run_scenario(runtime, echo=lines.append)
        assert report.ok, report.failures
        assert time.perf_counter() - started < 60
        assert report.decisions_logged == report.outcomes_logged == 1000
        assert report.accuracy >= 0.70 and report.validation_accuracy >= 0.70

        # the registered artifact is the model that decided, and reloads with skops
        version = runtime.inventory.model_version(TENANT, SYSTEM_ID, MODEL_VERSION)
        assert version is not None and version.lifecycle == "deployed"
        assert version.artifact_sha256 == report.model_sha256
        artifact_format, artifact = runtime.inventory.artifact(TENANT, version.artifact_sha256)
        assert artifact_format == "skops"
        assert hashlib.sha256(artifact).hexdigest() == version.artifact_sha256
        assert skops.io.get_untrusted_types(data=artifact) == []
        pipeline = skops.io.loads(artifact)

        # every decision and outcome is stored; scores are the artifact's; explanations add up
        found = runtime.decisions.find(TENANT, DecisionFilter(system=SYSTEM_ID, limit=2000))
        assert len(found) == 1400  # and the fourth quarter's shifted applications
        rows = [r for r in found if not r["decision_id"].startswith("q4-")]
        assert len(rows) == 1000 and all(r["outcome"] in ("good", "bad") for r in rows)
        by_id = {r["decision_id"]: r for r in rows}
        inputs = [by_id[decision_id(n)]["inputs"] for n in range(1, 1001)]
        matrix = np.array([[i[f] for f in FEATURES] for i in inputs], dtype=object)
        scores = pipeline.predict_proba(matrix)[:, 1]
        for number, score in enumerate(scores, 1):
            row = by_id[decision_id(number)]
            assert row["score"] == pytest.approx(score, abs=1e-6)
            assert row["label"] == ("approve" if score >= THRESHOLD else "decline")
            assert row["adverse"] is (row["label"] == "decline")
            assert row["outcome"] == ("good" if ROWS[number - 1]["credit_risk"] == 1 else "bad")
            explanation = row["explanation"]
            total = explanation["base"] + sum(explanation["attributions"].values())
            assert total == pytest.approx(math.log(score / (1 - score)), abs=1e-4)
            assert bool(explanation.get("reasons")) is row["adverse"]
        assert sum(r["label"] == "approve" for r in rows) == report.approved

        # identifiers and protected attributes went to the vault, not the tables
        reading = runtime.ledger.read_values(TENANT, decision_id(1))
        values = {v.pointer: v.value for v in reading.values}
        assert values["/identifiers"] == synthetic_identities(1000)[0]
        assert values["/protected"] == {name: ROWS[0][name] for name in PROTECTED}
        assert "surname" not in str(by_id[decision_id(1)])

        # the examination package verifies, directory and zip
        package = report.package
        assert package is not None
        assert (package.decisions, package.inventory, package.artifacts) == (1400, 5, 1)
        assert package.events == 1001  # the outcomes and the erasure of applicant-0007
        # the group assignment, the bias run, the reference profile, the monitoring plan and two
        # monitoring runs
        assert package.evidence == 6
        assert verify_path(package.directory, runtime.keyring.verifier)[0].findings == []
        assert verify_path(package.archive, runtime.keyring.verifier)[0].findings == []

        # the data's own age disparity shows; sex and the BISG proxy groups are judged too
        assert report.bias["age_band"] == "flag"
        assert report.bias["sex"] in ("pass", "flag")
        assert report.bias["race_ethnicity"] in ("pass", "flag")

        # the third quarter is the development data again; the fourth moved on purpose, and its
        # outcomes have not matured
        assert report.monitoring == {"2026 Q3": "green", "2026 Q4 so far": "red"}
        (q4, q3) = runtime.monitoring.runs(TENANT, SYSTEM_ID)
        assert (q3["status"], q4["status"]) == ("green", "red")
        # both judged by the quarterly plan; the third quarter is its period 2026-Q3
        plan = runtime.monitoring.plan(TENANT, SYSTEM_ID, MODEL_VERSION)
        assert plan["plan"]["cadence"] == "quarterly"
        third = runtime.monitoring.document(TENANT, SYSTEM_ID, q3["run_id"])
        fourth = runtime.monitoring.document(TENANT, SYSTEM_ID, q4["run_id"])
        assert third["period"]["label"] == "2026-Q3" and "period" not in fourth
        assert third["plan"]["entry"] == fourth["plan"]["entry"] == plan["entry"]
        # the third quarter's months have matured; the fourth's have no outcomes yet
        months = {v["month"]: v for v in fourth["vintages"]}
        assert all(months[m]["maturity"] == 1.0 for m in ("2026-07", "2026-08", "2026-09"))
        assert months["2026-10"]["status"] == "not_measurable"
        size = runtime.ledger.latest_checkpoint(TENANT).size
        again = run_scenario(runtime, echo=lines.append)  # ids make the rerun log nothing
        assert again.ok, again.failures
        assert again.decisions_logged == again.outcomes_logged == 0
        assert again.model_sha256 == report.model_sha256
        # the rerun adds only its own evidence: group assignment, bias run, two monitoring runs,
        # package.issued (the profile and plan stand, the fourth quarter is logged already)
        assert runtime.ledger.latest_checkpoint(TENANT).size == size + 5
    finally:
        runtime.close()
    text = "\n".join(lines)
    assert "its entry still verifies after erasure" in text and "INVALID" not in text
    assert text.count("-> verified") == 4 and "FAILED" not in text  # a proof, the package; twice


def test_demo_users_can_sign_in_and_a_second_run_resets_the_password(tmp_path: Path) -> None:
    from attest.store.sql.schema import upgrade

    (tmp_path / "home").mkdir()
    runtime = Runtime(Settings(home=tmp_path / "home"))
    try:
        upgrade(runtime.engine)
        users = ensure_demo_users(runtime.access, TENANT, "first password 1")
        assert users == ["examiner (auditor)", "compliance (compliance)"]
        ensure_demo_users(runtime.access, TENANT, "second password 2")
        examiner = runtime.access.authenticate_user("examiner", "second password 2")
        assert examiner.roles == {"auditor"} and examiner.may_reach(TENANT)
    finally:
        runtime.close()
