"""The inventory: tenants, AI systems and model versions, each change a ledger entry."""

from __future__ import annotations

import hashlib
from typing import Any

from attest.core.inventory import AISystem, Lifecycle, ModelVersion, Tenant
from attest.core.records import Submission, check_tenant
from attest.errors import Conflict, InvalidInput, NotFound
from attest.service.ledger import Ledger, Receipt
from attest.store.base import Store


class Inventory:
    """Reads and changes the inventory of every tenant through one ledger."""

    def __init__(self, ledger: Ledger, store: Store) -> None:
        self.ledger = ledger
        self.store = store

    # -- tenants -------------------------------------------------------------------------------

    def register_tenant(self, tenant: Tenant) -> Receipt:
        """Create a tenant's log with its registration as the first entry (idempotent)."""
        (receipt,) = self.ledger.append(
            tenant.id,
            [Submission(type="tenant.registered", body=tenant.to_json(), id="tenant")],
            ["tenant"],
        )
        return receipt

    def tenant(self, tenant: str) -> dict[str, Any]:
        row = self.store.table_row(check_tenant(tenant), "tenants", {})
        if row is None:
            raise NotFound(f"unknown tenant {tenant}")
        return row

    def tenants(self) -> list[str]:
        return [t for t in self.store.tenants() if self.store.table_row(t, "tenants", {})]

    # -- systems -------------------------------------------------------------------------------

    def register_system(self, tenant: str, system: AISystem) -> Receipt:
        self.tenant(tenant)
        if self.store.table_row(tenant, "systems", {"system": system.id}) is not None:
            raise Conflict(f"system {system.id} is already registered; update it instead")
        (receipt,) = self.ledger.append(
            tenant,
            [Submission(type="system.registered", body=system.to_json(), system=system.id)],
            ["system"],
        )
        return receipt

    def update_system(self, tenant: str, system: AISystem) -> Receipt:
        self.system(tenant, system.id)
        (receipt,) = self.ledger.append(
            tenant,
            [Submission(type="system.updated", body=system.to_json(), system=system.id)],
            ["system"],
        )
        return receipt

    def system(self, tenant: str, system_id: str) -> AISystem:
        row = self.store.table_row(check_tenant(tenant), "systems", {"system": system_id})
        if row is None:
            raise NotFound(f"tenant {tenant} has no AI system {system_id}")
        return AISystem.parse(row["record"])

    def systems(self, tenant: str) -> list[AISystem]:
        self.tenant(tenant)
        return [AISystem.parse(r["record"]) for r in self.store.table_rows(tenant, "systems")]

    # -- model versions ------------------------------------------------------------------------

    def register_model_version(
        self, tenant: str, version: ModelVersion, artifact: bytes | None = None
    ) -> Receipt:
        """Record a model version; its artifact, when given, must hash to ``artifact_sha256``."""
        self.system(tenant, version.system)
        key = {"system": version.system, "version": version.version}
        if self.store.table_row(tenant, "model_versions", key) is not None:
            raise Conflict(f"model version {version.system}/{version.version} already exists")
        if artifact is not None:
            digest = hashlib.sha256(artifact).hexdigest()
            if digest != version.artifact_sha256:
                raise InvalidInput(
                    "field 'artifact_sha256' does not match the uploaded artifact's SHA-256"
                )
            if version.artifact_format == "other" or not artifact:
                raise InvalidInput("field 'artifact_format': the artifact needs a known format")
            self.store.put_artifact(
                tenant, digest, version.artifact_format, artifact, self.ledger.clock()
            )
        (receipt,) = self.ledger.append(
            tenant,
            [
                Submission(
                    type="model_version.registered",
                    body=version.to_json(),
                    id=f"model-version:{version.system}:{version.version}",
                    system=version.system,
                )
            ],
            ["model version"],
        )
        return receipt

    def change_lifecycle(
        self, tenant: str, system: str, version: str, lifecycle: Lifecycle, *, by: str, reason: str
    ) -> Receipt:
        current = self.model_version(tenant, system, version)
        if current is None:
            raise NotFound(f"tenant {tenant} has no model version {system}/{version}")
        if not reason.strip():
            raise InvalidInput("field 'reason': a lifecycle change needs a reason")
        (receipt,) = self.ledger.append(
            tenant,
            [
                Submission(
                    type="model_version.lifecycle",
                    body={
                        "version": version,
                        "from": current.lifecycle,
                        "lifecycle": lifecycle,
                        "by": by,
                        "reason": reason,
                    },
                    system=system,
                )
            ],
            ["lifecycle change"],
        )
        return receipt

    def model_version(self, tenant: str, system: str, version: str) -> ModelVersion | None:
        row = self.store.table_row(
            check_tenant(tenant), "model_versions", {"system": system, "version": version}
        )
        if row is None:
            return None
        record = dict(row["record"])
        record["lifecycle"] = row["lifecycle"]
        return ModelVersion.parse(record)

    def model_versions(self, tenant: str, system: str) -> list[ModelVersion]:
        self.system(tenant, system)
        rows = self.store.table_rows(tenant, "model_versions", {"system": system})
        return [ModelVersion.parse({**r["record"], "lifecycle": r["lifecycle"]}) for r in rows]

    def artifact(self, tenant: str, sha256: str) -> tuple[str, bytes]:
        found = self.store.artifact(check_tenant(tenant), sha256)
        if found is None:
            raise NotFound(f"tenant {tenant} has no artifact {sha256}")
        artifact_format, content = found
        if hashlib.sha256(content).hexdigest() != sha256:
            raise Conflict(f"artifact {sha256} no longer matches its hash")
        return artifact_format, content
