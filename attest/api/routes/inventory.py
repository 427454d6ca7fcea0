"""AI systems and model versions of a tenant."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from attest.api.deps import INVENTORY_WRITE, LIFECYCLE, READ, JsonBody, RuntimeDep, allowed
from attest.core.inventory import AISystem, Lifecycle, ModelVersion
from attest.errors import InvalidInput, NotFound
from attest.service.access import Principal

router = APIRouter(prefix="/api/v1/tenants/{tenant}/systems", tags=["inventory"])
Reader = Annotated[Principal, Depends(allowed(READ))]
Writer = Annotated[Principal, Depends(allowed(INVENTORY_WRITE))]


@router.get("")
def read_systems(tenant: str, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    return {"systems": [s.to_json() for s in runtime.inventory.systems(tenant)]}


@router.post("", status_code=201)
def create_system(tenant: str, _: Writer, body: JsonBody, runtime: RuntimeDep) -> dict[str, Any]:
    system = AISystem.parse(body)
    receipt = runtime.inventory.register_system(tenant, system)
    return {"system": system.to_json(), "index": receipt.index}


@router.get("/{system}")
def read_system(tenant: str, system: str, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    found = runtime.inventory.system(tenant, system)
    versions = runtime.inventory.model_versions(tenant, system)
    return {"system": found.to_json(), "model_versions": [v.to_json() for v in versions]}


@router.put("/{system}")
def update_system(
    tenant: str, system: str, _: Writer, body: JsonBody, runtime: RuntimeDep
) -> dict[str, Any]:
    changed = AISystem.parse(body)
    if changed.id != system:
        raise InvalidInput("field 'id' must match the system in the path")
    receipt = runtime.inventory.update_system(tenant, changed)
    return {"system": changed.to_json(), "index": receipt.index}


@router.post("/{system}/versions", status_code=201)
def create_model_version(
    tenant: str, system: str, _: Writer, body: JsonBody, runtime: RuntimeDep
) -> dict[str, Any]:
    """Register a model version; ``artifact`` (base64) is optional and must match its hash."""
    if not isinstance(body, dict):
        raise InvalidInput("model version: must be a JSON object")
    record = dict(body)
    artifact_text = record.pop("artifact", None)
    artifact = None
    if artifact_text is not None:
        try:
            artifact = base64.b64decode(str(artifact_text), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("field 'artifact' must be base64") from None
    version = ModelVersion.parse(record | {"system": system})
    receipt = runtime.inventory.register_model_version(tenant, version, artifact)
    return {"model_version": version.to_json(), "index": receipt.index}


@router.get("/{system}/versions/{version}")
def read_model_version(
    tenant: str, system: str, version: str, runtime: RuntimeDep, _: Reader
) -> dict[str, Any]:
    found = runtime.inventory.model_version(tenant, system, version)
    if found is None:
        raise NotFound(f"tenant {tenant} has no model version {system}/{version}")
    return {"model_version": found.to_json()}


@router.post("/{system}/versions/{version}/lifecycle")
def change_lifecycle(
    tenant: str,
    system: str,
    version: str,
    principal: Annotated[Principal, Depends(allowed(LIFECYCLE))],
    body: JsonBody,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """Move a model version through draft → validation → approved → deployed → retired."""
    if not isinstance(body, dict) or body.get("lifecycle") not in get_args(Lifecycle):
        raise InvalidInput(
            "field 'lifecycle' must be draft, validation, approved, deployed or retired"
        )
    receipt = runtime.inventory.change_lifecycle(
        tenant,
        system,
        version,
        body["lifecycle"],
        by=principal.name,
        reason=str(body.get("reason", "")),
    )
    return {"index": receipt.index, "lifecycle": body["lifecycle"]}


@router.get("/{system}/versions/{version}/artifact")
def read_artifact(
    tenant: str, system: str, version: str, runtime: RuntimeDep, _: Reader
) -> Response:
    found = runtime.inventory.model_version(tenant, system, version)
    if found is None:
        raise NotFound(f"tenant {tenant} has no model version {system}/{version}")
    artifact_format, content = runtime.inventory.artifact(tenant, found.artifact_sha256)
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"X-Artifact-SHA256": found.artifact_sha256, "X-Artifact-Format": artifact_format},
    )
