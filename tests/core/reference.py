"""A naive Merkle tree written straight from the recursive definitions of RFC 6962 section 2.1.

Slow and obviously correct: the fast code in attest.core.merkle is checked against it.
"""

from __future__ import annotations

import hashlib


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_root(leaves: list[bytes]) -> bytes:
    """MTH(D[n])."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = _split(n)
    return hashlib.sha256(b"\x01" + ref_root(leaves[:k]) + ref_root(leaves[k:])).digest()


def ref_inclusion_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n])."""
    n = len(leaves)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return ref_inclusion_proof(m, leaves[:k]) + [ref_root(leaves[k:])]
    return ref_inclusion_proof(m - k, leaves[k:]) + [ref_root(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [ref_root(leaves)]
    k = _split(n)
    if m <= k:
        return _subproof(m, leaves[:k], whole) + [ref_root(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [ref_root(leaves[:k])]


def ref_consistency_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) for 0 < m <= n."""
    return _subproof(m, leaves, True)
