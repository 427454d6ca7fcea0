"""The client's contract: batching, ids and times chosen at the call, flush, close, exit."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import attest
from attest.sdk import Client, ClientClosed, SpoolBusy
from attest.sdk.spool import Spool
from tests.sdk.conftest import MakeClient, decision
from tests.sdk.fakes import FakeApi
from tests.sdk.server import ROOT

UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _wait(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_attest_exports_the_client_lazily() -> None:
    assert attest.Client is Client
    done = subprocess.run(
        [sys.executable, "-c", "import attest, sys; print('httpx' in sys.modules)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "False"


def test_batches_are_cut_at_batch_size_in_order(api: FakeApi, make_client: MakeClient) -> None:
    client = make_client(batch_size=500)
    ids = [client.log_decision(**decision(n)) for n in range(1200)]
    assert client.flush(timeout=10)
    assert api.batches() == [500, 500, 200]
    assert api.stored_ids() == ids
    stats = client.stats()
    assert (stats.delivered, stats.created, stats.pending, stats.queued) == (1200, 1200, 0, 0)


def test_a_full_batch_goes_without_waiting_for_the_interval(
    api: FakeApi, make_client: MakeClient
) -> None:
    client = make_client(batch_size=50, flush_interval=60)
    for n in range(120):
        client.log_decision(**decision(n))
    _wait(lambda: len(api.stored_ids()) >= 100)
    assert api.batches()[:2] == [50, 50]


def test_a_partial_batch_goes_after_flush_interval(api: FakeApi, make_client: MakeClient) -> None:
    client = make_client(batch_size=500, flush_interval=0.05)
    client.log_decision(**decision(1))
    client.log_decision(**decision(2))
    _wait(lambda: len(api.stored_ids()) == 2)
    assert api.batches() == [2]


def test_ids_and_times_are_chosen_at_the_call(api: FakeApi, make_client: MakeClient) -> None:
    client = make_client()
    before = datetime.now(UTC)
    decision_id = client.log_decision(**decision(1))
    given = client.log_decision(**decision(2), decision_id="d-2", decided_at="2026-01-02T03:04:05Z")
    outcome_id = client.log_outcome(decision_id, "repaid")
    time.sleep(0.05)  # sent later than logged: the stamps must not move
    assert client.flush(timeout=5)
    assert UUID7.fullmatch(decision_id) and UUID7.fullmatch(outcome_id) and given == "d-2"
    first, second = api.requests[0][1]
    (outcome,) = api.requests[1][1]
    stamped = datetime.fromisoformat(first["decided_at"].replace("Z", "+00:00"))
    assert before <= stamped < before + timedelta(milliseconds=40)
    assert second["decided_at"] == "2026-01-02T03:04:05Z"
    assert outcome == {
        "decision_id": decision_id,
        "outcome": "repaid",
        "outcome_id": outcome_id,
        "observed_at": outcome["observed_at"],
    }


def test_a_naive_time_is_refused_in_the_callers_thread(make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(ValueError, match="timezone-aware"):
        client.log_decision(**decision(1), decided_at=datetime(2026, 1, 1))


def test_reusing_an_inputs_dict_after_logging_is_safe(
    api: FakeApi, make_client: MakeClient
) -> None:
    client = make_client()
    features = {"amount": 1, "term": 24}
    for amount in (1, 2, 3):
        features["amount"] = amount
        client.log_decision(**decision(0, inputs=features))
    assert client.flush(timeout=5)
    assert [r["inputs"]["amount"] for r in api.requests[0][1]] == [1, 2, 3]


def test_outcomes_follow_the_decisions_logged_before_them(
    api: FakeApi, make_client: MakeClient
) -> None:
    client = make_client()
    first = client.log_decision(**decision(1))
    client.log_outcome(first, True)
    second = client.log_decision(**decision(2))
    client.log_outcome(second, 0.5)
    assert client.flush(timeout=5)
    assert [(path.rsplit("/", 1)[-1], len(r)) for path, r in api.requests] == [
        ("batch", 1),
        ("outcomes", 1),
        ("batch", 1),
        ("outcomes", 1),
    ]


def test_flush_returns_false_while_the_server_is_down_and_true_after(
    api: FakeApi, make_client: MakeClient
) -> None:
    client = make_client()
    api.up = False
    for n in range(10):
        client.log_decision(**decision(n))
    started = time.monotonic()
    assert client.flush(timeout=10) is False
    assert time.monotonic() - started < 2  # one failed attempt, not the whole timeout
    stats = client.stats()
    assert stats.pending == 10 and stats.retries >= 1 and "ConnectError" in str(stats.last_error)
    api.up = True
    assert client.flush(timeout=10)
    assert client.stats().pending == 0 and client.stats().last_error is None


def test_close_delivers_and_then_refuses_new_records(api: FakeApi, make_client: MakeClient) -> None:
    client = make_client()
    client.log_decision(**decision(1))
    assert client.close() is True
    assert client.close() is True  # twice is harmless
    assert len(api.stored_ids()) == 1
    with pytest.raises(ClientClosed):
        client.log_decision(**decision(2))
    with pytest.raises(ClientClosed):
        client.log_outcome("d", "x")


def test_close_with_the_server_down_keeps_records_for_the_next_client(
    api: FakeApi, make_client: MakeClient, tmp_path: Path
) -> None:
    api.up = False
    first = make_client()
    ids = [first.log_decision(**decision(n)) for n in range(5)]
    assert first.close(timeout=5) is False
    api.up = True
    second = make_client()
    assert second.stats().replayed == 5
    assert second.flush(timeout=5)
    assert api.stored_ids() == ids


def test_a_temporary_spool_is_removed_when_empty(api: FakeApi) -> None:
    client = Client("http://attest.test", "atk_test", transport=api.transport)
    directory = client.spool_dir
    client.log_decision(**decision(1))
    assert client.close()
    assert not directory.exists()


def test_one_client_per_spool_directory(make_client: MakeClient, tmp_path: Path) -> None:
    make_client()
    with pytest.raises(SpoolBusy, match="in use by another client"):
        make_client()


def test_many_threads_may_log_through_one_client(api: FakeApi, make_client: MakeClient) -> None:
    import threading

    client = make_client(batch_size=100)
    ids: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [client.log_decision(**decision(n)) for n in range(500)]
        with lock:
            ids.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.flush(timeout=10)
    assert sorted(api.stored_ids()) == sorted(ids) and len(ids) == 2000


def test_exit_without_close_still_spools_everything(tmp_path: Path) -> None:
    """atexit closes the client: records logged just before the interpreter ends are kept."""
    spool_dir = tmp_path / "spool"
    script = textwrap.dedent(
        f"""
        import attest
        client = attest.Client("http://127.0.0.1:9", "atk_x", spool_dir={str(spool_dir)!r},
                               close_timeout=2)
        for n in range(3000):
            client.log_decision(system="s", model_version="v1", inputs={{"n": n}},
                                output={{"label": "ok"}}, decision_id=f"d-{{n}}")
        """
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)
    spool = Spool(spool_dir)
    try:
        rows = spool.rows()
    finally:
        spool.close()
    assert [r.record.split('"decision_id":"')[1].split('"')[0] for r in rows] == [
        f"d-{n}" for n in range(3000)
    ]
