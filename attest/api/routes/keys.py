"""API keys: issued by admins, shown once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from attest.api.deps import ADMIN, JsonBody, RuntimeDep, allowed
from attest.errors import Forbidden, InvalidInput
from attest.service.access import ALL_TENANTS, Principal

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])
Admin = Annotated[Principal, Depends(allowed(ADMIN))]


def _expiry(value: Any) -> datetime | None:
    """Field ``expires_at``: absent, or a time with its offset (never quietly no expiry)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput("field 'expires_at' must be an RFC 3339 time with an offset")
    return moment.astimezone(UTC)  # SQLite keeps a time's wall clock but not its offset


@router.post("", status_code=201)
def create_key(principal: Admin, body: JsonBody, runtime: RuntimeDep) -> dict[str, Any]:
    """Issue a key; the answer holds the only copy of its secret."""
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    roles, tenants = body.get("roles"), body.get("tenants")
    if not isinstance(roles, list) or not isinstance(tenants, list):
        raise InvalidInput("fields 'roles' and 'tenants' must be lists")
    for tenant in tenants:
        if not (
            principal.may_reach(str(tenant))
            and (tenant != ALL_TENANTS or ALL_TENANTS in principal.tenants)
        ):
            raise Forbidden(f"{principal.name} may not issue keys for tenant {tenant}")
    issued = runtime.access.issue_key(
        str(body.get("name", "")),
        [str(r) for r in roles],
        [str(t) for t in tenants],
        _expiry(body.get("expires_at")),
    )
    return {"key_id": issued.key_id, "token": issued.token}


@router.get("")
def read_keys(runtime: RuntimeDep, principal: Admin) -> dict[str, Any]:
    keys = runtime.access.keys()
    visible = [
        k
        for k in keys
        if ALL_TENANTS in principal.tenants
        or set(str(k["tenants"]).split(",")) <= set(principal.tenants)
    ]
    return {"keys": visible}


@router.delete("/{key_id}", status_code=204)
def delete_key(key_id: str, runtime: RuntimeDep, principal: Admin) -> None:
    if ALL_TENANTS not in principal.tenants:
        raise Forbidden("only vendor staff (tenant scope '*') revoke keys")
    runtime.access.revoke_key(key_id)
