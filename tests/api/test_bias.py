"""Bias testing over the API: assign groups (with BISG), run, read back with a proof, sign off.

The population is small and made to order: applicants under 25 are approved 30% of the time,
the others 80%, so the age test must flag the young (adverse impact ratio 0.375).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from attest.core.inventory import AISystem, ModelVersion, Tenant
from attest.core.proof_document import verify_proof_document
from attest.runtime import Runtime
from tests.api.conftest import TestClient
from tests.api.support import (
    ARTIFACT,
    assert_error,
    assert_not_echoed,
    bearer,
    decision_payload,
    system_payload,
    version_payload,
)

SYSTEM, OTHER = "consumer-lending", "card-limits"
SURNAMES = ["SMITH", "GARCIA", "NGUYEN", "WASHINGTON", "JOHNSON", "MARTINEZ", "KIM", "BROWN"]
ZIPS = ["80202", "10027", "94110", "60619", "33125", "98104"]
RULES = [
    {"attribute": "age_band", "kind": "bands", "source": "protected.age", "bands": [25]},
    {
        "attribute": "sex",
        "kind": "map",
        "source": "protected.sex",
        "map": {"F": "female", "M": "male"},
    },
]
PEOPLE = 120
YOUNG = 50
# What identifies the applicants: no answer may contain any of it.
PRIVATE = ("Applicant Number", "applicant-", *SURNAMES)


def _person(i: int) -> dict[str, Any]:
    young = i < YOUNG
    approved = (i % 10 < 3) if young else (i % 10 < 8)
    return decision_payload(
        f"d-{i:03d}",
        SYSTEM,
        "v1",
        subject=f"applicant-{i:03d}",
        identifiers={
            "name": f"Applicant Number {i}",
            "surname": SURNAMES[i % len(SURNAMES)],
            "zip": ZIPS[(i // len(SURNAMES)) % len(ZIPS)],
        },
        protected={"age": 21 if young else 40, "sex": "F" if i % 2 else "M"},
        output={"label": "approve" if approved else "decline", "score": 0.5},
        adverse=not approved,
    )


def _seed(runtime: Runtime, tenant: str) -> tuple[dict[str, str], str]:
    """The bank, its two systems and the population; a compliance officer's key and name."""
    runtime.inventory.register_tenant(Tenant(tenant, "Lakeside Credit Union"))
    for system in (SYSTEM, OTHER):
        runtime.inventory.register_system(tenant, AISystem.parse(system_payload(system)))
    runtime.inventory.register_model_version(
        tenant, ModelVersion.parse(version_payload(SYSTEM, "v1")), ARTIFACT
    )
    runtime.decisions.ingest(tenant, [_person(i) for i in range(PEOPLE)], PEOPLE)
    issued = runtime.access.issue_key("compliance officer", ["compliance"], [tenant])
    return bearer(issued.token), f"key {issued.key_id} (compliance officer)"


def _window(**changes: Any) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    body = {
        "by": ["age_band", "sex"],
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    return body | changes


def _private(response: httpx.Response) -> None:
    assert_not_echoed(response, PRIVATE)


def test_assign_run_read_back_and_sign_off(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    officer, name = _seed(runtime, tenant)
    url = f"/api/v1/tenants/{tenant}/systems/{SYSTEM}/bias"

    assigned = client.post(f"{url}/assign", json={"rules": RULES, "proxy": "bisg"}, headers=officer)
    assert assigned.status_code == 201, assigned.text
    _private(assigned)
    summary = assigned.json()
    assert summary["decisions"] == PEOPLE
    assert summary["assigned"] == {"age_band": PEOPLE, "sex": PEOPLE, "race_ethnicity": PEOPLE}
    assert summary["unknown"] == {"age_band": 0, "sex": 0, "race_ethnicity": 0}
    coverage = summary["bisg"]["race_ethnicity"]
    assert coverage["records"] == PEOPLE and sum(coverage["matches"].values()) == PEOPLE
    assert set(coverage["match_rates"]) >= {"surname+zcta", "none"}
    entry = runtime.store.entry_by_id(tenant, summary["entry"])
    assert entry is not None and entry.index == summary["index"]
    assert b'"type":"fairness.groups_assigned"' in entry.data
    assert f'"by":"{name}"'.encode() in entry.data

    first = client.post(f"{url}/runs", json=_window(), headers=officer)
    assert first.status_code == 201, first.text
    _private(first)
    document = first.json()
    assert document["verdict"] == "flag" and document["by"] == name
    assert [r["attributes"] for r in document["results"]] == [
        ["age_band"],
        ["sex"],
        ["age_band", "sex"],
    ]
    age = document["results"][0]
    groups = {g["group"]["age_band"]: g for g in age["selection"]["groups"]}
    young = groups["under_25"]
    assert young["n"] == YOUNG and young["rate"] == pytest.approx(0.3)
    assert young["ratio"] == pytest.approx(0.3 / 0.8)
    low, high = young["ratio_ci"]
    assert low < young["ratio"] < high < 0.8
    outcomes = {g["group"]["age_band"]: g["outcome"] for g in age["verdict"]["groups"]}
    assert outcomes == {"under_25": "flag", "25_and_over": "pass"}

    second = client.post(
        f"{url}/runs", json=_window(by=["race_ethnicity"], air_threshold=0.5), headers=officer
    )
    assert second.status_code == 201, second.text
    assert second.json()["config"]["air_threshold"] == 0.5

    listed = client.get(f"{url}/runs", headers=officer)
    assert listed.status_code == 200
    runs = listed.json()["runs"]
    assert [r["run_id"] for r in runs] == [second.json()["entry"], document["entry"]]
    assert runs[1]["attributes"] == ["age_band", "sex"] and runs[1]["verdict"] == "flag"
    assert runs[1]["from"].endswith("T00:00:00.000000Z") and runs[1]["review"] is None

    auditor = bearer(runtime.access.issue_key("an auditor", ["auditor"], [tenant]).token)
    read = client.get(f"{url}/runs/{document['entry']}", headers=auditor)
    assert read.status_code == 200
    _private(read)
    report = read.json()
    assert report["document"] == {k: v for k, v in document.items() if k not in ("entry", "index")}
    assert report["run"]["index"] == document["index"] and report["run"]["review"] is None
    assert verify_proof_document(report["proof"], runtime.ledger.verifier) == []
    assert report["proof"]["index"] == document["index"]

    review = f"{url}/runs/{document['entry']}/review"
    note = "under-25 approvals too low: refit and re-test"
    done = client.post(review, json={"review": "finding", "note": note}, headers=officer)
    assert done.status_code == 201, done.text
    assert done.json()["by"] == name
    reviewed = client.get(f"{url}/runs/{document['entry']}", headers=auditor).json()["run"]
    assert reviewed["review"]["review"] == "finding"
    assert reviewed["review"]["by"] == name
    assert reviewed["review"]["note"] == note
    assert reviewed["review"]["index"] == done.json()["index"]
    again = client.post(review, json={"review": "accepted", "note": "fine"}, headers=officer)
    assert_error(again, 409, "already reviewed")
    # The auditor may read but not sign off.
    refused = client.post(
        f"{url}/runs/{second.json()['entry']}/review",
        json={"review": "accepted", "note": "fine"},
        headers=auditor,
    )
    assert_error(refused, 403, "no role allowed here")


def test_bad_requests_are_refused_without_echoing_them(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    officer, _ = _seed(runtime, tenant)
    url = f"/api/v1/tenants/{tenant}/systems/{SYSTEM}/bias"
    size = runtime.ledger.latest_checkpoint(tenant).size

    def refused(path: str, body: Any, status: int, *fragments: str) -> None:
        response = client.post(url + path, json=body, headers=officer)
        assert_error(response, status, *fragments)
        assert_not_echoed(response, ("yesterday", "favorable", "census", "Zorblaxian"))

    refused("/runs", _window(by=["age_band"]), 400, "no decision", "assign groups first")
    refused("/assign", {"rules": RULES, "proxy": "census"}, 400, "field 'proxy'")
    refused("/assign", {"rules": []}, 400, "non-empty list of rules")
    refused("/assign", {"rules": [{"attribute": "Age", "kind": "bands"}]}, 400, "attribute")
    refused("/assign", ["rules"], 400, "JSON object")
    assert runtime.ledger.latest_checkpoint(tenant).size == size  # nothing was logged

    assert client.post(f"{url}/assign", json={"rules": RULES}, headers=officer).status_code == 201
    refused("/runs", _window(**{"from": "yesterday"}), 400, "field 'from'", "YYYY-MM-DD")
    refused("/runs", _window(to="2020-01-01"), 400, "field 'to'")
    refused("/runs", _window(by=[]), 400, "field 'by'")
    refused("/runs", _window(by=["age_band", "age_band"]), 400, "field 'by'")
    refused("/runs", _window(favorable=["approve"]), 400, "only have the fields")
    refused("/runs", _window(air_threshold=1.5), 400, "field 'air_threshold'")
    refused("/runs", _window(alpha=True), 400, "field 'alpha'")
    refused("/runs", _window(good_outcomes="good"), 400, "field 'good_outcomes'")
    ran = client.post(f"{url}/runs", json=_window(), headers=officer).json()["entry"]
    refused(f"/runs/{ran}/review", {"review": "maybe", "note": "x"}, 400, "field 'review'")
    refused(f"/runs/{ran}/review", {"review": "accepted", "note": " "}, 400, "field 'note'")
    refused(f"/runs/{ran}/review", {"review": "accepted"}, 400, "field 'note'")
    refused(f"/runs/{ran}/review", {"review": "accepted", "note": "x" * 4001}, 400, "4000")

    # A run is found only under its own system, and unknown systems and runs are 404.
    other = f"/api/v1/tenants/{tenant}/systems/{OTHER}/bias"
    empty = client.post(f"{other}/runs", json=_window(by=["age_band"]), headers=officer)
    assert empty.status_code == 201 and empty.json()["verdict"] == "no_data"
    assert_error(client.get(f"{other}/runs/{ran}", headers=officer), 404, "no bias run")
    assert_error(client.get(f"{url}/runs/{empty.json()['entry']}", headers=officer), 404)
    wrong_path = client.post(
        f"{other}/runs/{ran}/review", json={"review": "accepted", "note": "x"}, headers=officer
    )
    assert_error(wrong_path, 404, "no bias run")
    assert [r["run_id"] for r in client.get(f"{other}/runs", headers=officer).json()["runs"]] == [
        empty.json()["entry"]
    ]
    nowhere = f"/api/v1/tenants/{tenant}/systems/no-such-system/bias/runs"
    assert_error(client.get(nowhere, headers=officer), 404)
    assert_error(client.get(f"{url}/runs/not-a-run", headers=officer), 404)


def test_the_system_policy_judges_its_runs_and_each_change_is_logged(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    officer, name = _seed(runtime, tenant)
    url = f"/api/v1/tenants/{tenant}/systems/{SYSTEM}/bias"
    assert client.post(f"{url}/assign", json={"rules": RULES}, headers=officer).status_code == 201

    default = client.get(f"{url}/policy", headers=officer).json()
    assert default == {
        "policy": {"air_threshold": 0.8, "alpha": 0.05, "min_n_eff": 30.0},
        "source": "default",
    }
    # The under-25 ratio is 0.375: a policy flagging only below 0.3 passes it.
    changed = client.put(
        f"{url}/policy", json={"air_threshold": 0.3, "note": "board decision 14"}, headers=officer
    )
    assert changed.status_code == 200, changed.text
    standing = changed.json()
    assert standing["policy"] == {"air_threshold": 0.3, "alpha": 0.05, "min_n_eff": 30.0}
    assert standing["source"] == "entry" and standing["by"] == name
    assert standing["note"] == "board decision 14"
    entry = runtime.store.entry_by_id(tenant, standing["entry"])
    assert entry is not None and b'"type":"bias.policy"' in entry.data

    judged = client.post(f"{url}/runs", json=_window(by=["age_band"]), headers=officer).json()
    assert judged["config"]["air_threshold"] == 0.3
    assert judged["policy"] == {"source": "entry", "index": entry.index, "overridden": []}
    age = {g["group"]["age_band"]: g["outcome"] for g in judged["results"][0]["verdict"]["groups"]}
    assert age["under_25"] == "pass"

    # A run may set its own threshold; the document says it did.
    strict = client.post(
        f"{url}/runs", json=_window(by=["age_band"], air_threshold=0.8), headers=officer
    ).json()
    assert strict["verdict"] == "flag" and strict["policy"]["overridden"] == ["air_threshold"]

    size = runtime.ledger.latest_checkpoint(tenant).size
    for body, fragment in (
        ({"alpha": 1.0}, "field 'alpha'"),
        ({"air_threshold": "high"}, "field 'air_threshold'"),
        ({"min_n_eff": 0}, "field 'min_n_eff'"),
        ({"note": "nothing else"}, "at least one"),
        ({"air": 0.7}, "only have the fields"),
    ):
        assert_error(client.put(f"{url}/policy", json=body, headers=officer), 400, fragment)
    auditor = bearer(runtime.access.issue_key("an auditor", ["auditor"], [tenant]).token)
    refused = client.put(f"{url}/policy", json={"alpha": 0.01}, headers=auditor)
    assert_error(refused, 403, "no role allowed here")
    assert client.get(f"{url}/policy", headers=auditor).json()["policy"]["air_threshold"] == 0.3
    assert runtime.ledger.latest_checkpoint(tenant).size == size  # nothing more was logged
