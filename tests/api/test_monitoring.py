"""Monitoring over the API: read the profile, run a period, list and read runs with proofs."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from attest.core.inventory import Tenant
from attest.core.proof_document import verify_proof_document
from attest.core.reference_profile import Outcomes, ReferenceRow
from attest.runtime import Runtime
from tests.api.conftest import TestClient
from tests.api.support import assert_error, bearer
from tests.service.test_inventory_decisions import ARTIFACT, SYSTEM, _version
from tests.service.test_monitoring import _applicant, _decisions


def _seed(runtime: Runtime, tenant: str) -> None:
    runtime.inventory.register_tenant(Tenant(tenant, "First Community Bank"))
    runtime.inventory.register_system(tenant, SYSTEM)
    runtime.inventory.register_model_version(tenant, _version(), ARTIFACT)
    rng = random.Random(1)
    reference = [_applicant(rng) for _ in range(200)]
    runtime.monitoring.set_profile(
        tenant,
        SYSTEM.id,
        "v1",
        [ReferenceRow(r["inputs"], r["score"], r["outcome"]) for r in reference],
        outcomes=Outcomes(("good",)),
        source={"kind": "file", "name": "validation.csv"},
        by="vera",
    )
    runtime.decisions.ingest(
        tenant, _decisions([_applicant(rng, 1.7) for _ in range(120)], "d-"), 500
    )


def test_a_validator_runs_a_period_and_anyone_of_the_bank_reads_it(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    _seed(runtime, tenant)
    url = f"/api/v1/tenants/{tenant}/systems/{SYSTEM.id}/monitoring"
    validator = bearer(runtime.access.issue_key("a validator", ["validator"], [tenant]).token)
    auditor = bearer(runtime.access.issue_key("an auditor", ["auditor"], [tenant]).token)
    today = datetime.now(UTC).date().isoformat()

    profile = client.get(f"{url}/profiles/v1", headers=auditor)
    assert profile.status_code == 200
    assert profile.json()["rows"] == 200 and set(profile.json()["features"]) == {
        "amount",
        "term",
        "purpose",
    }

    ran = client.post(
        f"{url}/runs", json={"version": "v1", "from": "2020-01-01", "to": today}, headers=validator
    )
    assert ran.status_code == 201, ran.text
    document = ran.json()
    assert document["status"] == "red" and "a validator" in document["by"]
    assert document["decisions"] == 120

    listed = client.get(f"{url}/runs", headers=auditor).json()["runs"]
    assert [r["run_id"] for r in listed] == [document["entry"]]
    assert listed[0]["status"] == "red" and listed[0]["alerts"] == len(document["alerts"])
    read = client.get(f"{url}/runs/{document['entry']}", headers=auditor).json()
    assert read["document"] == {k: v for k, v in document.items() if k not in ("entry", "index")}
    assert verify_proof_document(read["proof"], runtime.ledger.verifier) == []

    refused = client.post(
        f"{url}/runs", json={"version": "v1", "from": "2020-01-01", "to": today}, headers=auditor
    )
    assert_error(refused, 403, "no role allowed here")


def test_bad_requests_are_named(client: TestClient, runtime: Runtime, tenant: str) -> None:
    _seed(runtime, tenant)
    url = f"/api/v1/tenants/{tenant}/systems/{SYSTEM.id}/monitoring"
    validator = bearer(runtime.access.issue_key("a validator", ["validator"], [tenant]).token)
    size = runtime.ledger.latest_checkpoint(tenant).size

    def refused(body: Any, status: int, *fragments: str) -> None:
        assert_error(client.post(f"{url}/runs", json=body, headers=validator), status, *fragments)

    refused({"version": "v1", "from": "2026-01-01"}, 400, "field 'to'")
    refused({"version": "v1", "from": "soon", "to": "2026-01-01"}, 400, "field 'from'")
    refused({"version": "v1", "from": "2026-02-01", "to": "2026-01-01"}, 400, "field 'to'")
    refused({"from": "2026-01-01", "to": "2026-02-01"}, 400, "field 'version'")
    refused({"version": "v1", "from": "2026-01-01", "to": "2026-02-01", "x": 1}, 400, "JSON object")
    refused(
        {"version": "v9", "from": "2026-01-01", "to": "2026-02-01"}, 404, "no reference profile"
    )
    assert runtime.ledger.latest_checkpoint(tenant).size == size
    assert_error(client.get(f"{url}/profiles/v9", headers=validator), 404, "no reference profile")
    assert_error(client.get(f"{url}/runs/nope", headers=validator), 404, "no monitoring run")


def test_an_alert_is_acted_on_once_and_the_act_is_logged(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    _seed(runtime, tenant)
    url = f"/api/v1/tenants/{tenant}/systems/{SYSTEM.id}/monitoring"
    validator = bearer(runtime.access.issue_key("a validator", ["validator"], [tenant]).token)
    auditor = bearer(runtime.access.issue_key("an auditor", ["auditor"], [tenant]).token)
    today = datetime.now(UTC).date().isoformat()
    window = {"version": "v1", "from": "2020-01-01", "to": today}
    run = client.post(f"{url}/runs", json=window, headers=validator).json()
    opened = client.get(f"{url}/alerts?state=open", headers=auditor).json()["alerts"]
    assert len(opened) == len(run["alerts"]) >= 1
    first = opened[-1]
    assert (first["run_id"], first["number"], first["state"]) == (run["entry"], 1, "open")
    assert first["metric"] == run["alerts"][0]["metric"]

    act = f"{url}/runs/{run['entry']}/alerts/1"
    assert_error(
        client.post(act, json={"action": "finding", "note": "x"}, headers=validator),
        400,
        "field 'reference'",
    )
    assert_error(
        client.post(act, json={"action": "ignored", "note": "x"}, headers=validator),
        400,
        "field 'action'",
    )
    assert_error(
        client.post(
            act, json={"action": "finding", "note": "x", "reference": "F-1"}, headers=auditor
        ),
        403,
    )
    done = client.post(
        act,
        json={"action": "finding", "note": "amounts grew: revalidate", "reference": "MRM-2026-14"},
        headers=validator,
    )
    assert done.status_code == 201, done.text
    entry = runtime.store.entry_by_id(tenant, done.json()["entry"])
    assert entry is not None and b'"type":"monitoring.alert"' in entry.data
    again = client.post(act, json={"action": "acknowledged", "note": "seen"}, headers=validator)
    assert_error(again, 409, "already finding")
    alerts = client.get(f"{url}/alerts?state=finding", headers=auditor).json()["alerts"]
    assert [(a["number"], a["reference"], a["by"]) for a in alerts] == [
        (1, "MRM-2026-14", alerts[0]["by"])
    ]
    assert "a validator" in alerts[0]["by"]
    assert_error(
        client.post(
            f"{url}/runs/{run['entry']}/alerts/99",
            json={"action": "acknowledged", "note": "x"},
            headers=validator,
        ),
        404,
        "no alert 99",
    )


def test_a_plan_is_set_and_read_and_its_due_periods_run_once(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    _seed(runtime, tenant)
    url = f"/api/v1/tenants/{tenant}/systems/{SYSTEM.id}/monitoring"
    validator = bearer(runtime.access.issue_key("a validator", ["validator"], [tenant]).token)
    auditor = bearer(runtime.access.issue_key("an auditor", ["auditor"], [tenant]).token)
    assert_error(client.get(f"{url}/plans/v1", headers=auditor), 404, "no monitoring plan")

    plan = {
        "cadence": "monthly",
        "thresholds": {"csi": {"amber": 0.2, "red": 0.4}},
        "owner": "Model risk",
    }
    assert_error(client.put(f"{url}/plans/v1", json=plan, headers=auditor), 403)
    put = client.put(f"{url}/plans/v1", json=plan, headers=validator)
    assert put.status_code == 200, put.text
    read = client.get(f"{url}/plans/v1", headers=auditor).json()
    assert read == put.json()
    assert read["plan"]["cadence"] == "monthly" and "a validator" in read["by"]
    assert read["thresholds"]["csi"] == {"amber": 0.2, "red": 0.4, "higher_is_worse": True}
    assert read["risk_tier"] == "high" and read["plan"]["metrics"][0] == "csi"

    due = client.post(f"{url}/due", headers=validator)
    assert due.status_code == 200, due.text
    runs = due.json()["runs"]  # the last complete month (it has no decisions: not measurable)
    assert [(r["version"], r["status"]) for r in runs] == [("v1", "not_measurable")]
    assert client.post(f"{url}/due", headers=validator).json() == {"runs": []}

    month = datetime.now(UTC).strftime("%Y-%m")
    ran = client.post(f"{url}/runs", json={"version": "v1", "period": month}, headers=validator)
    assert ran.status_code == 201, ran.text
    document = ran.json()
    assert document["period"]["label"] == month and document["plan"]["entry"] == read["entry"]
    assert document["features"]["amount"]["csi"]["thresholds"]["red"] == 0.4
    assert document["vintages"][-1]["month"] == month
    assert_error(client.post(f"{url}/due", headers=auditor), 403)


def test_bad_plans_and_periods_are_named(client: TestClient, runtime: Runtime, tenant: str) -> None:
    _seed(runtime, tenant)
    url = f"/api/v1/tenants/{tenant}/systems/{SYSTEM.id}/monitoring"
    validator = bearer(runtime.access.issue_key("a validator", ["validator"], [tenant]).token)
    size = runtime.ledger.latest_checkpoint(tenant).size

    def refused(body: Any, status: int, *fragments: str, version: str = "v1") -> None:
        response = client.put(f"{url}/plans/{version}", json=body, headers=validator)
        assert_error(response, status, *fragments)

    refused(["monthly"], 400, "JSON object")
    refused({"cadence": "hourly"}, 400, "field 'cadence'")
    refused({"metrics": ["gini"]}, 400, "field 'metrics'")
    refused({"thresholds": {"auc": {"amber": 0.5, "red": 0.6}}}, 400, "thresholds.auc.red")
    refused({"system": "another"}, 400, "field 'system'")
    refused({}, 404, "no model version v9", version="v9")
    for body, fragment in (
        ({"version": "v1", "period": "2026-13"}, "field 'period'"),
        ({"version": "v1", "period": "2026-Q1", "from": "2026-01-01"}, "field 'period'"),
    ):
        assert_error(client.post(f"{url}/runs", json=body, headers=validator), 400, fragment)
    assert runtime.ledger.latest_checkpoint(tenant).size == size


def test_a_profile_is_fixed_from_the_versions_own_decisions_of_a_window(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    _seed(runtime, tenant)  # 120 decisions, logged today; a profile from a file is in force
    url = f"/api/v1/tenants/{tenant}/systems/{SYSTEM.id}/monitoring"
    validator = bearer(runtime.access.issue_key("a validator", ["validator"], [tenant]).token)
    auditor = bearer(runtime.access.issue_key("an auditor", ["auditor"], [tenant]).token)
    today = datetime.now(UTC).date().isoformat()
    body = {"from": "2020-01-01", "to": today, "good_outcomes": ["good"]}

    assert_error(client.put(f"{url}/profiles/v1", json=body, headers=auditor), 403)
    size = runtime.ledger.latest_checkpoint(tenant).size
    for bad, fragment in (
        ({**body, "good_outcomes": []}, "field 'good_outcomes'"),
        ({**body, "score_predicts": "maybe"}, "field 'score_predicts'"),
        ({**body, "to": "soon"}, "field 'to'"),
        ({**body, "rows": []}, "JSON object"),
    ):
        assert_error(client.put(f"{url}/profiles/v1", json=bad, headers=validator), 400, fragment)
    assert_error(client.put(f"{url}/profiles/v9", json=body, headers=validator), 404, "v9")
    assert runtime.ledger.latest_checkpoint(tenant).size == size  # nothing logged

    fixed = client.put(f"{url}/profiles/v1", json=body, headers=validator)
    assert fixed.status_code == 200, fixed.text
    profile = fixed.json()
    assert profile["rows"] == 120 and profile["source"]["kind"] == "window"
    assert runtime.ledger.latest_checkpoint(tenant).size == size + 1
    assert client.get(f"{url}/profiles/v1", headers=auditor).json()["rows"] == 120
    # judged against itself, the same decisions do not drift
    ran = client.post(
        f"{url}/runs", json={"version": "v1", "from": "2020-01-01", "to": today}, headers=validator
    ).json()
    assert ran["score"]["psi"]["value"] < 1e-9
    assert all(f["status"] == "green" for f in ran["features"].values())
