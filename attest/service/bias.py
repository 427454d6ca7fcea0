"""Bias testing: assign protected groups from the vault, then run tests from SQL sums as evidence.

Group assignment is the only step that reads personal data: it opens each decision's sealed
values, derives the groups its rules define (bands, code maps, BISG probabilities) and writes them
to the protected ``fairness_groups`` table; the ledger records the rules and how many values were
read (a ``fairness.groups_assigned`` entry). A run then only sums: the database returns one row per
group, the core computes every metric with intervals and tests, and the whole result document is
appended to the log as a ``bias.run`` entry, so each test is signed evidence.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from attest.core.bias_policy import FIELDS as POLICY_FIELDS
from attest.core.bias_policy import BiasPolicy
from attest.core.counts import GroupCounts
from attest.core.fairness import disparity_table
from attest.core.fairness_scores import standardized_mean_difference
from attest.core.fairness_verdict import verdict
from attest.core.group_rules import GroupRule, group_of, value_at
from attest.core.proxy import GROUPS, ProxyInput, proxy_batch
from attest.core.records import Submission, format_time
from attest.errors import Conflict, InvalidInput, NotFound
from attest.service.decisions import Decisions
from attest.service.ledger import Ledger, Receipt
from attest.store.base import GroupQuery, Store

REVIEWS = ("accepted", "finding")
MAX_NOTE = 4000
ASSIGNED = "fairness.groups_assigned"
_ASSIGNED_MARK = b'"type":"fairness.groups_assigned"'  # canonical JSON: no spaces
SCAN_WINDOW = 1000


def _rfc3339(value: Any) -> str | None:
    return format_time(value) if isinstance(value, datetime) else None


def run_summary(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``bias_runs`` row as the API shows it: times in RFC 3339, the review (or None)."""
    review = None
    if row.get("review") is not None:
        review = {
            "review": row["review"],
            "by": row["reviewed_by"],
            "at": _rfc3339(row["reviewed_at"]),
            "note": row["review_note"],
            "index": row["review_index"],
        }
    return {
        "run_id": row["run_id"],
        "index": row["idx"],
        "system": row["system"],
        "run_at": _rfc3339(row["run_at"]),
        "from": _rfc3339(row["window_from"]),
        "to": _rfc3339(row["window_to"]),
        "attributes": [a for a in str(row["attributes"]).split(",") if a],
        "verdict": row["verdict"],
        "by": row["by"],
        "review": review,
    }


@dataclass(frozen=True)
class BiasConfig:
    """What a run tests and the policy it applies (defaults: the catalogue's conventions)."""

    attributes: tuple[str, ...]
    since: datetime | None = None
    until: datetime | None = None
    favourable: tuple[str, ...] = ("approve",)
    good_outcomes: tuple[Any, ...] = ()
    # None: the system's policy decides (attest.core.bias_policy; the catalogue's defaults).
    air_threshold: float | None = None
    alpha: float | None = None
    min_n_eff: float | None = None
    intersection: bool = True

    def overrides(self) -> dict[str, float]:
        """The policy fields this run sets itself."""
        return {name: value for name in POLICY_FIELDS if (value := getattr(self, name)) is not None}

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": list(self.attributes),
            "from": format_time(self.since) if self.since else None,
            "to": format_time(self.until) if self.until else None,
            "favourable": list(self.favourable),
            "good_outcomes": list(self.good_outcomes),
            "air_threshold": self.air_threshold,
            "alpha": self.alpha,
            "min_n_eff": self.min_n_eff,
            "intersection": self.intersection,
        }


@dataclass
class Assignment:
    """What one assignment did: per attribute, how many decisions got a group or none."""

    receipt: Receipt
    decisions: int
    assigned: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)
    bisg: dict[str, Any] = field(default_factory=dict)


class Bias:
    def __init__(self, ledger: Ledger, store: Store, decisions: Decisions) -> None:
        self.ledger = ledger
        self.store = store
        self.decisions = decisions

    def assign_groups(
        self, tenant: str, system: str, rules: Sequence[GroupRule], *, by: str
    ) -> Assignment:
        """Derive every decision's groups from its vault values; log what was read and why."""
        self.decisions.inventory.system(tenant, system)
        rows = self.store.table_rows(tenant, "decisions", {"system": system})
        values: dict[str, dict[str, Any]] = {}
        for row in rows:
            reading = self.ledger.read_values(tenant, row["decision_id"])
            values[row["decision_id"]] = {
                v.pointer.lstrip("/"): v.value for v in reading.values
            }  # erased subjects read as {}: their groups are unknown
        assignment_id = f"groups-{system}-{self.ledger.clock().strftime('%Y%m%dT%H%M%S%f')}"
        result_rows: dict[str, list[tuple[str, str, float]]] = {}
        bisg_summary: dict[str, Any] = {}
        for rule in rules:
            out: list[tuple[str, str, float]] = []
            if rule.kind == "bisg":
                from attest.proxy_tables import load_tables

                ids = list(values)
                batch = proxy_batch(
                    [
                        ProxyInput(
                            surname=value_at(values[i], rule.surname),
                            zip=value_at(values[i], rule.zip),
                        )
                        for i in ids
                    ],
                    load_tables(),
                )
                for decision_id, result in zip(ids, batch.results, strict=True):
                    if result.probabilities is not None:
                        out += [
                            (decision_id, group.value, p)
                            for group, p in zip(GROUPS, result.probabilities, strict=True)
                            if p > 0
                        ]
                bisg_summary[rule.attribute] = batch.summary.as_document()
            else:
                for decision_id, decision_values in values.items():
                    group = group_of(rule, decision_values)
                    if group is not None:
                        out.append((decision_id, group, 1.0))
            result_rows[rule.attribute] = out
        counts = {
            rule.attribute: len({r[0] for r in result_rows[rule.attribute]}) for rule in rules
        }
        body = {
            "system": system,
            "purpose": "bias testing",
            "by": by,
            "rules": [r.to_json() for r in rules],
            "decisions": len(values),
            "vault_values_read": sum(len(v) for v in values.values()),
            "assigned": counts,
            "bisg": bisg_summary,
        }
        (receipt,) = self.ledger.append(
            tenant,
            [
                Submission(
                    type="fairness.groups_assigned", body=body, id=assignment_id, system=system
                )
            ],
            ["group assignment"],
        )
        for attribute, out in result_rows.items():
            self.store.replace_groups(tenant, attribute, assignment_id, list(values), out)
        self._prepare_sums(tenant, system, [rule.attribute for rule in rules])
        return Assignment(
            receipt,
            len(values),
            counts,
            {a: len(values) - n for a, n in counts.items()},
            bisg_summary,
        )

    def _prepare_sums(self, tenant: str, system: str, attributes: Sequence[str]) -> None:
        """Have the store sum each new attribute alone and with each other one now, while the
        assignment is running anyway: the SQL store builds its per-day cache of group sums on
        a set's first read, so the first run after an assignment is as quick as the next."""
        sets = [(a,) for a in attributes] + list(itertools.combinations(attributes, 2))
        for names in sets:
            self.store.group_aggregates(tenant, GroupQuery(system, names))

    def policy(self, tenant: str, system: str) -> dict[str, Any]:
        """The system's policy as it stands, and where it comes from (an entry, or the
        defaults when nobody set one)."""
        self.decisions.inventory.system(tenant, system)
        row = self.store.table_row(tenant, "bias_policies", {"system": system})
        if row is None:
            return {"policy": BiasPolicy().to_json(), "source": "default"}
        return {
            "policy": {name: row[name] for name in POLICY_FIELDS},
            "source": "entry",
            "index": row["idx"],
            "by": row["set_by"],
            "at": _rfc3339(row["set_at"]),
            "note": row["note"],
        }

    def set_policy(
        self, tenant: str, system: str, fields: Mapping[str, Any], *, by: str, note: str = ""
    ) -> Receipt:
        """Change some of the system's policy fields (the rest stay as they are), as an entry."""
        current = BiasPolicy(**self.policy(tenant, system)["policy"])
        policy = BiasPolicy.parse(fields, base=current)
        if len(note) > MAX_NOTE:
            raise InvalidInput(f"field 'note': at most {MAX_NOTE} characters")
        body: dict[str, Any] = {"policy": policy.to_json(), "by": by}
        if note.strip():
            body["note"] = note
        (receipt,) = self.ledger.append(
            tenant, [Submission(type="bias.policy", body=body, system=system)], ["bias policy"]
        )
        return receipt

    def run(self, tenant: str, system: str, config: BiasConfig, *, by: str) -> dict[str, Any]:
        """Compute the tests from SQL sums, judge them, and log the result document."""
        standing = self.policy(tenant, system)
        overrides = config.overrides()
        policy = BiasPolicy.parse(overrides, base=BiasPolicy(**standing["policy"]))
        config = replace(
            config,
            air_threshold=policy.air_threshold,
            alpha=policy.alpha,
            min_n_eff=policy.min_n_eff,
        )
        if not config.attributes:
            raise InvalidInput("attributes: name at least one attribute to test")
        sets: list[tuple[str, ...]] = [(a,) for a in config.attributes]
        if config.intersection and len(config.attributes) > 1:
            sets.append(tuple(config.attributes))
        results = []
        total = 0.0
        for attributes in sets:
            query = GroupQuery(
                system,
                attributes,
                config.since,
                config.until,
                config.favourable,
                config.good_outcomes,
            )
            aggregates = self.store.group_aggregates(tenant, query)
            for attribute in attributes:
                if aggregates and all(row[attribute] is None for row in aggregates):
                    raise InvalidInput(
                        f"attribute {attribute}: no decision of {system} in the period has a "
                        f"group for it; assign groups first"
                    )
            counts = GroupCounts.from_aggregates(aggregates, attributes=attributes)
            total = max(total, counts.overall().n)
            selection = disparity_table(counts, min_n_eff=policy.min_n_eff)
            judged = verdict(selection, air_threshold=policy.air_threshold, alpha=policy.alpha)
            entry: dict[str, Any] = {
                "attributes": list(attributes),
                "selection": selection.to_json(),
                "verdict": judged.to_json(),
                "smd": standardized_mean_difference(counts, min_n_eff=policy.min_n_eff).to_json(),
            }
            if config.good_outcomes:
                for metric in ("true_positive_rate", "false_positive_rate"):
                    entry[metric] = disparity_table(
                        counts,
                        metric=metric,
                        min_n_eff=policy.min_n_eff,
                    ).to_json()
            results.append(entry)
        outcomes = [r["verdict"]["outcome"] for r in results]
        overall = (
            "no_data"
            if total == 0
            else "flag"
            if "flag" in outcomes
            else "pass"
            if "pass" in outcomes
            else "too_small"
        )
        document = {
            "system": system,
            "by": by,
            "config": config.to_json(),
            "policy": {
                "source": standing["source"],
                "index": standing.get("index"),
                "overridden": sorted(overrides),
            },
            "decisions": total,
            "results": results,
            "verdict": overall,
        }
        (receipt,) = self.ledger.append(
            tenant,
            [Submission(type="bias.run", body=document, system=system)],
            ["bias run"],
        )
        return document | {"entry": receipt.id, "index": receipt.index}

    def review(
        self,
        tenant: str,
        run_id: str,
        *,
        review: str,
        by: str,
        note: str,
        system: str | None = None,
    ) -> Receipt:
        """A compliance user accepts a run or opens a finding from it (a ledger entry).

        With ``system``, a run of another system is not found (as the API's paths read).
        """
        if review not in REVIEWS:
            raise InvalidInput("field 'review' must be accepted or finding")
        if not note.strip():
            raise InvalidInput("field 'note': say why (and, for a finding, what must happen)")
        if len(note) > MAX_NOTE:
            raise InvalidInput(f"field 'note': at most {MAX_NOTE} characters")
        run = self.store.table_row(tenant, "bias_runs", {"run_id": run_id})
        if run is None or (system is not None and run["system"] != system):
            raise NotFound(f"tenant {tenant} has no bias run {run_id}")
        if run["review"] is not None:
            raise Conflict(f"bias run {run_id} was already reviewed ({run['review']})")
        (receipt,) = self.ledger.append(
            tenant,
            [
                Submission(
                    type="bias.review",
                    body={"run_id": run_id, "review": review, "by": by, "note": note},
                    system=run["system"],
                )
            ],
            ["bias review"],
        )
        return receipt

    def runs(self, tenant: str, system: str) -> list[dict[str, Any]]:
        """The system's bias runs, newest first (404 for a system the tenant does not have)."""
        self.decisions.inventory.system(tenant, system)
        rows = self.store.table_rows(tenant, "bias_runs", {"system": system})
        return sorted(rows, key=lambda r: r["idx"], reverse=True)

    def document(self, tenant: str, run_id: str) -> dict[str, Any]:
        """A run's full result document, read back from its ledger entry."""
        entry = self.store.entry_by_id(tenant, run_id)
        if entry is None or self.store.table_row(tenant, "bias_runs", {"run_id": run_id}) is None:
            raise NotFound(f"tenant {tenant} has no bias run {run_id}")
        body: dict[str, Any] = json.loads(entry.data)["body"]
        return body

    def report(self, tenant: str, system: str, run_id: str) -> dict[str, Any]:
        """One run of the system: its summary and review, its result document, and the proof
        document of its ledger entry (checkable offline against the log's verifier key)."""
        self.decisions.inventory.system(tenant, system)
        row = self.store.table_row(tenant, "bias_runs", {"run_id": run_id})
        if row is None or row["system"] != system:
            raise NotFound(f"tenant {tenant} has no bias run {run_id}")
        return {
            "run": run_summary(row),
            "document": self.document(tenant, run_id),
            "proof": self.ledger.prove(tenant, run_id).to_json(),
        }

    def latest_assignment(self, tenant: str, system: str) -> dict[str, Any] | None:
        """The system's newest ``fairness.groups_assigned`` entry: its id, index and time and
        what its body says (counts, rules, BISG match levels and fallbacks), or None.

        Entries are not indexed by type, so this reads the log backwards from its newest entry
        (a byte search before any parsing) until it meets one: its cost grows with the entries
        logged since the last assignment, and with the whole log when there is none.
        """
        self.decisions.inventory.system(tenant, system)
        stop = self.ledger.latest_checkpoint(tenant).size
        while stop > 0:
            start = max(0, stop - SCAN_WINDOW)
            for entry in reversed(list(self.store.entries(tenant, start=start, stop=stop))):
                if _ASSIGNED_MARK not in entry.data:
                    continue
                envelope = json.loads(entry.data)
                if envelope.get("type") == ASSIGNED and envelope.get("system") == system:
                    body = envelope.get("body") or {}
                    return {
                        "entry": entry.entry_id,
                        "index": entry.index,
                        "time": envelope.get("time"),
                        "by": body.get("by"),
                        "decisions": body.get("decisions"),
                        "assigned": body.get("assigned") or {},
                        "rules": body.get("rules") or [],
                        "bisg": body.get("bisg") or {},
                    }
            stop = start
        return None
