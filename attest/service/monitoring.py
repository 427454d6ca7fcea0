"""Ongoing monitoring: fix a version's reference profile, then judge periods against it as evidence.

``set_profile`` bins the reference rows (the data the version was developed or validated on, or a
window of its own logged decisions) and logs the profile as a ``monitoring.profile`` entry.
Plans (``attest.service.monitoring_plans``) say what is measured, how often and by which lines.
``run`` counts a period's decisions into the profile's bins where they live (the store sums a
per-day cache of bin counts), computes the plan's metrics from those counts
(``attest.core.monitoring_report``) judged by the plan's thresholds, adds the vintages and the
plan's segments, and logs the document as a ``monitoring.run`` entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from attest.core.bins import BinCounts
from attest.core.drift import Thresholds
from attest.core.monitoring_period import (
    MonitoringPeriod,
    aligned,
    period_containing,
)
from attest.core.monitoring_plan import (
    selected,
    thresholds,
    thresholds_json,
)
from attest.core.monitoring_report import monitoring_document
from attest.core.records import Submission, format_time
from attest.core.reference_profile import (
    Outcomes,
    ReferenceProfile,
    ReferenceRow,
    build_profile,
)
from attest.core.segments import counts_by_segment, segment_results
from attest.core.vintage import monthly_counts, vintages
from attest.errors import Conflict, InvalidInput, NotFound
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger, Receipt
from attest.service.monitoring_plans import MonitoringPlans, plan_of
from attest.store.base import BinQuery, Store

ALERT_ACTIONS = ("acknowledged", "finding", "incident")
MAX_NOTE = 4000


class Monitoring(MonitoringPlans):
    def __init__(self, ledger: Ledger, store: Store, inventory: Inventory) -> None:
        self.ledger = ledger
        self.store = store
        self.inventory = inventory

    def set_profile(
        self,
        tenant: str,
        system: str,
        version: str,
        rows: Sequence[ReferenceRow],
        *,
        outcomes: Outcomes,
        source: dict[str, Any],
        by: str,
    ) -> tuple[Receipt, ReferenceProfile]:
        """Bin ``rows`` by the version's feature schema and log the profile."""
        model = self.inventory.model_version(tenant, system, version)
        if model is None:
            raise NotFound(f"tenant {tenant} has no model version {version} of {system}")
        profile = build_profile(
            system, version, model.features, rows, outcomes=outcomes, source=source
        )
        (receipt,) = self.ledger.append(
            tenant,
            [
                Submission(
                    type="monitoring.profile",
                    body={"profile": profile.to_json(), "by": by},
                    system=system,
                )
            ],
            ["monitoring profile"],
        )
        return receipt, profile

    def profile_from_window(
        self,
        tenant: str,
        system: str,
        version: str,
        since: datetime,
        until: datetime,
        *,
        outcomes: Outcomes,
        by: str,
    ) -> tuple[Receipt, ReferenceProfile]:
        """The reference is the version's own decisions made in [since, until) (decision time, as
        runs count them)."""
        rows = [
            ReferenceRow(inputs or {}, score, outcome)
            for inputs, score, outcome in self.store.reference_rows(
                tenant, system, version, since, until
            )
        ]
        source = {"kind": "window", "from": format_time(since), "to": format_time(until)}
        return self.set_profile(
            tenant, system, version, rows, outcomes=outcomes, source=source, by=by
        )

    def profile(self, tenant: str, system: str, version: str) -> ReferenceProfile:
        self.inventory.system(tenant, system)
        row = self.store.table_row(
            tenant, "monitoring_profiles", {"system": system, "version": version}
        )
        if row is None:
            raise NotFound(
                f"model version {version} of {system} has no reference profile: "
                "set one with attest monitor profile"
            )
        data = row["profile"] if isinstance(row["profile"], dict) else json.loads(row["profile"])
        return ReferenceProfile.from_json(data)

    def run(
        self,
        tenant: str,
        system: str,
        version: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        period: MonitoringPeriod | None = None,
        by: str,
        favourable: tuple[str, ...] | None = None,
        entry_id: str | None = None,
    ) -> dict[str, Any]:
        """Count the period (``period``, or ``[since, until)``) into the profile's bins, judge
        the plan's metrics by its thresholds (the defaults without a plan), log the document."""
        profile = self.profile(tenant, system, version)
        if period is not None:
            if since is not None or until is not None:
                raise InvalidInput("give either field 'period' or 'from' and 'to', not both")
            since, until = period.start, period.end
        if since is not None and until is not None and until <= since:
            raise InvalidInput("field 'to' must be after 'from'")
        stored = self._plan_row(tenant, system, version)
        plan = None if stored is None else plan_of(stored)
        if period is None and plan is not None and aligned(plan.cadence, since, until):
            assert since is not None
            period = period_containing(plan.cadence, since)
        tier = self.inventory.system(tenant, system).risk_tier
        lines = thresholds(plan, tier)
        metrics = selected(plan)
        labels = favourable or (plan.favourable if plan is not None else ("approve",))
        good = (plan.good_outcomes if plan is not None else None) or profile.outcomes.good_outcomes

        def query(
            feature: str | None,
            reference: BinCounts,
            *,
            start: datetime | None = since,
            per_day: bool = False,
        ) -> BinQuery:
            return BinQuery(
                system,
                version,
                reference.binning,
                feature,
                start,
                until,
                good,
                profile.outcomes.score_predicts,
                labels,
                per_day=per_day,
            )

        def counts(feature: str | None, reference: BinCounts) -> tuple[BinCounts, float]:
            rows = self.store.bin_aggregates(tenant, query(feature, reference))
            approved = sum(float(r.get("selected") or 0) for r in rows)
            return BinCounts.from_aggregates(rows, binning=reference.binning), approved

        counted = "csi" in metrics or "data_quality" in metrics
        features = {n: counts(n, ref)[0] for n, ref in profile.features.items() if counted}
        score, approved = (None, 0.0) if profile.score is None else counts(None, profile.score)
        decisions = (
            score.total("n")
            if score is not None
            else max((c.total("n") for c in features.values()), default=0.0)
        )
        document = monitoring_document(
            profile,
            features,
            score,
            decisions=decisions,
            approved=approved,
            thresholds=lines,
            metrics=metrics,
        )
        document |= {
            "from": format_time(since) if since else None,
            "to": format_time(until) if until else None,
            "by": by,
            "reference": {"source": dict(profile.source), "rows": profile.rows},
            "plan": None
            if stored is None
            else {"entry": stored["entry_id"], "index": stored["idx"], "risk_tier": tier},
            "thresholds": thresholds_json(lines),
        }
        if period is not None:
            document["period"] = period.to_json()
        if "vintages" in metrics and profile.score is not None:
            # every day of the version's decisions up to the period's end, one row per day and bin
            every_day = query(None, profile.score, start=None, per_day=True)
            rows = self.store.bin_aggregates(tenant, every_day)
            now = self.ledger.clock()  # months past today cannot have decisions yet
            document["vintages"] = vintages(
                monthly_counts(rows, profile.score.binning),
                profile.score.binning,
                until=now if until is None else min(until, now),
                ks_thresholds=lines["ks_discrimination"],
                auc_thresholds=lines["auc"],
            )
        if plan is not None and plan.segments and profile.score is not None:
            document["segments"] = self._segments(
                tenant, query(None, profile.score), profile, plan.segments, lines
            )
        if decisions == 0:
            document["status"] = "not_measurable"
            document["reason"] = "no decisions of this version in the period"
        (receipt,) = self.ledger.append(
            tenant,
            [Submission(type="monitoring.run", body=document, id=entry_id, system=system)],
            ["monitoring run"],
        )
        if not receipt.created:
            raise Conflict(f"monitoring run {receipt.id} was logged before")
        return document | {"entry": receipt.id, "index": receipt.index}

    def _segments(
        self,
        tenant: str,
        score_query: BinQuery,
        profile: ReferenceProfile,
        names: Sequence[str],
        lines: Mapping[str, Thresholds],
    ) -> list[dict[str, Any]]:
        """The score's performance within each reference bin of each segment feature."""
        assert profile.score is not None
        found = []
        for name in names:
            reference = profile.features.get(name)
            if reference is None:
                found.append(
                    {
                        "feature": name,
                        "status": "not_measurable",
                        "reason": "the reference profile has no bins for this feature",
                    }
                )
                continue
            split = replace(score_query, segment=name, segment_binning=reference.binning)
            counts, selected = counts_by_segment(
                self.store.bin_aggregates(tenant, split),
                profile.score.binning,
                reference.binning,
            )
            found.append(
                segment_results(
                    name,
                    reference.binning,
                    counts,
                    selected,
                    ks_thresholds=lines["ks_discrimination"],
                    auc_thresholds=lines["auc"],
                )
            )
        return found

    def runs(self, tenant: str, system: str) -> list[dict[str, Any]]:
        self.inventory.system(tenant, system)
        rows = self.store.table_rows(tenant, "monitoring_runs", {"system": system})
        return sorted(rows, key=lambda r: r["idx"], reverse=True)

    def document(self, tenant: str, system: str, run_id: str) -> dict[str, Any]:
        """A run's result document, read back from its ledger entry."""
        self.inventory.system(tenant, system)
        row = self.store.table_row(tenant, "monitoring_runs", {"run_id": run_id})
        entry = self.store.entry_by_id(tenant, run_id)
        if row is None or entry is None or row["system"] != system:
            raise NotFound(f"tenant {tenant} has no monitoring run {run_id} of {system}")
        body: dict[str, Any] = json.loads(entry.data)["body"]
        return body

    def alerts(self, tenant: str, system: str, *, state: str | None = None) -> list[dict[str, Any]]:
        """The system's alerts, newest first; ``state`` picks open ones, or acted-on ones."""
        self.inventory.system(tenant, system)
        where = {"system": system} | ({"state": state} if state else {})
        rows = self.store.table_rows(tenant, "monitoring_alerts", where)
        return sorted(rows, key=lambda r: (r["raised_at"], r["number"]), reverse=True)

    def act_on_alert(
        self,
        tenant: str,
        system: str,
        run_id: str,
        number: int,
        *,
        action: str,
        note: str,
        by: str,
        reference: str | None = None,
    ) -> Receipt:
        """Acknowledge an alert, or say it became a finding or an incident (named by
        ``reference``): once, as a ``monitoring.alert`` entry."""
        if action not in ALERT_ACTIONS:
            raise InvalidInput(f"field 'action' must be one of {', '.join(ALERT_ACTIONS)}")
        if not note.strip() or len(note) > MAX_NOTE:
            raise InvalidInput(f"field 'note': say what was done (1 to {MAX_NOTE} characters)")
        if action != "acknowledged" and not (reference or "").strip():
            raise InvalidInput(f"field 'reference': name the {action} this alert became")
        if reference is not None and len(reference) > 200:
            raise InvalidInput("field 'reference': at most 200 characters")
        self.inventory.system(tenant, system)
        row = self.store.table_row(
            tenant, "monitoring_alerts", {"run_id": run_id, "number": number}
        )
        if row is None or row["system"] != system:
            raise NotFound(f"monitoring run {run_id} of {system} has no alert {number}")
        if row["state"] != "open":
            raise Conflict(f"alert {number} of run {run_id} was already {row['state']}")
        body: dict[str, Any] = {
            "run_id": run_id,
            "alert": number,
            "action": action,
            "note": note,
            "by": by,
        }
        if reference:
            body["reference"] = reference
        (receipt,) = self.ledger.append(
            tenant,
            [Submission(type="monitoring.alert", body=body, system=system)],
            ["monitoring alert"],
        )
        return receipt
