"""Monitoring of a system: its reference profiles, runs against them, and their documents.

Reference profiles are fixed with ``attest monitor profile`` (the reference data stays with the
bank); the API reads them and runs and reads monitoring.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from attest.api.deps import MONITOR, READ, JsonBody, RuntimeDep, allowed
from attest.core.records import format_time
from attest.errors import InvalidInput
from attest.service.access import Principal

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}/systems/{system}/monitoring", tags=["monitoring"]
)
Reader = Annotated[Principal, Depends(allowed(READ))]
Monitor = Annotated[Principal, Depends(allowed(MONITOR))]
RUN_FIELDS = frozenset({"version", "from", "to"})


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


@router.get("/runs")
def read_monitoring_runs(
    tenant: str, system: str, runtime: RuntimeDep, _: Reader
) -> dict[str, Any]:
    """The system's monitoring runs, newest first."""
    return {"runs": [_summary(r) for r in runtime.monitoring.runs(tenant, system)]}


@router.get("/runs/{run_id}")
def read_monitoring_run(
    tenant: str, system: str, run_id: str, runtime: RuntimeDep, _: Reader
) -> dict[str, Any]:
    """A run: its result document and the proof of its entry."""
    document = runtime.monitoring.document(tenant, system, run_id)
    return {"document": document, "proof": runtime.ledger.prove(tenant, run_id).to_json()}


@router.post("/runs", status_code=201)
def create_monitoring_run(
    tenant: str, system: str, principal: Monitor, body: JsonBody, runtime: RuntimeDep
) -> dict[str, Any]:
    """``{"version", "from", "to"}`` (days, ``to`` included): judge the period, log the result."""
    if not isinstance(body, dict) or set(body) - RUN_FIELDS:
        raise InvalidInput(f"the body must be a JSON object with {', '.join(sorted(RUN_FIELDS))}")
    version = body.get("version")
    if not isinstance(version, str) or not version:
        raise InvalidInput("field 'version' must name a model version")
    since, until = _day(body, "from"), _day(body, "to") + timedelta(days=1)
    if until <= since:
        raise InvalidInput("field 'to' must not be before 'from'")
    return runtime.monitoring.run(
        tenant, system, version, since=since, until=until, by=principal.name
    )
