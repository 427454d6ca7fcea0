"""A tenant's log: the newest signed checkpoint and proof documents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from attest.api.deps import READ, RuntimeDep, allowed
from attest.service.access import Principal

router = APIRouter(prefix="/api/v1/tenants/{tenant}/log", tags=["log"])
Reader = Annotated[Principal, Depends(allowed(READ))]


@router.get("/checkpoint", response_class=PlainTextResponse)
def read_checkpoint(tenant: str, runtime: RuntimeDep, _: Reader) -> str:
    """The newest checkpoint as a C2SP signed note."""
    return runtime.ledger.latest_checkpoint(tenant).note


@router.get("/entries/{entry_id}/proof")
def read_proof(
    tenant: str, entry_id: str, runtime: RuntimeDep, _: Reader, since: int | None = None
) -> dict[str, Any]:
    """The public proof document of one entry (see docs/ledger.md section 7)."""
    return runtime.ledger.prove(tenant, entry_id, since=since).to_json()


@router.get("/verifier-key", response_class=PlainTextResponse)
def read_verifier_key(tenant: str, runtime: RuntimeDep, _: Reader) -> str:
    return str(runtime.ledger.verifier) + "\n"
