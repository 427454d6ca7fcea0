"""Ingest over the API: registration, decisions single and by the batch, outcomes, and refusals.

A refused request stores nothing of what it carried, answers ``{"error": {"status", "message"}}``
naming the decision and the field, and repeats no personal value it was sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from attest.api import create_app
from attest.core.checkpoint import verify_checkpoint
from attest.core.inventory import ModelVersion
from attest.core.proof_document import verify_proof_document
from attest.runtime import Runtime
from attest.store.base import DecisionFilter
from tests.api.conftest import TestClient
from tests.api.support import (
    ARTIFACT,
    PERSONAL,
    Bank,
    assert_error,
    assert_not_echoed,
    bearer,
    decision_payload,
    make_runtime,
    seed_bank,
    system_payload,
    tree_size,
    unique,
    version_payload,
    with_artifact,
)


@dataclass(frozen=True)
class Registered:
    tenant: str
    developer: dict[str, str]
    reader: dict[str, str]
    validator: dict[str, str]

    @property
    def base(self) -> str:
        return f"/api/v1/tenants/{self.tenant}"


def _keys(runtime: Runtime, tenant: str) -> Registered:
    def key(role: str) -> dict[str, str]:
        return bearer(runtime.access.issue_key(f"{role} of {tenant}", [role], [tenant]).token)

    return Registered(tenant, key("developer"), key("auditor"), key("validator"))


@pytest.fixture
def registered(
    client: TestClient, runtime: Runtime, tenant: str, staff: dict[str, str]
) -> Registered:
    """A bank registered over the API: credit-underwriting v1 (with artifact), approved."""
    answer = client.post("/api/v1/tenants", json={"id": tenant, "name": "FCB"}, headers=staff)
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"tenant": {"id": tenant, "name": "FCB"}, "index": 0, "created": True}
    bank = _keys(runtime, tenant)
    systems = f"{bank.base}/systems"
    answer = client.post(
        systems, json=system_payload("credit-underwriting"), headers=bank.developer
    )
    assert answer.status_code == 201, answer.text
    version = version_payload("credit-underwriting", "v1", lifecycle="validation")
    answer = client.post(
        f"{systems}/credit-underwriting/versions",
        json=with_artifact(version, ARTIFACT),
        headers=bank.developer,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["model_version"] == ModelVersion.parse(version).to_json()
    answer = client.post(
        f"{systems}/credit-underwriting/versions/v1/lifecycle",
        json={"lifecycle": "approved", "reason": "validated on the 2026 holdout"},
        headers=bank.validator,
    )
    assert answer.status_code == 200, answer.text
    return bank


def _proof(client: TestClient, runtime: Runtime, bank: Registered, entry_id: str) -> Any:
    answer = client.get(f"{bank.base}/log/entries/{entry_id}/proof", headers=bank.reader)
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert verify_proof_document(document, runtime.ledger.verifier) == []
    return document


def _check_answer(runtime: Runtime, tenant: str, answer: Any, ids: list[str]) -> list[int]:
    """An ingest answer: each decision's id, index and flags, then tree size and checkpoint."""
    assert set(answer) == {"decisions", "tree_size", "checkpoint"}
    assert [d["id"] for d in answer["decisions"]] == ids
    indexes = [d["index"] for d in answer["decisions"]]
    checkpoint = verify_checkpoint(answer["checkpoint"], runtime.ledger.verifier)
    assert checkpoint.size == answer["tree_size"] == tree_size(runtime, tenant)
    assert checkpoint.origin == f"{runtime.settings.host}/attest/{tenant}"
    assert max(indexes) < answer["tree_size"]
    return indexes


# -- the happy path --------------------------------------------------------------------------------


def test_a_model_version_is_registered_with_its_artifact_and_downloads_intact(
    client: TestClient, runtime: Runtime, registered: Registered
) -> None:
    bank = registered
    versions = f"{bank.base}/systems/credit-underwriting/versions"
    answer = client.get(f"{versions}/v1", headers=bank.reader)
    assert answer.json()["model_version"]["lifecycle"] == "approved"
    download = client.get(f"{versions}/v1/artifact", headers=bank.reader)
    assert download.status_code == 200
    assert download.content == ARTIFACT
    assert download.headers["X-Artifact-SHA256"] == hashlib.sha256(download.content).hexdigest()
    assert download.headers["X-Artifact-Format"] == "skops"
    assert download.headers["content-type"] == "application/octet-stream"
    # An artifact that is not what its hash says, or not base64, registers nothing.
    size = tree_size(runtime, bank.tenant)
    v2 = version_payload("credit-underwriting", "v2")
    refused = client.post(versions, json=with_artifact(v2, b"other bytes"), headers=bank.developer)
    assert_error(refused, 400, "'artifact_sha256'")
    body = with_artifact(v2, ARTIFACT) | {"artifact": "not base64!"}
    assert_error(client.post(versions, json=body, headers=bank.developer), 400, "'artifact'")
    assert tree_size(runtime, bank.tenant) == size
    assert_error(client.get(f"{versions}/v2", headers=bank.reader), 404)


def test_a_decision_gets_its_index_and_a_signed_checkpoint_and_proves(
    client: TestClient, runtime: Runtime, registered: Registered
) -> None:
    bank = registered
    size = tree_size(runtime, bank.tenant)
    answer = client.post(
        f"{bank.base}/decisions", json=decision_payload("d-1"), headers=bank.developer
    )
    assert answer.status_code == 201, answer.text
    assert _check_answer(runtime, bank.tenant, answer.json(), ["d-1"]) == [size]
    assert answer.json()["decisions"] == [
        {"id": "d-1", "index": size, "created": True, "flags": []}
    ]
    document = _proof(client, runtime, bank, "d-1")
    assert document["index"] == size and document["tree_size"] == size + 1
    # The entry commits to the identifiers and protected attributes, it does not hold them.
    entry = base64.b64decode(document["entry"]).decode()
    assert "Jane" not in entry and "Zorblaxian" not in entry and "078-05-1120" not in entry
    read = client.get(f"{bank.base}/decisions/d-1", headers=bank.reader)
    assert read.status_code == 200 and read.json()["decision"]["idx"] == size
    assert_not_echoed(read, PERSONAL[:3])


def test_a_batch_of_500_is_stored_in_order_and_a_retry_adds_nothing(
    client: TestClient, runtime: Runtime, registered: Registered
) -> None:
    bank = registered
    ids = [f"b-{i}" for i in range(500)]
    body = {"decisions": [decision_payload(i) for i in ids]}
    size = tree_size(runtime, bank.tenant)
    answer = client.post(f"{bank.base}/decisions/batch", json=body, headers=bank.developer)
    assert answer.status_code == 201, answer.text
    indexes = _check_answer(runtime, bank.tenant, answer.json(), ids)
    assert indexes == list(range(size, size + 500))
    assert answer.json()["tree_size"] == size + 500
    assert all(d["created"] and d["flags"] == [] for d in answer.json()["decisions"])
    for entry_id in ("b-0", "b-250", "b-499"):
        _proof(client, runtime, bank, entry_id)

    again = client.post(f"{bank.base}/decisions/batch", json=body, headers=bank.developer)
    assert again.status_code == 201, again.text
    assert _check_answer(runtime, bank.tenant, again.json(), ids) == indexes
    assert not any(d["created"] for d in again.json()["decisions"])
    assert again.json()["tree_size"] == size + 500
    # The same ids with other content are a conflict, and the new decision with them is not kept.
    changed = body["decisions"][:3] + [decision_payload("b-new")]
    changed[2] = decision_payload("b-2", output={"label": "decline"})
    refused = client.post(
        f"{bank.base}/decisions/batch", json={"decisions": changed}, headers=bank.developer
    )
    assert_error(refused, 409, "b-2")
    assert_not_echoed(refused, PERSONAL)
    assert tree_size(runtime, bank.tenant) == size + 500
    assert_error(client.get(f"{bank.base}/decisions/b-new", headers=bank.reader), 404)


def test_outcomes_are_recorded_and_shown_as_events_of_their_decision(
    client: TestClient, runtime: Runtime, registered: Registered
) -> None:
    bank = registered
    body = {"decisions": [decision_payload("d-1"), decision_payload("d-2")]}
    assert client.post(f"{bank.base}/decisions/batch", json=body, headers=bank.developer).is_success
    outcome = {
        "decision_id": "d-1",
        "outcome": "repaid",
        "observed_at": "2027-05-01T00:00:00Z",
        "outcome_id": "o-1",
    }
    answer = client.post(
        f"{bank.base}/outcomes", json={"outcomes": [outcome]}, headers=bank.developer
    )
    assert answer.status_code == 201, answer.text
    (accepted,) = answer.json()["outcomes"]
    assert accepted["id"] == "o-1" and accepted["created"] is True
    assert answer.json()["tree_size"] == accepted["index"] + 1
    verify_checkpoint(answer.json()["checkpoint"], runtime.ledger.verifier)
    read = client.get(f"{bank.base}/decisions/d-1", headers=bank.reader).json()
    assert read["decision"]["outcome"] == "repaid"
    assert read["decision"]["outcome_index"] == accepted["index"]
    (event,) = read["events"]
    assert event["outcome_id"] == "o-1" and event["outcome"] == "repaid"
    assert event["idx"] == accepted["index"] and event["observed_at"].startswith("2027-05-01")
    other = client.get(f"{bank.base}/decisions/d-2", headers=bank.reader).json()
    assert other["decision"]["outcome"] is None and other["events"] == []
    # A retry is the same outcome; an outcome of no logged decision is refused.
    retry = client.post(
        f"{bank.base}/outcomes", json={"outcomes": [outcome]}, headers=bank.developer
    )
    assert retry.json()["outcomes"][0] == accepted | {"created": False}
    size = tree_size(runtime, bank.tenant)
    refused = client.post(
        f"{bank.base}/outcomes",
        json={"outcomes": [outcome | {"outcome_id": "o-2"}, {"decision_id": "nope", "outcome": 1}]},
        headers=bank.developer,
    )
    assert_error(refused, 400, "outcome 2", "'decision_id'")
    assert tree_size(runtime, bank.tenant) == size


def test_decisions_of_unknown_retired_or_unapproved_versions_are_kept_and_flagged(
    client: TestClient, runtime: Runtime, registered: Registered
) -> None:
    bank = registered
    versions = f"{bank.base}/systems/credit-underwriting/versions"
    for version, lifecycle in (("v0", "approved"), ("v3", "validation")):
        payload = version_payload("credit-underwriting", version, lifecycle=lifecycle)
        body = {k: v for k, v in payload.items() if k != "system"}
        assert client.post(versions, json=body, headers=bank.developer).status_code == 201
    retire = {"lifecycle": "retired", "reason": "replaced by v1"}
    answer = client.post(f"{versions}/v0/lifecycle", json=retire, headers=bank.validator)
    assert answer.status_code == 200
    body = {
        "decisions": [
            decision_payload("u", version="v9", inputs={"anything": "goes"}),
            decision_payload("r", version="v0"),
            decision_payload("n", version="v3"),
            decision_payload("ok", version="v1"),
        ]
    }
    answer = client.post(f"{bank.base}/decisions/batch", json=body, headers=bank.developer)
    assert answer.status_code == 201, answer.text
    flags = {d["id"]: d["flags"] for d in answer.json()["decisions"]}
    expected = {
        "u": ["unknown_model_version"],
        "r": ["retired_model_version"],
        "n": ["unapproved_model_version"],
        "ok": [],
    }
    assert flags == expected
    for decision_id, flag in expected.items():
        row = client.get(f"{bank.base}/decisions/{decision_id}", headers=bank.reader).json()
        assert row["decision"]["flags"] == (",".join(flag) or None)
    listed = client.get(f"{bank.base}/decisions?flagged=true", headers=bank.reader).json()
    assert {d["decision_id"] for d in listed["decisions"]} == {"u", "r", "n"}
    _proof(client, runtime, bank, "u")


# -- refusals --------------------------------------------------------------------------------------


@pytest.fixture
def bank(runtime: Runtime, tenant: str) -> Bank:
    return seed_bank(runtime, tenant, "a")


@pytest.fixture
def developer(runtime: Runtime, bank: Bank) -> dict[str, str]:
    return bearer(runtime.access.issue_key("ingest", ["developer"], [bank.id]).token)


def _stored(runtime: Runtime, tenant: str) -> tuple[int, list[str]]:
    rows = runtime.decisions.find(tenant, DecisionFilter(limit=500))
    return tree_size(runtime, tenant), [r["decision_id"] for r in rows]


def _decisions(bank: Bank, count: int = 5) -> list[dict[str, Any]]:
    return [decision_payload(f"d-{i}", bank.system, bank.version) for i in range(1, count + 1)]


Change = Callable[[dict[str, Any]], Any]


def _with(**changes: Any) -> Change:
    return lambda decision: decision | changes


def _inputs(**changes: Any) -> Change:
    return lambda decision: decision | {"inputs": decision["inputs"] | changes}


@dataclass(frozen=True)
class Bad:
    """Decision 3 (id d-3) of five changed; the answer must name these and repeat ``sent``."""

    change: Change
    status: int
    fragments: tuple[str, ...]
    sent: tuple[str, ...] = ()
    raw: Callable[[str], str] | None = None  # rewrites the JSON text of the batch


def _raw(old: str, new: str) -> Callable[[str], str]:
    def rewrite(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return rewrite


DECISION_3 = ("decision 3 (id d-3)",)
BAD_DECISIONS = {
    "a string for an integer": Bad(
        _inputs(term="twenty-four months"), 400, (*DECISION_3, "'inputs.term'"), ("twenty-four",)
    ),
    "a string for a number": Bad(
        _with(output={"label": "approve", "score": "very-high-score"}),
        400,
        (*DECISION_3, "'output.score'"),
        ("very-high-score",),
    ),
    "a string for true or false": Bad(
        _with(adverse="adverse-yes"), 400, (*DECISION_3, "'adverse'"), ("adverse-yes",)
    ),
    "a list for the inputs": Bad(
        _with(inputs=["Jane Q. Applicant"]), 400, (*DECISION_3, "'inputs'")
    ),
    "a value below the minimum": Bad(
        _inputs(amount=-98765.4321), 400, (*DECISION_3, "'inputs.amount'", "minimum"), ("98765",)
    ),
    "a value above the maximum": Bad(
        _inputs(amount=123456.789), 400, (*DECISION_3, "'inputs.amount'", "maximum"), ("123456",)
    ),
    "a fraction for an integer": Bad(
        _inputs(term=24.5), 400, (*DECISION_3, "'inputs.term'"), ("24.5",)
    ),
    "an unknown category": Bad(
        _inputs(purpose="hovercraft"), 400, (*DECISION_3, "'inputs.purpose'"), ("hovercraft",)
    ),
    "a feature outside the schema": Bad(
        _inputs(maiden_name="Smithsonian"), 400, (*DECISION_3, "inputs.maiden_name"), ("Smiths",)
    ),
    "a required feature missing": Bad(
        lambda d: d | {"inputs": {"amount": 4321.5, "purpose": "car"}},
        400,
        (*DECISION_3, "'inputs.term' is required"),
    ),
    "an unknown system": Bad(_with(system="no-such-system"), 400, (*DECISION_3, "'system'")),
    "identifiers without a subject": Bad(_with(subject=None), 400, (*DECISION_3, "'subject'")),
    "a time that is not one": Bad(
        _with(decided_at="last tuesday noon"), 400, (*DECISION_3, "'decided_at'"), ("tuesday",)
    ),
    "a time without offset": Bad(
        _with(decided_at="2026-11-27T09:00:00"), 400, (*DECISION_3, "'decided_at'")
    ),
    "an unknown field": Bad(_with(ssn="078-05-1120"), 400, (*DECISION_3, "unknown field 'ssn'")),
    "identifiers that are not an object": Bad(
        _with(identifiers="Jane Q. Applicant"), 400, (*DECISION_3, "'identifiers'")
    ),
    "a decision that is not an object": Bad(
        lambda d: "Jane Q. Applicant", 400, ("decision 3:", "JSON object")
    ),
    "a decision id that is not an id": Bad(
        _with(decision_id="Jane Q. Applicant"), 400, ("decision 3:", "'decision_id'")
    ),
    "a number no double holds": Bad(
        _with(context={"channel": "HUGE"}),
        400,
        ("decision 3", "d-3", "context/channel"),
        ("123456789012345678901234567890",),
        _raw('"HUGE"', "123456789012345678901234567890"),
    ),
    "a number beyond a double": Bad(
        _with(context={"channel": "HUGE"}),
        400,
        ("decision 3", "d-3", "context/channel"),
        raw=_raw('"HUGE"', "1e400"),
    ),
    "a lone surrogate": Bad(
        _with(context={"channel": "LONE"}),
        400,
        ("decision 3", "d-3", "context/channel"),
        raw=_raw('"LONE"', '"\\ud800"'),
    ),
    "NaN": Bad(_inputs(amount="NAN"), 400, ("NaN",), raw=_raw('"NAN"', "NaN")),
    "Infinity": Bad(_inputs(amount="INF"), 400, ("Infinity",), raw=_raw('"INF"', "-Infinity")),
    "a duplicate key": Bad(
        _with(identifiers={"name": "Jane Q. Applicant", "DUP": 1}),
        400,
        ("duplicate object key 'name'",),
        raw=_raw('"DUP":1', '"name":"Jane Q. Applicant"'),
    ),
    "malformed JSON": Bad(
        _with(), 400, ("malformed JSON",), raw=lambda text: text[: text.index("Zorblaxian") + 12]
    ),
    "bytes that are not UTF-8": Bad(
        _with(), 400, ("UTF-8",), raw=_raw('"Jane Q. Applicant"', '"Jane Q. Applicant\udcff"')
    ),
}


def _send(client: TestClient, path: str, bad: Bad, batch: list[Any], headers: Any) -> Any:
    text = json.dumps({"decisions": batch}, separators=(",", ":"))
    if bad.raw is not None:
        text = bad.raw(text)
    content = text.encode("utf-8", "surrogateescape")
    headers = headers | {"Content-Type": "application/json"}
    return client.post(path, content=content, headers=headers)


@pytest.mark.parametrize("case", BAD_DECISIONS, ids=str)
def test_a_batch_with_one_bad_decision_is_refused_whole_without_echo(
    client: TestClient,
    runtime: Runtime,
    bank: Bank,
    developer: dict[str, str],
    case: str,
) -> None:
    bad = BAD_DECISIONS[case]
    batch: list[Any] = _decisions(bank)
    batch[2] = bad.change(batch[2])
    before = _stored(runtime, bank.id)
    path = f"/api/v1/tenants/{bank.id}/decisions/batch"
    response = _send(client, path, bad, batch, developer)
    assert_error(response, bad.status, *bad.fragments)
    assert_not_echoed(response, PERSONAL + bad.sent)
    assert _stored(runtime, bank.id) == before


def test_a_batch_of_500_with_one_bad_decision_in_the_middle_stores_nothing(
    client: TestClient, runtime: Runtime, bank: Bank, developer: dict[str, str]
) -> None:
    batch = _decisions(bank, 500)
    batch[249]["inputs"]["amount"] = 123456.789
    before = _stored(runtime, bank.id)
    response = client.post(
        f"/api/v1/tenants/{bank.id}/decisions/batch", json={"decisions": batch}, headers=developer
    )
    assert_error(response, 400, "decision 250 (id d-250)", "'inputs.amount'")
    assert_not_echoed(response, (*PERSONAL, "123456"))
    assert _stored(runtime, bank.id) == before


@pytest.mark.parametrize(
    ("path", "body", "fragments"),
    [
        pytest.param(
            "decisions/batch", [{"decision_id": "d-1"}], ('{"decisions": [...]}',), id="a list"
        ),
        pytest.param(
            "decisions/batch",
            {"decisions": {"d-1": "Jane Q. Applicant"}},
            ('{"decisions": [...]}',),
            id="decisions not a list",
        ),
        pytest.param(
            "decisions/batch", {"decision": []}, ('{"decisions": [...]}',), id="no decisions"
        ),
        pytest.param(
            "decisions/batch", {"decisions": []}, ("at least one decision",), id="empty batch"
        ),
        pytest.param(
            "decisions/batch", "Jane Q. Applicant", ('{"decisions": [...]}',), id="a string"
        ),
        pytest.param(
            "decisions", ["Jane Q. Applicant"], ("decision 1:", "JSON object"), id="single list"
        ),
        pytest.param("decisions", None, ("decision 1:", "JSON object"), id="single null"),
        pytest.param(
            "outcomes",
            {"outcomes": "Jane Q. Applicant"},
            ('{"outcomes": [...]}',),
            id="outcomes not a list",
        ),
        pytest.param(
            "outcomes",
            {"outcomes": [{"decision_id": "d-1"}]},
            ("outcome 1:", "'outcome'"),
            id="outcome missing",
        ),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused_without_echo(
    client: TestClient,
    runtime: Runtime,
    bank: Bank,
    developer: dict[str, str],
    path: str,
    body: Any,
    fragments: tuple[str, ...],
) -> None:
    before = _stored(runtime, bank.id)
    response = client.post(
        f"/api/v1/tenants/{bank.id}/{path}",
        content=json.dumps(body),
        headers=developer | {"Content-Type": "application/json"},
    )
    assert_error(response, 400, *fragments)
    assert_not_echoed(response, PERSONAL)
    assert _stored(runtime, bank.id) == before


def test_a_single_decision_is_named_by_its_id(
    client: TestClient, runtime: Runtime, bank: Bank, developer: dict[str, str]
) -> None:
    decision = decision_payload("d-1", bank.system, bank.version)
    decision["inputs"]["purpose"] = "hovercraft"
    before = _stored(runtime, bank.id)
    response = client.post(f"/api/v1/tenants/{bank.id}/decisions", json=decision, headers=developer)
    assert_error(response, 400, "decision 1 (id d-1)", "'inputs.purpose'")
    assert_not_echoed(response, (*PERSONAL, "hovercraft"))
    assert _stored(runtime, bank.id) == before


def test_an_unknown_tenant_is_404_and_gets_no_log(client: TestClient, runtime: Runtime) -> None:
    staff = bearer(runtime.access.issue_key("staff", ["developer"], ["*"]).token)
    unknown = unique("bank-none")
    body = {"decisions": [decision_payload("d-1")]}
    for path in (f"/api/v1/tenants/{unknown}/decisions/batch", "/api/v1/decisions/batch"):
        response = client.post(path, json=body, headers=staff | {"X-Attest-Tenant": unknown})
        assert_error(response, 404, "unknown tenant")
        assert_not_echoed(response, PERSONAL)
    assert runtime.store.origin(unknown) is None


@pytest.fixture
def tight(runtime: Runtime, tmp_path: Path) -> Any:
    """A second app on the same database and keys, with small limits."""
    small = make_runtime(
        tmp_path / "home",
        runtime.settings.effective_database_url,
        max_request_bytes=8192,
        max_batch=10,
    )
    with TestClient(create_app(small)) as client:
        yield client
    small.close()


def test_a_body_over_the_size_limit_is_413_declared_or_streamed(
    tight: TestClient, runtime: Runtime, bank: Bank, developer: dict[str, str]
) -> None:
    content = json.dumps({"decisions": _decisions(bank, 30)}).encode()
    assert len(content) > 8192
    path = f"/api/v1/tenants/{bank.id}/decisions/batch"
    headers = developer | {"Content-Type": "application/json"}
    before = _stored(runtime, bank.id)
    declared = tight.post(path, content=content, headers=headers)
    chunks = [content[i : i + 1000] for i in range(0, len(content), 1000)]
    streamed = tight.post(path, content=iter(chunks), headers=headers)
    assert "content-length" not in streamed.request.headers
    for response in (declared, streamed):
        assert_error(response, 413, "8192 bytes")
        assert_not_echoed(response, PERSONAL)
    assert _stored(runtime, bank.id) == before
    # Just under the limit goes through.
    small = {"decisions": _decisions(bank, 2)}
    assert tight.post(path, json=small, headers=developer).status_code == 201


def test_a_batch_over_the_batch_limit_is_refused(
    tight: TestClient, runtime: Runtime, bank: Bank, developer: dict[str, str]
) -> None:
    before = _stored(runtime, bank.id)
    for path, key in (("decisions/batch", "decisions"), ("outcomes", "outcomes")):
        items = [{"decision_id": bank.decision, "outcome": i} for i in range(11)]
        if key == "decisions":
            items = [{"decision_id": f"d-{i}", "system": bank.system} for i in range(11)]
        response = tight.post(
            f"/api/v1/tenants/{bank.id}/{path}", json={key: items}, headers=developer
        )
        assert_error(response, 400, f"at most 10 {key}")
    assert _stored(runtime, bank.id) == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "Jane Q. Applicant"}, "limit"),
        ({"limit": "Zorblaxian-0"}, "limit"),
        ({"since": "Jane Q. Applicant"}, "since"),
        ({"until": "078-05-1120"}, "until"),
        ({"before_index": "4321.5"}, "before_index"),
        ({"adverse": "Zorblaxian"}, "adverse"),
    ],
)
def test_query_validation_errors_name_the_field_not_the_value(
    client: TestClient, bank: Bank, developer: dict[str, str], query: dict[str, str], field: str
) -> None:
    response = client.get(f"/api/v1/tenants/{bank.id}/decisions", params=query, headers=developer)
    assert_error(response, 422, field)
    assert_not_echoed(response, PERSONAL)


def test_a_proof_of_a_refused_decision_does_not_exist(
    client: TestClient, runtime: Runtime, bank: Bank, developer: dict[str, str]
) -> None:
    batch = _decisions(bank, 3)
    batch[2]["inputs"]["amount"] = -1
    url = f"/api/v1/tenants/{bank.id}"
    refused = client.post(f"{url}/decisions/batch", json={"decisions": batch}, headers=developer)
    assert_error(refused, 400, "decision 3 (id d-3)")
    for decision_id in ("d-1", "d-3"):
        assert_error(client.get(f"{url}/log/entries/{decision_id}/proof", headers=developer), 404)
        assert_error(client.get(f"{url}/decisions/{decision_id}", headers=developer), 404)
