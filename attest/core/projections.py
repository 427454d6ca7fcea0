"""Query tables as projections of the log: which rows an entry writes, derived from the entry alone.

The same function runs when an entry is appended (in the append transaction) and when
``attest rebuild`` re-derives every table from the log, so the tables can never say something the
log does not. Sensitive members are commitments in the entry and therefore never reach a table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Mode = Literal["insert", "upsert", "update"]


@dataclass(frozen=True)
class ProjectionRow:
    """Write ``values`` to the row of ``table`` identified by ``key`` (the tenant is implied).

    ``insert`` creates a row whose key is new (it is an entry's own id); ``upsert`` creates or
    replaces the named columns; ``update`` changes an existing row only.
    """

    table: str
    key: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    mode: Mode = "upsert"


def _time(text: str | None) -> datetime | None:
    """A time in UTC: SQLite keeps a time's wall clock but not its offset."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC) if text else None


def _tenant(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    return [ProjectionRow("tenants", {}, {"name": body["name"], "registered_index": index})]


def _system(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    return [
        ProjectionRow(
            "systems",
            {"system": body["id"]},
            {
                "name": body["name"],
                "domain": body["domain"],
                "lifecycle": body["lifecycle"],
                "risk_tier": body["risk_tier"],
                "record": body,
                "updated_index": index,
            },
        )
    ]


def _model_version(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    return [
        ProjectionRow(
            "model_versions",
            {"system": body["system"], "version": body["version"]},
            {
                "lifecycle": body["lifecycle"],
                "artifact_sha256": body["artifact_sha256"],
                "record": body,
                "updated_index": index,
            },
        )
    ]


def _model_version_lifecycle(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    return [
        ProjectionRow(
            "model_versions",
            {"system": envelope["system"], "version": body["version"]},
            {"lifecycle": body["lifecycle"], "updated_index": index},
            mode="update",
        )
    ]


def _decision(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    output = body["output"]
    return [
        ProjectionRow(
            "decisions",
            {"decision_id": envelope["id"]},
            {
                "idx": index,
                "system": envelope.get("system"),
                "model_version": body["model_version"],
                "subject": envelope.get("subject"),
                "logged_at": _time(envelope["time"]),
                "decided_at": _time(body.get("decided_at")),
                "label": output["label"],
                "score": output.get("score"),
                "adverse": body.get("adverse"),
                "flags": ",".join(body.get("flags", [])) or None,
                "inputs": body["inputs"],
                "explanation": body.get("explanation"),
                "outcome": None,
                "outcome_index": None,
            },
            mode="insert",
        )
    ]


def _outcome(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    return [
        ProjectionRow(
            "outcomes",
            {"outcome_id": envelope["id"]},
            {
                "decision_id": body["decision_id"],
                "idx": index,
                "outcome": body["outcome"],
                "observed_at": _time(body.get("observed_at")),
            },
            mode="insert",
        ),
        ProjectionRow(
            "decisions",
            {"decision_id": body["decision_id"]},
            {"outcome": body["outcome"], "outcome_index": index},
            mode="update",
        ),
    ]


def _bias_run(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    config = body["config"]
    return [
        ProjectionRow(
            "bias_runs",
            {"run_id": envelope["id"]},
            {
                "idx": index,
                "system": envelope["system"],
                "run_at": _time(envelope["time"]),
                "window_from": _time(config.get("from")),
                "window_to": _time(config.get("to")),
                "attributes": ",".join(config["attributes"]),
                "verdict": body["verdict"],
                "by": body["by"],
                "review": None,
                "reviewed_by": None,
                "reviewed_at": None,
                "review_note": None,
                "review_index": None,
            },
            mode="insert",
        )
    ]


def _bias_review(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    return [
        ProjectionRow(
            "bias_runs",
            {"run_id": body["run_id"]},
            {
                "review": body["review"],
                "reviewed_by": body["by"],
                "reviewed_at": _time(envelope["time"]),
                "review_note": body.get("note"),
                "review_index": index,
            },
            mode="update",
        )
    ]


def _bias_policy(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    return [
        ProjectionRow(
            "bias_policies",
            {"system": envelope["system"]},
            {
                "air_threshold": body["policy"]["air_threshold"],
                "alpha": body["policy"]["alpha"],
                "min_n_eff": body["policy"]["min_n_eff"],
                "set_by": body["by"],
                "set_at": _time(envelope["time"]),
                "note": body.get("note"),
                "idx": index,
            },
        )
    ]


def _monitoring_profile(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    return [
        ProjectionRow(
            "monitoring_profiles",
            {"system": body["profile"]["system"], "version": body["profile"]["version"]},
            {
                "profile": body["profile"],
                "set_by": body["by"],
                "set_at": _time(envelope["time"]),
                "idx": index,
            },
        )
    ]


def _monitoring_plan(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    """The version's plan in force: the newest entry replaces the row."""
    body = envelope["body"]
    plan = body["plan"]
    return [
        ProjectionRow(
            "monitoring_plans",
            {"system": plan["system"], "version": plan["version"]},
            {
                "plan": plan,
                "cadence": plan["cadence"],
                "set_by": body["by"],
                "set_at": _time(envelope["time"]),
                "entry_id": envelope["id"],
                "idx": index,
            },
        )
    ]


def _monitoring_run(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    alerts = [
        ProjectionRow(
            "monitoring_alerts",
            {"run_id": envelope["id"], "number": number},
            {
                "system": body["system"],
                "metric": alert.get("metric"),
                "feature": alert.get("feature"),
                "status": alert.get("status"),
                "value": alert.get("value")
                if isinstance(alert.get("value"), int | float)
                else None,
                "raised_at": _time(envelope["time"]),
                "state": "open",
                "acted_by": None,
                "acted_at": None,
                "note": None,
                "reference": None,
                "act_index": None,
            },
            mode="insert",
        )
        for number, alert in enumerate(body.get("alerts") or [], 1)
        if isinstance(alert, dict)
    ]
    return [
        ProjectionRow(
            "monitoring_runs",
            {"run_id": envelope["id"]},
            {
                "idx": index,
                "system": body["system"],
                "version": body["version"],
                "run_at": _time(envelope["time"]),
                "window_from": _time(body.get("from")),
                "window_to": _time(body.get("to")),
                "status": body["status"],
                "alerts": len(body.get("alerts") or ()),
                "by": body["by"],
            },
            mode="insert",
        ),
        *alerts,
    ]


def _monitoring_alert(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    body = envelope["body"]
    return [
        ProjectionRow(
            "monitoring_alerts",
            {"run_id": body["run_id"], "number": body["alert"]},
            {
                "state": body["action"],
                "acted_by": body["by"],
                "acted_at": _time(envelope["time"]),
                "note": body.get("note"),
                "reference": body.get("reference"),
                "act_index": index,
            },
            mode="update",
        )
    ]


PROJECTORS: dict[str, Callable[[dict[str, Any], int], list[ProjectionRow]]] = {
    "tenant.registered": _tenant,
    "system.registered": _system,
    "system.updated": _system,
    "model_version.registered": _model_version,
    "model_version.lifecycle": _model_version_lifecycle,
    "decision": _decision,
    "outcome": _outcome,
    "bias.run": _bias_run,
    "bias.review": _bias_review,
    "bias.policy": _bias_policy,
    "monitoring.profile": _monitoring_profile,
    "monitoring.plan": _monitoring_plan,
    "monitoring.run": _monitoring_run,
    "monitoring.alert": _monitoring_alert,
}


def project(envelope: dict[str, Any], index: int) -> list[ProjectionRow]:
    """The rows one entry writes: none for types without a table, and none for an entry of such
    a type whose body lacks what its table needs (the generic append accepts any body; only the
    inventory and decision services guarantee the shape)."""
    projector = PROJECTORS.get(envelope.get("type", ""))
    if projector is None:
        return []
    try:
        return projector(envelope, index)
    except (KeyError, TypeError, AttributeError, ValueError):
        return []
