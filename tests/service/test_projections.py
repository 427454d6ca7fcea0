"""The query tables are what the log says: checked by the audit, restored by a rebuild."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import text

from attest.core.inventory import Tenant
from attest.keyring import Keyring
from attest.service.decisions import Decisions
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger
from attest.service.projections import check_projections, rebuild
from attest.store.sql import SqlStore, make_engine
from tests.service.test_inventory_decisions import ARTIFACT, SYSTEM, _decision, _version


def _populate(ledger: Ledger, tenant: str) -> Decisions:
    inventory = Inventory(ledger, ledger.store)  # type: ignore[arg-type]
    inventory.register_tenant(Tenant(tenant, "First Community Bank"))
    inventory.register_system(tenant, SYSTEM)
    inventory.register_model_version(tenant, _version(), ARTIFACT)
    inventory.change_lifecycle(tenant, SYSTEM.id, "v1", "deployed", by="v", reason="approved")
    decisions = Decisions(ledger, ledger.store, inventory)  # type: ignore[arg-type]
    decisions.ingest(tenant, [_decision(f"d{i}") for i in range(6)], 10)
    decisions.record_outcomes(tenant, [{"decision_id": "d1", "outcome": "repaid"}], 10)
    return decisions


def test_freshly_written_tables_agree_with_the_log(ledger: Ledger, tenant: str) -> None:
    _populate(ledger, tenant)
    assert check_projections(ledger.store, tenant) == []  # type: ignore[arg-type]


def test_edited_or_deleted_rows_are_found_and_a_rebuild_restores_them(
    sql_url: str, tenant: str, keyring: Keyring, clock: Callable[[], datetime]
) -> None:
    engine = make_engine(sql_url)
    store = SqlStore(engine)
    decisions = _populate(Ledger(store, keyring, host="attest.test", clock=clock), tenant)
    before: Any = decisions.get(tenant, "d3")

    with engine.begin() as connection:
        connection.execute(
            text("UPDATE decisions SET label = 'decline' WHERE tenant = :t AND decision_id = 'd3'"),
            {"t": tenant},
        )
        connection.execute(
            text("DELETE FROM decisions WHERE tenant = :t AND decision_id = 'd4'"), {"t": tenant}
        )
        connection.execute(
            text("UPDATE model_versions SET lifecycle = 'retired' WHERE tenant = :t"), {"t": tenant}
        )
    findings = check_projections(store, tenant)
    assert "decisions row ('d3',) disagrees with the log in ['label']" in findings
    assert "decisions row ('d4',) is missing" in findings
    assert (
        "model_versions row ('credit-underwriting', 'v1') disagrees with the log in ['lifecycle']"
        in findings
    )

    rebuild(store, tenant)
    assert check_projections(store, tenant) == []
    assert decisions.get(tenant, "d3") == before
    assert decisions.get(tenant, "d1")["outcome"] == "repaid"
    engine.dispose()
