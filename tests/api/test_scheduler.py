"""The server's background runs of due monitoring plans: a pass runs each due period once, a
failing plan is logged without stopping the others, the thread stops with the server, and only
``attest serve``'s app starts it (and not when the setting turns it off)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from attest.api import scheduler, server
from attest.api.scheduler import DuePlans
from attest.core.inventory import Tenant
from attest.runtime import Runtime
from tests.api.conftest import TestClient
from tests.api.test_monitoring import _seed
from tests.service.test_inventory_decisions import ARTIFACT, SYSTEM, _version


def _planned(runtime: Runtime, tenant: str) -> None:
    _seed(runtime, tenant)
    runtime.monitoring.set_plan(tenant, SYSTEM.id, "v1", {"cadence": "monthly"}, by="vera")


def test_a_pass_runs_each_due_period_once_and_logs_what_it_did(
    runtime: Runtime, tenant: str, caplog: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    _planned(runtime, tenant)
    runtime.inventory.register_model_version(tenant, _version("v2"), ARTIFACT)
    runtime.monitoring.set_plan(tenant, SYSTEM.id, "v2", {}, by="vera")  # no profile: fails
    due = DuePlans(runtime, 3600)
    now = datetime.now(UTC)
    # A shared PostgreSQL database holds other tests' tenants too: a pass here must not run
    # their plans behind their backs, so it sees this tenant only.
    monkeypatch.setattr(runtime.inventory, "tenants", lambda: [tenant])
    with caplog.at_level(logging.INFO, logger="attest.monitoring"):
        assert due.run_once(now) == 1
        assert due.run_once(now) == 0
    runs = runtime.monitoring.runs(tenant, SYSTEM.id)
    assert [r["by"] for r in runs] == [scheduler.RUN_BY]
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"tenant {tenant}, {SYSTEM.id} v1" in m and "entry" in m for m in messages)
    assert any("v2 not run" in m and "no reference profile" in m for m in messages)


def test_an_unexpected_failure_is_logged_by_its_type_only(
    runtime: Runtime, tenant: str, caplog: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    runtime.inventory.register_tenant(Tenant(tenant, "First Community Bank"))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("INSERT ... ('Jane Q. Applicant')")

    monkeypatch.setattr(runtime.monitoring, "run_due", broken)
    with caplog.at_level(logging.INFO, logger="attest.monitoring"):
        assert DuePlans(runtime, 3600).run_once(datetime.now(UTC)) == 0
    assert "RuntimeError" in caplog.text and "Jane" not in caplog.text


def test_the_thread_runs_passes_until_stopped(
    runtime: Runtime, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _planned(runtime, tenant)
    monkeypatch.setattr(runtime.inventory, "tenants", lambda: [tenant])  # not other tests'
    due = DuePlans(runtime, 0.05, first_after=0.0).start()
    try:
        deadline = time.monotonic() + 20
        while not runtime.monitoring.runs(tenant, SYSTEM.id) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        due.stop()
    assert not due.thread.is_alive()
    assert len(runtime.monitoring.runs(tenant, SYSTEM.id)) == 1  # later passes found none due


@pytest.mark.parametrize("interval", ["0", "120"])
def test_only_the_served_app_starts_it_and_the_setting_turns_it_off(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, interval: str
) -> None:
    started: list[str] = []

    class Recording:
        def __init__(self, runtime: Runtime, seconds: float) -> None:
            started.append(f"interval {seconds:g}")

        def start(self) -> Recording:
            return self

        def stop(self) -> None:
            started.append("stopped")

    for name in ("HOME", "DATABASE_URL"):
        value = getattr(runtime.settings, name.lower())
        monkeypatch.setenv(f"ATTEST_{name}", str(value))
    monkeypatch.setenv("ATTEST_MONITORING_DUE_INTERVAL", interval)
    monkeypatch.setattr(server, "DuePlans", Recording)
    with TestClient(server.app()) as client:
        assert client.get("/api/v1/tenants").status_code == 401
    assert started == ([] if interval == "0" else ["interval 120", "stopped"])
