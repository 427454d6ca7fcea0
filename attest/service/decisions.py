"""Decision ingest and outcomes: checked against the inventory, stored whole or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from attest.core.decisions import (
    check_inputs,
    decision_submission,
    outcome_submission,
    parse_decision,
    parse_outcome,
    version_flags,
)
from attest.core.inventory import ModelVersion
from attest.errors import InvalidInput, NotFound
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger
from attest.store.base import DecisionFilter, Store


@dataclass(frozen=True)
class Accepted:
    """One stored decision or outcome: where it sits and the checkpoint that holds it."""

    id: str
    index: int
    created: bool
    tree_size: int
    checkpoint: str
    flags: tuple[str, ...] = ()


class Decisions:
    """Decisions in, decisions out."""

    def __init__(self, ledger: Ledger, store: Store, inventory: Inventory) -> None:
        self.ledger = ledger
        self.store = store
        self.inventory = inventory

    def ingest(self, tenant: str, raw_decisions: Sequence[Any], max_batch: int) -> list[Accepted]:
        """Check every decision, then append them in one transaction (or refuse them all)."""
        self.inventory.tenant(tenant)
        if not raw_decisions:
            raise InvalidInput("a batch needs at least one decision")
        if len(raw_decisions) > max_batch:
            raise InvalidInput(f"a batch holds at most {max_batch} decisions")
        versions: dict[tuple[str, str], ModelVersion | None] = {}
        known_systems: set[str] = set()
        submissions = []
        labels = []
        flags_of = []
        for number, raw in enumerate(raw_decisions, 1):
            where = f"decision {number}"
            decision = parse_decision(raw, where)
            if decision.system not in known_systems:
                if self.store.table_row(tenant, "systems", {"system": decision.system}) is None:
                    name = f"{where} (id {decision.decision_id})" if decision.decision_id else where
                    raise InvalidInput(f"{name}: field 'system' names no registered AI system")
                known_systems.add(decision.system)
            key = (decision.system, decision.model_version)
            if key not in versions:
                versions[key] = self.inventory.model_version(tenant, *key)
            version = versions[key]
            if version is not None:
                check_inputs(decision, version, where)
            flags = version_flags(version)
            submissions.append(decision_submission(decision, flags))
            labels.append(where)
            flags_of.append(tuple(flags))
        receipts = self.ledger.append(tenant, submissions, labels)
        return [
            Accepted(r.id, r.index, r.created, r.tree_size, r.checkpoint, flags)
            for r, flags in zip(receipts, flags_of, strict=True)
        ]

    def record_outcomes(
        self, tenant: str, raw_outcomes: Sequence[Any], max_batch: int
    ) -> list[Accepted]:
        self.inventory.tenant(tenant)
        if not raw_outcomes:
            raise InvalidInput("a batch needs at least one outcome")
        if len(raw_outcomes) > max_batch:
            raise InvalidInput(f"a batch holds at most {max_batch} outcomes")
        submissions = []
        labels = []
        for number, raw in enumerate(raw_outcomes, 1):
            where = f"outcome {number}"
            outcome = parse_outcome(raw, where)
            row = self.store.table_row(tenant, "decisions", {"decision_id": outcome.decision_id})
            if row is None:
                raise InvalidInput(f"{where}: field 'decision_id' names no logged decision")
            submissions.append(outcome_submission(outcome, row["system"]))
            labels.append(where)
        return [
            Accepted(r.id, r.index, r.created, r.tree_size, r.checkpoint)
            for r in self.ledger.append(tenant, submissions, labels)
        ]

    def find(self, tenant: str, query: DecisionFilter) -> list[dict[str, Any]]:
        self.inventory.tenant(tenant)
        return self.store.decisions(tenant, query)

    def get(self, tenant: str, decision_id: str) -> dict[str, Any]:
        self.inventory.tenant(tenant)
        row = self.store.table_row(tenant, "decisions", {"decision_id": decision_id})
        if row is None:
            raise NotFound(f"tenant {tenant} has no decision {decision_id}")
        return row

    def events(self, tenant: str, decision_id: str) -> list[dict[str, Any]]:
        """What followed a decision (outcomes now; reviews, notices and appeals later)."""
        return self.store.table_rows(tenant, "outcomes", {"decision_id": decision_id})
