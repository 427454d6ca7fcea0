"""Decisions and outcomes: ingest (single and batch) and the decision explorer's reads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse

from attest.api.deps import INGEST, READ, JsonBody, RuntimeDep, allowed
from attest.errors import InvalidInput
from attest.service.access import Principal, tenant_of
from attest.service.decisions import Accepted
from attest.store.base import DecisionFilter

router = APIRouter(tags=["decisions"])
Reader = Annotated[Principal, Depends(allowed(READ))]
Ingester = Annotated[Principal, Depends(allowed(INGEST))]
TenantHeader = Annotated[str | None, Header(alias="X-Attest-Tenant")]


def _answer(accepted: list[Accepted], key: str) -> JSONResponse:
    """Built directly: FastAPI's generic encoder costs more than the 500 rows are worth."""
    last = accepted[-1]
    content = {
        key: [
            {"id": a.id, "index": a.index, "created": a.created, "flags": list(a.flags)}
            for a in accepted
        ],
        "tree_size": last.tree_size,
        "checkpoint": last.checkpoint,
    }
    return JSONResponse(content, status_code=201)


def _batch(body: Any, key: str) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise InvalidInput(f'the body must be {{"{key}": [...]}}')
    return list(body[key])


def _ingest(runtime: Any, principal: Principal, tenant: str, items: list[Any]) -> JSONResponse:
    principal.check(tenant, INGEST)
    accepted = runtime.decisions.ingest(tenant, items, runtime.settings.max_batch)
    return _answer(accepted, "decisions")


def _outcomes(runtime: Any, principal: Principal, tenant: str, items: list[Any]) -> JSONResponse:
    principal.check(tenant, INGEST)
    accepted = runtime.decisions.record_outcomes(tenant, items, runtime.settings.max_batch)
    return _answer(accepted, "outcomes")


# -- tenant in the path ----------------------------------------------------------------------------


@router.post("/api/v1/tenants/{tenant}/decisions", status_code=201)
def create_decision(
    tenant: str, principal: Ingester, body: JsonBody, runtime: RuntimeDep
) -> JSONResponse:
    return _ingest(runtime, principal, tenant, [body])


@router.post("/api/v1/tenants/{tenant}/decisions/batch", status_code=201)
def create_decisions(
    tenant: str, principal: Ingester, body: JsonBody, runtime: RuntimeDep
) -> JSONResponse:
    return _ingest(runtime, principal, tenant, _batch(body, "decisions"))


@router.post("/api/v1/tenants/{tenant}/outcomes", status_code=201)
def create_outcomes(
    tenant: str, principal: Ingester, body: JsonBody, runtime: RuntimeDep
) -> JSONResponse:
    return _outcomes(runtime, principal, tenant, _batch(body, "outcomes"))


# -- tenant from the key (or X-Attest-Tenant): what the SDK calls -------------------------------


@router.post("/api/v1/decisions", status_code=201)
def create_decision_for_key(
    principal: Ingester, body: JsonBody, runtime: RuntimeDep, tenant: TenantHeader = None
) -> JSONResponse:
    return _ingest(runtime, principal, tenant_of(principal, tenant), [body])


@router.post("/api/v1/decisions/batch", status_code=201)
def create_decisions_for_key(
    principal: Ingester, body: JsonBody, runtime: RuntimeDep, tenant: TenantHeader = None
) -> JSONResponse:
    return _ingest(runtime, principal, tenant_of(principal, tenant), _batch(body, "decisions"))


@router.post("/api/v1/outcomes", status_code=201)
def create_outcomes_for_key(
    principal: Ingester, body: JsonBody, runtime: RuntimeDep, tenant: TenantHeader = None
) -> JSONResponse:
    return _outcomes(runtime, principal, tenant_of(principal, tenant), _batch(body, "outcomes"))


# -- reading ---------------------------------------------------------------------------------------


@router.get("/api/v1/tenants/{tenant}/decisions")
def read_decisions(
    tenant: str,
    runtime: RuntimeDep,
    _: Reader,
    system: str | None = None,
    model_version: str | None = None,
    label: str | None = None,
    adverse: bool | None = None,
    flagged: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_index: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    query = DecisionFilter(
        system, model_version, label, adverse, flagged, since, until, before_index, limit
    )
    return {"decisions": runtime.decisions.find(tenant, query)}


@router.get("/api/v1/tenants/{tenant}/decisions/{decision_id}")
def read_decision(tenant: str, decision_id: str, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    return {
        "decision": runtime.decisions.get(tenant, decision_id),
        "events": runtime.decisions.events(tenant, decision_id),
    }
