"""The tenant, AI system and approved model version that the bias and monitoring benches log
their decisions under."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from attest.core.inventory import AISystem, ModelVersion, Tenant
from attest.service.inventory import Inventory

ARTIFACT = b"synthetic benchmark model"


def register_credit_model(
    inventory: Inventory,
    tenant: str,
    system: str,
    version: str,
    features: Sequence[dict[str, Any]],
) -> None:
    """A tenant with a high-risk credit underwriting system and an approved version of it."""
    inventory.register_tenant(Tenant(tenant, "Benchmark Bank"))
    inventory.register_system(
        tenant,
        AISystem.parse(
            {
                "id": system,
                "name": "Credit underwriting",
                "purpose": "Recommend approve or decline for consumer loans",
                "domain": "credit",
                "jurisdictions": ["US-CO"],
                "consequential": True,
                "owner": "Model risk",
                "lifecycle": "deployed",
                "risk_tier": "high",
            }
        ),
    )
    inventory.register_model_version(
        tenant,
        ModelVersion.parse(
            {
                "system": system,
                "version": version,
                "artifact_sha256": hashlib.sha256(ARTIFACT).hexdigest(),
                "artifact_format": "skops",
                "framework": "synthetic",
                "built_by": "bench",
                "lifecycle": "approved",
                "features": list(features),
            }
        ),
        ARTIFACT,
    )
