"""What each answer does: retry (unreachable, 5xx, 408, 429), split and dead-letter (4xx)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from attest.sdk import DeadLetter
from tests.sdk.conftest import MakeClient, decision
from tests.sdk.fakes import FakeApi, error


def test_a_refused_record_is_isolated_and_dead_lettered(
    api: FakeApi, make_client: MakeClient, tmp_path: Path
) -> None:
    api.refuse = lambda r: (
        "field 'output.label' must be a non-empty string" if r["output"]["label"] == "" else None
    )
    called: list[DeadLetter] = []
    client = make_client(batch_size=100, on_error=called.append)
    ids = [
        client.log_decision(**decision(n, output={"label": "" if n == 37 else "approve"}))
        for n in range(100)
    ]
    assert client.flush(timeout=10)  # settled: 99 stored, 1 dead-lettered
    assert api.stored_ids() == ids[:37] + ids[38:]
    assert len(api.requests) <= 2 * math.ceil(math.log2(100)) + 1  # halving, not one by one
    (letter,) = client.errors()
    assert called == [letter]
    assert letter.status == 400 and letter.kind == "decision"
    assert letter.message == "decision 1: field 'output.label' must be a non-empty string"
    assert letter.record["decision_id"] == ids[37]
    (line,) = (tmp_path / "spool" / "dead-letter.jsonl").read_text().splitlines()
    assert json.loads(line)["record"]["decision_id"] == ids[37]
    stats = client.stats()
    assert (stats.delivered, stats.dead_lettered, stats.pending) == (99, 1, 0)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (401, "the API key is not valid"),
        (403, "key 1 (sdk) may not reach tenant other-bank"),
        (404, "unknown tenant other-bank"),
        (400, "name the tenant (header X-Attest-Tenant): this key reaches more than one"),
    ],
)
def test_a_refusal_of_the_caller_dead_letters_the_batch_whole(
    status: int, message: str, api: FakeApi, make_client: MakeClient
) -> None:
    api.script = [error(status, message)]
    client = make_client(batch_size=50)
    for n in range(50):
        client.log_decision(**decision(n))
    assert client.flush(timeout=5)
    assert len(api.requests) == 1  # no splitting: every half would be refused too
    letters = client.errors()
    assert len(letters) == 50 and {x.status for x in letters} == {status}
    assert {x.message for x in letters} == {message}


@pytest.mark.parametrize(
    "answer",
    [
        lambda: error(400, "a batch holds at most 10 decisions"),
        lambda: error(413, "the request body is over the limit of 9000 bytes"),
    ],
    ids=["max_batch", "max_request_bytes"],
)
def test_a_batch_too_big_for_the_server_is_split_until_accepted(
    answer: Callable[[], httpx.Response], api: FakeApi, make_client: MakeClient
) -> None:
    api.script = [answer(), answer(), answer()]  # 40 -> 20 -> 10 and 10 -> ...
    client = make_client(batch_size=40)
    ids = [client.log_decision(**decision(n)) for n in range(40)]
    assert client.flush(timeout=5)
    assert api.stored_ids() == ids and client.errors() == []


@pytest.mark.parametrize(
    "answer",
    [
        lambda: error(503, "the database is busy"),
        lambda: error(500, "internal"),
        lambda: error(502, "bad gateway"),
        lambda: error(408, "timeout"),
        lambda: error(429, "slow down", **{"Retry-After": "0"}),
        lambda: httpx.Response(201, text="<html>a proxy's page</html>"),
    ],
    ids=["503", "500", "502", "408", "429", "2xx-unconfirmed"],
)
def test_passing_failures_are_retried_until_delivered(
    answer: Callable[[], httpx.Response], api: FakeApi, make_client: MakeClient
) -> None:
    api.script = [answer(), answer()]
    client = make_client()
    ids = [client.log_decision(**decision(n)) for n in range(3)]
    for _ in range(3):  # a flush makes one attempt past a failure
        if client.flush(timeout=5):
            break
    assert api.stored_ids() == ids
    assert client.stats().retries == 2 and client.errors() == []


def test_retry_after_is_honoured(api: FakeApi, make_client: MakeClient) -> None:
    api.script = [error(429, "slow down", **{"Retry-After": "30"})]
    client = make_client(flush_interval=0)
    client.log_decision(**decision(1))
    assert not client.flush(timeout=5)
    assert len(api.requests) == 1
    assert client.stats().pending == 1 and "429" in str(client.stats().last_error)


def test_a_resent_batch_is_answered_as_already_stored(
    api: FakeApi, make_client: MakeClient
) -> None:
    client = make_client()
    decision_id = client.log_decision(**decision(1), decision_id="d-1")
    assert client.flush(timeout=5)
    client.log_decision(**decision(1), decision_id=decision_id)
    assert client.flush(timeout=5)
    stats = client.stats()
    assert (stats.created, stats.repeated) == (1, 1)


def test_a_record_json_cannot_carry_is_dead_lettered_without_sending(
    api: FakeApi, make_client: MakeClient
) -> None:
    client = make_client()
    client.log_decision(**decision(1, inputs={"amount": object()}))
    client.log_decision(**decision(2, inputs={"amount": math.inf}))
    kept = client.log_decision(**decision(3))
    assert client.flush(timeout=5)
    assert api.stored_ids() == [kept]
    first, second = client.errors()
    assert first.status == second.status == 0
    assert "not JSON" in first.message and "Infinity" in second.message


def test_a_value_that_fails_to_convert_loses_nothing_else(
    api: FakeApi, make_client: MakeClient
) -> None:
    class Broken:
        def tolist(self) -> list[int]:
            raise RuntimeError("cannot convert")

    client = make_client()
    before = client.log_decision(**decision(1))
    client.log_decision(**decision(2, inputs={"amount": Broken()}))
    after = client.log_decision(**decision(3))
    assert client.flush(timeout=5)
    assert api.stored_ids() == [before, after]
    (letter,) = client.errors()
    assert letter.message == "not sent: RuntimeError: cannot convert"


def test_nan_inputs_are_sent_as_missing(api: FakeApi, make_client: MakeClient) -> None:
    client = make_client()
    client.log_decision(**decision(1, inputs={"amount": math.nan, "term": 24}))
    assert client.flush(timeout=5)
    assert api.requests[0][1][0]["inputs"] == {"amount": None, "term": 24}


def test_numpy_values_are_sent_as_numbers(api: FakeApi, make_client: MakeClient) -> None:
    np = pytest.importorskip("numpy")
    client = make_client()
    client.log_decision(
        **decision(1, inputs={"amount": np.float32("nan"), "term": np.int64(24)}),
        explanation={"method": "shap", "attributions": {"term": np.float64(0.25)}},
    )
    assert client.flush(timeout=5)
    sent = api.requests[0][1][0]
    assert sent["inputs"] == {"amount": None, "term": 24}
    assert sent["explanation"]["attributions"] == {"term": 0.25}
