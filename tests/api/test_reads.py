"""Reading over the API: the decision explorer's filters and pages, a decision with its events,
the newest signed checkpoint and the key that verifies it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from attest.core.checkpoint import Checkpoint, VerifierKey, checkpoint_text_of, verify_checkpoint
from attest.core.inventory import AISystem, ModelVersion, Tenant
from attest.core.proof_document import verify_proof_document
from attest.errors import VerificationError
from attest.runtime import Runtime
from tests.api.conftest import TestClient
from tests.api.support import (
    ARTIFACT,
    PERSONAL,
    assert_error,
    assert_not_echoed,
    bearer,
    decision_payload,
    system_payload,
    tree_size,
    unique,
    version_payload,
)
from tests.conftest import OTHER_SIGNER

CREDIT, FRAUD = "credit-underwriting", "fraud-screening"


@dataclass(frozen=True)
class History:
    """Four batches, one second apart: ids of each, newest decision last."""

    tenant: str
    reader: dict[str, str]
    batches: list[list[str]]

    @property
    def url(self) -> str:
        return f"/api/v1/tenants/{self.tenant}"

    @property
    def newest_first(self) -> list[str]:
        return [d for batch in self.batches for d in batch][::-1]


def _credit(i: int, version: str = "v1") -> dict[str, Any]:
    label = "decline" if i % 2 else "approve"
    return decision_payload(
        f"c-{i}",
        CREDIT,
        version,
        output={"label": label, "score": i / 10},
        adverse=label == "decline",
        decided_at=f"2026-11-26T0{i}:00:00+01:00",
    )


@pytest.fixture
def history(runtime: Runtime, tenant: str, clock: Callable[[], datetime]) -> History:
    runtime.ledger.clock = clock  # one second per append: logged_at tells the batches apart
    inventory = runtime.inventory
    inventory.register_tenant(Tenant(tenant, "First Community Bank"))
    for system in (CREDIT, FRAUD):
        inventory.register_system(tenant, AISystem.parse(system_payload(system)))
    for system, version in ((CREDIT, "v1"), (CREDIT, "v2"), (FRAUD, "f1")):
        inventory.register_model_version(
            tenant, ModelVersion.parse(version_payload(system, version)), ARTIFACT
        )
    batches = [
        [_credit(i) for i in range(6)],
        [_credit(i, "v2") for i in range(6, 9)],
        [
            decision_payload(f"f-{i}", FRAUD, "f1", output={"label": "clear"}, adverse=None)
            for i in range(2)
        ],
        [decision_payload("u-0", CREDIT, "v9", inputs={"anything": "goes"})],
    ]
    for batch in batches:
        runtime.decisions.ingest(tenant, batch, 10)
    reader = bearer(runtime.access.issue_key("explorer", ["reviewer"], [tenant]).token)
    return History(tenant, reader, [[d["decision_id"] for d in batch] for batch in batches])


def _ids(client: TestClient, history: History, **query: Any) -> list[str]:
    answer = client.get(f"{history.url}/decisions", params=query, headers=history.reader)
    assert answer.status_code == 200, answer.text
    assert_not_echoed(answer, PERSONAL[:3])  # identifiers and protected stay in the vault
    return [row["decision_id"] for row in answer.json()["decisions"]]


def _logged_at(client: TestClient, history: History, decision_id: str) -> str:
    answer = client.get(f"{history.url}/decisions/{decision_id}", headers=history.reader)
    return str(answer.json()["decision"]["logged_at"])


def test_without_filters_the_newest_decisions_come_first(
    client: TestClient, history: History
) -> None:
    assert _ids(client, history) == history.newest_first


def test_decisions_filter_by_system_version_label_adverse_and_flag(
    client: TestClient, history: History
) -> None:
    assert _ids(client, history, system=FRAUD) == ["f-1", "f-0"]
    assert _ids(client, history, model_version="v2") == ["c-8", "c-7", "c-6"]
    assert _ids(client, history, label="decline") == ["c-7", "c-5", "c-3", "c-1"]
    assert _ids(client, history, adverse="true") == ["c-7", "c-5", "c-3", "c-1"]
    assert _ids(client, history, adverse="false") == ["u-0", "c-8", "c-6", "c-4", "c-2", "c-0"]
    assert _ids(client, history, flagged="true") == ["u-0"]
    assert "u-0" not in _ids(client, history, flagged="false")
    assert len(_ids(client, history, flagged="false")) == 11
    assert _ids(client, history, system=CREDIT, label="approve", limit=2) == ["u-0", "c-8"]
    assert _ids(client, history, system="no-such-system") == []


def test_decisions_filter_by_the_time_they_were_logged(
    client: TestClient, history: History
) -> None:
    second = _logged_at(client, history, "c-6")  # the second batch
    third = _logged_at(client, history, "f-0")
    assert second.endswith("Z") and second < third
    batch_2, later = ["c-8", "c-7", "c-6"], ["u-0", "f-1", "f-0"]
    assert _ids(client, history, since=second) == later + batch_2
    assert _ids(client, history, until=second) == ["c-5", "c-4", "c-3", "c-2", "c-1", "c-0"]
    assert _ids(client, history, since=second, until=third) == batch_2
    # The same instant in another offset, or without one (taken as UTC), selects the same.
    moment = datetime.fromisoformat(second)
    in_berlin = moment.astimezone(timezone(timedelta(hours=1))).isoformat()
    in_denver = moment.astimezone(timezone(timedelta(hours=-7))).isoformat()
    naive = moment.replace(tzinfo=None).isoformat()
    for spelling in (in_berlin, in_denver, naive):
        assert _ids(client, history, since=spelling, until=third) == batch_2, spelling


def test_decisions_page_by_index_within_the_limit_bounds(
    client: TestClient, history: History
) -> None:
    url, pages, before = f"{history.url}/decisions", [], None
    while True:
        query = {"limit": 5} | ({"before_index": before} if before is not None else {})
        rows = client.get(url, params=query, headers=history.reader).json()["decisions"]
        if not rows:
            break
        assert len(rows) <= 5 and [r["idx"] for r in rows] == sorted(
            (r["idx"] for r in rows), reverse=True
        )
        pages.append([r["decision_id"] for r in rows])
        before = rows[-1]["idx"]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [d for page in pages for d in page] == history.newest_first
    assert _ids(client, history, before_index=0) == []
    assert _ids(client, history, limit=1) == ["u-0"]
    assert _ids(client, history, limit=500) == history.newest_first
    for limit in (0, -1, 501):
        answer = client.get(url, params={"limit": limit}, headers=history.reader)
        assert_error(answer, 422, "limit")


def test_a_decision_reads_back_with_its_outcomes_as_events(
    client: TestClient, runtime: Runtime, history: History
) -> None:
    outcomes = [
        {
            "decision_id": "c-1",
            "outcome": "defaulted",
            "outcome_id": "o-1",
            "observed_at": "2027-05-01T00:30:00+02:00",
        },
        {"decision_id": "c-1", "outcome": "repaid", "outcome_id": "o-2"},
    ]
    accepted = runtime.decisions.record_outcomes(history.tenant, outcomes, 10)
    answer = client.get(f"{history.url}/decisions/c-1", headers=history.reader)
    assert answer.status_code == 200
    decision, events = answer.json()["decision"], answer.json()["events"]
    assert decision["decision_id"] == "c-1" and decision["system"] == CREDIT
    assert decision["model_version"] == "v1" and decision["label"] == "decline"
    assert decision["score"] == 0.1 and decision["adverse"] is True
    assert decision["inputs"] == {"amount": 4321.5, "term": 24, "purpose": "car"}
    assert decision["explanation"]["method"] == "coefficients"
    assert decision["subject"] == "applicant-c-1"
    assert datetime.fromisoformat(decision["decided_at"]) == datetime.fromisoformat(
        "2026-11-26T01:00:00+01:00"
    )
    assert decision["outcome"] == "repaid" and decision["outcome_index"] == accepted[1].index
    assert [(e["outcome_id"], e["outcome"], e["idx"]) for e in events] == [
        ("o-1", "defaulted", accepted[0].index),
        ("o-2", "repaid", accepted[1].index),
    ]
    observed = datetime.fromisoformat(events[0]["observed_at"])
    assert observed == datetime.fromisoformat("2027-05-01T00:30:00+02:00")
    assert events[1]["observed_at"] is None
    assert_not_echoed(answer, PERSONAL[:3])
    assert_error(client.get(f"{history.url}/decisions/c-99", headers=history.reader), 404)


def test_the_checkpoint_is_a_signed_note_of_the_current_log(
    client: TestClient, runtime: Runtime, history: History
) -> None:
    answer = client.get(f"{history.url}/log/checkpoint", headers=history.reader)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    note = answer.text
    checkpoint = verify_checkpoint(note, runtime.ledger.verifier)
    assert checkpoint.size == tree_size(runtime, history.tenant)
    assert checkpoint.origin == f"{runtime.settings.host}/attest/{history.tenant}"
    assert note == runtime.ledger.latest_checkpoint(history.tenant).note
    with pytest.raises(VerificationError):
        verify_checkpoint(note, OTHER_SIGNER.verifier)
    # The log grows; a proof from the old size shows the new checkpoint extends it.
    runtime.decisions.ingest(history.tenant, [_credit(9)], 10)
    newer = client.get(f"{history.url}/log/checkpoint", headers=history.reader).text
    assert checkpoint_text_of(newer).size == checkpoint.size + 1
    proof = client.get(
        f"{history.url}/log/entries/c-9/proof",
        params={"since": checkpoint.size},
        headers=history.reader,
    )
    assert proof.status_code == 200
    document = proof.json()
    assert document["consistency"]["from_size"] == checkpoint.size
    trusted = Checkpoint.from_text(checkpoint.to_text())
    assert verify_proof_document(document, runtime.ledger.verifier, trusted=trusted) == []
    for since in (0, checkpoint.size + 2):
        wrong = client.get(
            f"{history.url}/log/entries/c-9/proof", params={"since": since}, headers=history.reader
        )
        assert_error(wrong, 400, "since")


def test_the_verifier_key_is_the_runtimes_and_verifies_the_checkpoint(
    client: TestClient, runtime: Runtime, history: History
) -> None:
    answer = client.get(f"{history.url}/log/verifier-key", headers=history.reader)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text == str(runtime.ledger.verifier) + "\n"
    assert answer.text == runtime.settings.verifier_key_path.read_text()
    key = VerifierKey.from_string(answer.text.strip())
    note = client.get(f"{history.url}/log/checkpoint", headers=history.reader).text
    assert verify_checkpoint(note, key).size == tree_size(runtime, history.tenant)


def test_reads_of_an_unknown_tenant_are_404(client: TestClient, runtime: Runtime) -> None:
    staff = bearer(runtime.access.issue_key("staff", ["auditor"], ["*"]).token)
    unknown = f"/api/v1/tenants/{unique('bank-none')}"
    for path in ("", "/systems", "/decisions", "/decisions/d-1", "/log/checkpoint"):
        assert_error(client.get(unknown + path, headers=staff), 404)
