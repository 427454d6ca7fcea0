"""Attest: the AI-specific governance layer beside SOC 2.

A tamper-evident, per-tenant evidence ledger (RFC 6962 Merkle log with signed C2SP checkpoints),
a vault that lets personal data be erased while every proof still verifies, and the checks an
examiner runs offline.
"""

__version__ = "0.1.0"
