"""Monitoring of a system: its reference profiles and plans, runs against them, and their
documents.

A reference profile is fixed from a reference file with ``attest monitor profile`` (the reference
data stays with the bank), or here from a window of the version's own logged decisions; the API
reads profiles, reads and sets monitoring plans, and runs and reads monitoring.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from attest.api.deps import MONITOR, READ, JsonBody, RuntimeDep, allowed
from attest.core.monitoring_period import parse_period
from attest.core.records import format_time
from attest.core.reference_profile import Outcomes
from attest.errors import InvalidInput
from attest.service.access import Principal
from attest.service.monitoring import ALERT_ACTIONS

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}/systems/{system}/monitoring", tags=["monitoring"]
)
Reader = Annotated[Principal, Depends(allowed(READ))]
Monitor = Annotated[Principal, Depends(allowed(MONITOR))]
RUN_FIELDS = frozenset({"version", "from", "to", "period"})
PROFILE_FIELDS = frozenset({"from", "to", "good_outcomes", "score_predicts"})


def _day(body: dict[str, Any], name: str) -> datetime:
    value = body.get(name)
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    except ValueError:
        raise InvalidInput(f"field {name!r} must be a date, YYYY-MM-DD") from None


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return format_time(value) if isinstance(value, datetime) else None

    return {
        "run_id": row["run_id"],
        "index": row["idx"],
        "version": row["version"],
        "run_at": when(row["run_at"]),
        "from": when(row["window_from"]),
        "to": when(row["window_to"]),
        "status": row["status"],
        "alerts": row["alerts"],
        "by": row["by"],
    }


@router.get("/profiles/{version}")
def read_monitoring_profile(
    tenant: str, system: str, version: str, runtime: RuntimeDep, _: Reader
) -> dict[str, Any]:
    """The version's reference profile: bins and reference counts per feature and the score."""
    return runtime.monitoring.profile(tenant, system, version).to_json()


@router.put("/profiles/{version}")
def set_monitoring_profile(
    tenant: str,
    system: str,
    version: str,
    principal: Monitor,
    body: JsonBody,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """``{"from", "to", "good_outcomes", "score_predicts"}``: bin the version's own decisions of
    those days (``to`` included) and log them as its reference profile."""
    if not isinstance(body, dict) or set(body) - PROFILE_FIELDS:
        raise InvalidInput(
            f"the body must be a JSON object with {', '.join(sorted(PROFILE_FIELDS))}"
        )
    good = body.get("good_outcomes")
    if not isinstance(good, list) or not good:
        raise InvalidInput("field 'good_outcomes' must list the outcomes that mean good")
    predicts = body.get("score_predicts", "good")
    if predicts not in ("good", "bad"):
        raise InvalidInput("field 'score_predicts' must be 'good' or 'bad'")
    since, until = _day(body, "from"), _day(body, "to") + timedelta(days=1)
    if until <= since:
        raise InvalidInput("field 'to' must not be before 'from'")
    receipt, profile = runtime.monitoring.profile_from_window(
        tenant,
        system,
        version,
        since,
        until,
        outcomes=Outcomes(tuple(good), predicts),
        by=principal.name,
    )
    return profile.to_json() | {"entry": receipt.id, "index": receipt.index}


@router.get("/runs")
def read_monitoring_runs(
    tenant: str, system: str, runtime: RuntimeDep, _: Reader
) -> dict[str, Any]:
    """The system's monitoring runs, newest first."""
    return {"runs": [_summary(r) for r in runtime.monitoring.runs(tenant, system)]}


@router.get("/runs/{monitoring_run}")
def read_monitoring_run(
    tenant: str, system: str, monitoring_run: str, runtime: RuntimeDep, _: Reader
) -> dict[str, Any]:
    """A run: its result document and the proof of its entry."""
    document = runtime.monitoring.document(tenant, system, monitoring_run)
    proof = runtime.ledger.prove(tenant, monitoring_run).to_json()
    return {"document": document, "proof": proof}


@router.post("/runs", status_code=201)
def create_monitoring_run(
    tenant: str, system: str, principal: Monitor, body: JsonBody, runtime: RuntimeDep
) -> dict[str, Any]:
    """``{"version", "period"}`` (``2026-Q3``, ``2026-09``, ``2026-W37``) or ``{"version",
    "from", "to"}`` (days, ``to`` included): judge the period by the version's plan, log it."""
    if not isinstance(body, dict) or set(body) - RUN_FIELDS:
        raise InvalidInput(f"the body must be a JSON object with {', '.join(sorted(RUN_FIELDS))}")
    version = body.get("version")
    if not isinstance(version, str) or not version:
        raise InvalidInput("field 'version' must name a model version")
    if "period" in body:
        if "from" in body or "to" in body:
            raise InvalidInput("give either field 'period' or 'from' and 'to', not both")
        period = parse_period(body["period"])
        return runtime.monitoring.run(tenant, system, version, period=period, by=principal.name)
    since, until = _day(body, "from"), _day(body, "to") + timedelta(days=1)
    if until <= since:
        raise InvalidInput("field 'to' must not be before 'from'")
    return runtime.monitoring.run(
        tenant, system, version, since=since, until=until, by=principal.name
    )


@router.get("/plans/{version}")
def read_monitoring_plan(
    tenant: str, system: str, version: str, runtime: RuntimeDep, _: Reader
) -> dict[str, Any]:
    """The version's monitoring plan in force, who set it, and the thresholds it judges by."""
    return runtime.monitoring.plan(tenant, system, version)


@router.put("/plans/{version}")
def set_monitoring_plan(
    tenant: str,
    system: str,
    version: str,
    principal: Monitor,
    body: JsonBody,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """The plan's fields (docs/monitoring.md); it replaces the version's plan, whole."""
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object of plan fields")
    runtime.monitoring.set_plan(tenant, system, version, body, by=principal.name)
    return runtime.monitoring.plan(tenant, system, version)


@router.post("/due")
def run_due_monitoring(
    tenant: str, system: str, principal: Monitor, runtime: RuntimeDep
) -> dict[str, Any]:
    """Run every complete period the system's plans have due now, once each."""
    now = datetime.now(UTC)
    return {"runs": runtime.monitoring.run_due(tenant, now, by=principal.name, system=system)}


@router.get("/alerts")
def read_monitoring_alerts(
    tenant: str, system: str, runtime: RuntimeDep, _: Reader, state: str | None = None
) -> dict[str, Any]:
    """The system's alerts, newest first (``?state=open`` for those nobody acted on)."""
    if state is not None and state not in ("open", *ALERT_ACTIONS):
        raise InvalidInput("state must be open, acknowledged, finding or incident")
    rows = runtime.monitoring.alerts(tenant, system, state=state)
    return {
        "alerts": [
            {
                "run_id": r["run_id"],
                "number": r["number"],
                "metric": r["metric"],
                "feature": r["feature"],
                "status": r["status"],
                "value": r["value"],
                "raised_at": format_time(r["raised_at"]),
                "state": r["state"],
                "by": r["acted_by"],
                "at": format_time(r["acted_at"]) if r["acted_at"] else None,
                "note": r["note"],
                "reference": r["reference"],
            }
            for r in rows
        ]
    }


@router.post("/runs/{monitoring_run}/alerts/{number}", status_code=201)
def act_on_monitoring_alert(
    tenant: str,
    system: str,
    monitoring_run: str,
    number: int,
    principal: Monitor,
    body: JsonBody,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """``{"action": "acknowledged" | "finding" | "incident", "note", "reference"?}``, once."""
    if not isinstance(body, dict) or set(body) - {"action", "note", "reference"}:
        raise InvalidInput("the body must be a JSON object with action, note and reference")
    note, reference = body.get("note"), body.get("reference")
    if not isinstance(note, str):
        raise InvalidInput("field 'note' must be a string")
    if reference is not None and not isinstance(reference, str):
        raise InvalidInput("field 'reference' must be a string")
    receipt = runtime.monitoring.act_on_alert(
        tenant,
        system,
        monitoring_run,
        number,
        action=str(body.get("action")),
        note=note,
        by=principal.name,
        reference=reference,
    )
    return {"entry": receipt.id, "index": receipt.index}
