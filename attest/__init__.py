"""Attest: the AI-specific governance layer beside SOC 2.

A tamper-evident, per-tenant evidence ledger (RFC 6962 Merkle log with signed C2SP checkpoints),
a vault that lets personal data be erased while every proof still verifies, and the checks an
examiner runs offline.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from attest.sdk import Client

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``attest.Client`` is imported on first use, so ``import attest`` stays light."""
    if name == "Client":
        from attest.sdk import Client

        return Client
    raise AttributeError(f"module 'attest' has no attribute {name!r}")


__all__ = ["Client", "__version__"]
