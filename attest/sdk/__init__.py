"""The Attest SDK: log AI decisions from the process that makes them (see docs/sdk.md).

    client = attest.Client("https://attest.example", api_key, spool_dir="/var/lib/app/attest")
    decision_id = client.log_decision(system="credit-underwriting", model_version="v3",
                                      inputs={...}, output={"label": "approve", "score": 0.82})

The delivery guarantee is stated in :mod:`attest.sdk.client`.
"""

from __future__ import annotations

from attest.sdk.client import Client
from attest.sdk.deadletter import DeadLetter
from attest.sdk.errors import ClientClosed, SdkError, SpoolBusy
from attest.sdk.pipeline import Stats
from attest.sdk.tracking import TrackedModel

__all__ = ["Client", "ClientClosed", "DeadLetter", "SdkError", "SpoolBusy", "Stats", "TrackedModel"]
