"""Monitoring plans (mixed into :class:`attest.service.monitoring.Monitoring`): set and read a model
version's plan, and run the complete periods plans have due, once each.

A plan is a ``monitoring.plan`` entry (``attest.core.monitoring_plan``); the newest per version is
in force. A plan's run of a period has an entry id that names the period, so however many runners
(CLI, API, the server's thread, several servers) run it, it is logged once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attest.core.monitoring_period import (
    CADENCES,
    MonitoringPeriod,
    aligned,
    cadence,
    last_complete,
)
from attest.core.monitoring_plan import MonitoringPlan, due_periods, thresholds, thresholds_json
from attest.core.records import ID_PATTERN, Submission, format_time
from attest.errors import Conflict, Error, InvalidInput, NotFound
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger, Receipt
from attest.store.base import Store

MAX_PERIODS_PER_PASS = 12  # per plan: a start far back is caught up over several passes


class MonitoringPlans:
    ledger: Ledger
    store: Store
    inventory: Inventory

    if TYPE_CHECKING:

        def run(
            self,
            tenant: str,
            system: str,
            version: str,
            *,
            period: MonitoringPeriod | None = None,
            by: str,
            entry_id: str | None = None,
        ) -> dict[str, Any]: ...

    def set_plan(
        self, tenant: str, system: str, version: str, fields: Mapping[str, Any], *, by: str
    ) -> tuple[Receipt, MonitoringPlan]:
        """Check the plan and log it as the version's ``monitoring.plan`` entry (it replaces
        any earlier plan of the version, whole)."""
        if not isinstance(fields, Mapping):
            raise InvalidInput("plan: must be a JSON object")
        for name, value in (("system", system), ("version", version)):
            if name in fields and fields[name] != value:
                raise InvalidInput(f"field {name!r} must be {value!r}, as the path names it")
        model = self.inventory.model_version(tenant, system, version)
        if model is None:
            raise NotFound(f"tenant {tenant} has no model version {version} of {system}")
        plan = MonitoringPlan.from_json({**fields, "system": system, "version": version})
        known = {f.name for f in model.features}
        for name in plan.segments:
            if name not in known:
                raise InvalidInput(f"field 'segments': {name!r} is not a feature of {version}")
        (receipt,) = self.ledger.append(
            tenant,
            [
                Submission(
                    type="monitoring.plan",
                    body={"plan": plan.to_json(), "by": by},
                    system=system,
                )
            ],
            ["monitoring plan"],
        )
        return receipt, plan

    def plan(self, tenant: str, system: str, version: str) -> dict[str, Any]:
        """The version's plan in force, who set it and when, and the thresholds it judges by
        (the defaults, the system's risk tier's, then the plan's own)."""
        tier = self.inventory.system(tenant, system).risk_tier
        row = self._plan_row(tenant, system, version)
        if row is None:
            raise NotFound(
                f"model version {version} of {system} has no monitoring plan: "
                "set one with attest monitor plan"
            )
        plan = plan_of(row)
        return {
            "plan": plan.to_json(),
            "entry": row["entry_id"],
            "index": row["idx"],
            "by": row["set_by"],
            "at": format_time(row["set_at"]),
            "risk_tier": tier,
            "thresholds": thresholds_json(thresholds(plan, tier)),
        }

    def plans(self, tenant: str) -> list[MonitoringPlan]:
        """Every plan of the tenant in force, by system and version."""
        return [plan_of(r) for r in self.store.table_rows(tenant, "monitoring_plans")]

    def default_version(self, tenant: str, system: str) -> str:
        """The version a run means when none is named: the one deployed, else the one with a
        plan, when there is exactly one."""
        self.inventory.system(tenant, system)
        deployed = [
            v.version
            for v in self.inventory.model_versions(tenant, system)
            if v.lifecycle == "deployed"
        ]
        planned = [p.version for p in self.plans(tenant) if p.system == system]
        for candidates in (deployed, planned):
            if len(candidates) == 1:
                return candidates[0]
        raise InvalidInput(
            f"field 'version': name the model version of {system} "
            f"({len(deployed)} deployed, {len(planned)} with a monitoring plan)"
        )

    def default_period(
        self, tenant: str, system: str, version: str, now: datetime
    ) -> MonitoringPeriod:
        """The last complete period of the version's plan cadence (quarterly without a plan)."""
        row = self._plan_row(tenant, system, version)
        kind = cadence("quarterly") if row is None else plan_of(row).cadence
        return last_complete(kind, now)

    def run_due(
        self, tenant: str, now: datetime, *, by: str = "monitoring plan", system: str | None = None
    ) -> list[dict[str, Any]]:
        """Run every complete period each plan has due at ``now``, oldest first, once: a period a
        run already covered exactly is not run again, and two runners racing for one period
        log it once (its entry id names the plan's period). One line per period run, and one
        per plan that could not run (its error, which names no person)."""
        if system is not None:
            self.inventory.system(tenant, system)
        done: list[dict[str, Any]] = []
        for plan in self.plans(tenant):
            if system is not None and plan.system != system:
                continue
            where = {"system": plan.system, "version": plan.version}
            # A period is done once a run covered it exactly after it had ended (a run of a
            # quarter "so far" leaves it due once complete).
            windows = {
                (r["window_from"], r["window_to"])
                for r in self.store.table_rows(tenant, "monitoring_runs", where)
                if any(aligned(c, r["window_from"], r["window_to"]) for c in CADENCES)
                and r["run_at"] >= r["window_to"]
            }
            # With a start day every period since is owed until a run covers it exactly;
            # without one, the periods after the newest run's.
            last = None if plan.start is not None else max((e for _, e in windows), default=None)
            try:
                due = [p for p in due_periods(plan, last, now) if (p.start, p.end) not in windows]
            except Error as error:
                done.append(where | {"error": str(error)})
                continue
            for period in due[:MAX_PERIODS_PER_PASS]:  # a long backlog: the rest next time
                try:
                    document = self.run(
                        tenant,
                        plan.system,
                        plan.version,
                        period=period,
                        by=by,
                        entry_id=_period_entry_id(plan, period),
                    )
                except Conflict:
                    continue  # another runner logged this period first
                except Error as error:
                    done.append(where | {"period": period.label, "error": str(error)})
                    break  # the later periods would fail alike
                except Exception as error:  # noqa: BLE001 - the tenant's other plans still run
                    # Not Attest's own error: its text may quote a statement's values.
                    failure = f"{type(error).__name__} (not Attest's own error; see the server)"
                    done.append(where | {"period": period.label, "error": failure})
                    break
                done.append(
                    where
                    | {
                        "period": period.label,
                        "status": document["status"],
                        "entry": document["entry"],
                    }
                )
        return done

    def _plan_row(self, tenant: str, system: str, version: str) -> dict[str, Any] | None:
        return self.store.table_row(
            tenant, "monitoring_plans", {"system": system, "version": version}
        )


def plan_of(row: Mapping[str, Any]) -> MonitoringPlan:
    data = row["plan"] if isinstance(row["plan"], dict) else json.loads(row["plan"])
    return MonitoringPlan.from_json(data)


def _period_entry_id(plan: MonitoringPlan, period: MonitoringPeriod) -> str:
    """The entry id of a plan's run of a period: the same for every runner, so a period is
    logged once however many run it."""
    readable = f"monitoring-run:{plan.system}:{plan.version}:{period.label}"
    if ID_PATTERN.fullmatch(readable):
        return readable
    digest = hashlib.sha256(readable.encode()).hexdigest()[:32]
    return f"monitoring-run:{plan.system}:{digest}"
