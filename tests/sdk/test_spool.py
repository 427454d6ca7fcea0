"""The spool: order that survives reopening, batches of one kind, private files, replay order."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from attest.sdk.spool import Spool
from tests.sdk.conftest import MakeClient, decision
from tests.sdk.fakes import FakeApi


def test_rows_come_back_in_order_after_reopening(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    assert spool.last_seq() == 0
    last = spool.append([("decision", None, f'{{"n":{n}}}') for n in range(5)])
    assert last == 5
    spool.close()
    spool = Spool(tmp_path)
    assert [json.loads(r.record)["n"] for r in spool.rows()] == [0, 1, 2, 3, 4]
    assert spool.count() == 5
    spool.close()


def test_seqs_never_go_back_even_when_the_spool_empties(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([("decision", None, "{}")] * 3)
    spool.remove(1, 3)
    assert spool.count() == 0
    assert spool.append([("decision", None, "{}")]) == 4
    assert spool.last_seq() == 4
    spool.close()


def test_a_batch_is_one_kind_and_one_tenant(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(
        [
            ("decision", None, "{}"),
            ("decision", None, "{}"),
            ("outcome", None, "{}"),
            ("decision", "other-bank", "{}"),
        ]
    )
    assert [r.seq for r in spool.head(10)] == [1, 2]
    spool.remove(1, 2)
    assert [r.kind for r in spool.head(10)] == ["outcome"]
    spool.remove(3, 3)
    assert [(r.seq, r.tenant) for r in spool.head(10)] == [(4, "other-bank")]
    assert len(spool.head(0)) == 0
    spool.close()


def test_the_spool_is_private(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    spool = Spool(directory)
    spool.append([("decision", None, "{}")])
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    spool.close()


def test_records_logged_during_an_outage_are_replayed_in_the_order_logged(
    api: FakeApi, make_client: MakeClient
) -> None:
    api.up = False
    client = make_client(batch_size=7)
    logged: list[tuple[str, str]] = []
    for n in range(30):
        decision_id = client.log_decision(**decision(n))
        logged.append(("decision", decision_id))
        if n % 4 == 0:
            logged.append(("outcome", client.log_outcome(decision_id, "repaid")))
    assert not client.flush(timeout=5)
    assert client.stats().pending == len(logged)
    assert api.stored_ids() == []
    api.up = True
    assert client.flush(timeout=10)
    assert api.stored_ids() == [entry_id for _, entry_id in logged]
    sent = [
        (
            "outcome" if path.endswith("outcomes") else "decision",
            r.get("outcome_id") or r["decision_id"],
        )
        for path, records in api.requests
        for r in records
    ]
    assert sent == logged
