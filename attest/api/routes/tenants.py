"""Tenants (client banks)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from attest.api.deps import ADMIN, READ, JsonBody, RuntimeDep, allowed
from attest.core.inventory import Tenant
from attest.errors import Forbidden
from attest.service.access import ALL_TENANTS, Principal

router = APIRouter(prefix="/api/v1/tenants", tags=["tenants"])


@router.post("", status_code=201)
def create_tenant(
    principal: Annotated[Principal, Depends(allowed(ADMIN))], body: JsonBody, runtime: RuntimeDep
) -> dict[str, Any]:
    """Register a client bank; its log starts with this registration."""
    if ALL_TENANTS not in principal.tenants:
        raise Forbidden("only vendor staff (tenant scope '*') register tenants")
    tenant = Tenant.parse(body)
    receipt = runtime.inventory.register_tenant(tenant)
    return {"tenant": tenant.to_json(), "index": receipt.index, "created": receipt.created}


@router.get("")
def read_tenants(
    runtime: RuntimeDep, principal: Annotated[Principal, Depends(allowed(READ))]
) -> dict[str, Any]:
    names = [t for t in runtime.inventory.tenants() if principal.may_reach(t)]
    return {"tenants": [runtime.inventory.tenant(t) | {"id": t} for t in names]}


@router.get("/{tenant}")
def read_tenant(
    tenant: str, runtime: RuntimeDep, _: Annotated[Principal, Depends(allowed(READ))]
) -> dict[str, Any]:
    return runtime.inventory.tenant(tenant) | {"id": tenant}
