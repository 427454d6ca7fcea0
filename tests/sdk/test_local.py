"""``Client.local``: the same client, writing to an embedded store through the ingest service."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from attest.errors import ConfigurationError, NotFound
from attest.keyring import create_keys
from attest.sdk import Client
from attest.store.base import DecisionFilter
from attest.store.sql.schema import upgrade
from tests.sdk.server import TENANT, decision, home_runtime, register_inventory


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """What ``attest init`` makes, plus the inventory; no ATTEST_* setting from outside."""
    for name in list(os.environ):
        if name.startswith("ATTEST_") and not name.startswith("ATTEST_TEST_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    runtime = home_runtime(home)
    upgrade(runtime.engine)
    create_keys(runtime.settings)
    register_inventory(runtime)
    runtime.close()
    yield home


def _stored(home: Path) -> list[dict[str, object]]:
    runtime = home_runtime(home)
    try:
        query = DecisionFilter(None, None, None, None, None, None, None, None, 500)
        return runtime.decisions.find(TENANT, query)
    finally:
        runtime.close()


def test_decisions_and_outcomes_reach_the_embedded_store(home: Path) -> None:
    with Client.local(home, tenant=TENANT) as client:
        ids = [client.log_decision(**decision(n)) for n in range(20)]
        client.log_outcome(ids[0], "repaid")
        assert client.flush(timeout=10)
        assert client.spool_dir == home / "spool" / TENANT
    rows = _stored(home)
    assert sorted(r["decision_id"] for r in rows) == sorted(ids)
    runtime = home_runtime(home)
    try:
        (event,) = runtime.decisions.events(TENANT, ids[0])
    finally:
        runtime.close()
    assert event["outcome"] == "repaid"


def test_the_database_file_may_be_named_instead_of_the_home(home: Path) -> None:
    with Client.local(home / "attest.db", tenant=TENANT) as client:
        client.log_decision(**decision(1, "by-file"))
        assert client.flush(timeout=10)
    assert [r["decision_id"] for r in _stored(home)] == ["by-file"]


def test_a_refused_decision_is_dead_lettered_with_the_services_message(home: Path) -> None:
    with Client.local(home, tenant=TENANT) as client:
        good = client.log_decision(**decision(1))
        client.log_decision(**{**decision(2, "bad-1"), "system": "no-such-system"})
        assert client.flush(timeout=10)
        (letter,) = client.errors()
    assert letter.status == 400
    assert letter.message == "decision 1 (id bad-1): field 'system' names no registered AI system"
    assert [r["decision_id"] for r in _stored(home)] == [good]


def test_configuration_errors_are_raised_at_once(home: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="unknown tenant"):
        Client.local(home, tenant="no-such-bank")
    with pytest.raises(ConfigurationError, match="attest init"):
        Client.local(tmp_path / "empty", tenant=TENANT)
