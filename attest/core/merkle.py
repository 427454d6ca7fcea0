"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification.

Vocabulary (fixed in docs/ledger.md): entries are numbered from 0; a tree has a *size*; a node is
addressed by ``NodeID(level, index)`` and covers the leaves ``[index * 2**level, (index + 1) *
2**level)``. A *perfect* node covers a full power-of-two range and never changes again once the
tree has grown past it; the nodes along the right edge of a tree whose size is not a power of two
are *ephemeral* and are computed from perfect ones.

Proof generation is split the way transparency-dev/merkle splits it: the functions here say which
subtree *ranges* a proof needs and which perfect nodes make up each range; the caller fetches
those node hashes from wherever it keeps them and :func:`hash_ranges` turns them into the proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from attest.errors import VerificationError

LEAF_HASH_PREFIX = b"\x00"
NODE_HASH_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def hash_leaf(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one entry."""
    return hashlib.sha256(LEAF_HASH_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(NODE_HASH_PREFIX + left + right).digest()


class NodeID(NamedTuple):
    """A node of the tree: ``level`` 0 is a leaf, ``index`` counts nodes of that level from 0.

    A named tuple, so hashing and ordering (by level, then index) run at C speed: audits and
    proofs handle millions of these.
    """

    level: int
    index: int  # type: ignore[assignment]  # shadows tuple.index, which nothing here uses

    @property
    def begin(self) -> int:
        return self.index << self.level

    @property
    def end(self) -> int:
        return (self.index + 1) << self.level


Range = tuple[int, int]
"""A half-open range of leaf indices ``[begin, end)`` whose Merkle tree hash a proof carries."""


def _split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(begin: int, end: int) -> list[NodeID]:
    """The perfect nodes whose concatenation is the range ``[begin, end)``, left to right.

    The range must be one that appears in an RFC 6962 tree: ``begin`` aligned to a power of two at
    least as large as the range. Every subtree range used by inclusion and consistency proofs is.
    """
    if not 0 <= begin < end:
        raise ValueError(f"invalid range [{begin}, {end})")
    nodes: list[NodeID] = []
    position = begin
    remaining = end - begin
    while remaining:
        level = remaining.bit_length() - 1
        if position % (1 << level):
            raise ValueError(f"range [{begin}, {end}) is not a subtree of an RFC 6962 tree")
        nodes.append(NodeID(level, position >> level))
        position += 1 << level
        remaining -= 1 << level
    return nodes


def root_from_subtree_hashes(hashes: Sequence[bytes]) -> bytes:
    """Fold the hashes of a range's perfect subtrees (left to right) into the range's hash.

    RFC 6962 trees are left-full, so the right-most subtrees combine first.
    """
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = hash_children(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtree ranges an inclusion proof of ``index`` in a tree of ``size`` carries."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} out of bounds for tree size {size}")
    ranges: list[Range] = []
    low, high = 0, size
    while high - low > 1:
        split = low + _split_point(high - low)
        if index < split:
            ranges.append((split, high))
            high = split
        else:
            ranges.append((low, split))
            low = split
    ranges.reverse()
    return ranges


def consistency_ranges(size1: int, size2: int) -> list[Range]:
    """The subtree ranges of a consistency proof from ``size1`` to ``size2`` (RFC 9162)."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"cannot prove consistency from size {size1} to size {size2}")
    if size1 == 0 or size1 == size2:
        return []
    ranges: list[Range] = []
    low, high, old = 0, size2, size1
    whole_old_tree = True
    while True:
        if old == high - low:
            if not whole_old_tree:
                ranges.append((low, high))
            break
        split = _split_point(high - low)
        if old <= split:
            ranges.append((low + split, high))
            high = low + split
        else:
            ranges.append((low, low + split))
            low += split
            old -= split
            whole_old_tree = False
    ranges.reverse()
    return ranges


def nodes_for_ranges(ranges: Iterable[Range]) -> list[NodeID]:
    """Every perfect node needed to hash the given ranges, without duplicates, sorted."""
    needed: set[NodeID] = set()
    for begin, end in ranges:
        needed.update(perfect_subtrees(begin, end))
    return sorted(needed)


def hash_ranges(ranges: Sequence[Range], node_hashes: Mapping[NodeID, bytes]) -> list[bytes]:
    """The hash of each range, from the perfect node hashes the caller fetched."""
    proof: list[bytes] = []
    for begin, end in ranges:
        try:
            parts = [node_hashes[node] for node in perfect_subtrees(begin, end)]
        except KeyError as missing:
            node = missing.args[0]
            raise LookupError(
                f"node ({node.level}, {node.index}) needed for leaves {begin}-{end - 1} is missing"
            ) from None
        proof.append(root_from_subtree_hashes(parts))
    return proof


class CompactRange:
    """The perfect subtrees covering ``[0, size)``: enough to append leaves and compute the root.

    ``hashes`` holds one hash per set bit of ``size``, highest level first. Appending reports each
    perfect node it completes, which is how a store learns which node hashes to persist.
    """

    __slots__ = ("size", "hashes")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a compact range of size {size} has {size.bit_count()} hashes")
        self.size = size
        self.hashes = list(hashes)

    @staticmethod
    def node_ids(size: int) -> list[NodeID]:
        """The perfect nodes a compact range of ``size`` consists of, highest level first."""
        return perfect_subtrees(0, size) if size else []

    def append(
        self, leaf_hash: bytes, on_node: Callable[[NodeID, bytes], None] | None = None
    ) -> None:
        """Add one leaf; call ``on_node`` for every perfect node of level >= 1 it completes."""
        value = leaf_hash
        index = self.size
        level = 0
        while index & 1:
            value = hash_children(self.hashes.pop(), value)
            index >>= 1
            level += 1
            if on_node is not None:
                on_node(NodeID(level, index), value)
        self.hashes.append(value)
        self.size += 1

    def root(self) -> bytes:
        return root_from_subtree_hashes(self.hashes)


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """The Merkle tree hash of a whole tree, in one pass and O(log n) memory."""
    compact = CompactRange()
    for leaf_hash in leaf_hashes:
        compact.append(leaf_hash)
    return compact.root()


def _mismatch(what: str, expected: bytes, calculated: bytes) -> VerificationError:
    return VerificationError(
        f"{what} mismatch: expected {expected.hex() or '(empty)'}, "
        f"calculated {calculated.hex() or '(empty)'}",
        expected=expected,
        calculated=calculated,
    )


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size:
        raise VerificationError(f"index {index} out of bounds for tree size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise VerificationError(f"leaf hash has {len(leaf_hash)} bytes, not {HASH_SIZE}")
    node, last = index, size - 1
    result = leaf_hash
    for sibling in proof:
        if last == 0:
            raise VerificationError(
                f"inclusion proof for index {index} in tree size {size} has too many hashes "
                f"({len(proof)})"
            )
        if node & 1 or node == last:
            result = hash_children(sibling, result)
            while not node & 1 and node != 0:
                node >>= 1
                last >>= 1
        else:
            result = hash_children(result, sibling)
        node >>= 1
        last >>= 1
    if last != 0:
        raise VerificationError(
            f"inclusion proof for index {index} in tree size {size} has too few hashes "
            f"({len(proof)})"
        )
    return result


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`VerificationError` unless the proof puts the leaf at ``index`` in ``root``."""
    calculated = root_from_inclusion_proof(index, size, leaf_hash, proof)
    if calculated != root:
        raise _mismatch("root", root, calculated)


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Raise :class:`VerificationError` unless tree ``root1`` of ``size1`` is a prefix of ``root2``.

    A consistency check from the empty tree proves nothing, so ``size1 == 0`` is refused rather
    than accepted vacuously.
    """
    if size1 > size2:
        raise VerificationError(f"size1 ({size1}) is greater than size2 ({size2})")
    if size1 == 0:
        raise VerificationError("consistency from an empty tree (size1 = 0) proves nothing")
    if size1 == size2:
        if proof:
            raise VerificationError(
                f"sizes are equal ({size1}) but the proof has {len(proof)} hashes"
            )
        if root1 != root2:
            raise _mismatch("root", root1, root2)
        return
    if not proof:
        raise VerificationError(f"empty consistency proof from size {size1} to size {size2}")

    path = list(proof)
    if size1 & (size1 - 1) == 0:  # the old tree is a perfect subtree: its root starts the path
        path.insert(0, root1)
    node, last = size1 - 1, size2 - 1
    while node & 1:
        node >>= 1
        last >>= 1
    old_root = new_root = path[0]
    for sibling in path[1:]:
        if last == 0:
            raise VerificationError(
                f"consistency proof from size {size1} to size {size2} has too many hashes "
                f"({len(proof)})"
            )
        if node & 1 or node == last:
            old_root = hash_children(sibling, old_root)
            new_root = hash_children(sibling, new_root)
            while not node & 1 and node != 0:
                node >>= 1
                last >>= 1
        else:
            new_root = hash_children(new_root, sibling)
        node >>= 1
        last >>= 1
    if last != 0:
        raise VerificationError(
            f"consistency proof from size {size1} to size {size2} has too few hashes ({len(proof)})"
        )
    if old_root != root1:
        raise _mismatch("old root", root1, old_root)
    if new_root != root2:
        raise _mismatch("new root", root2, new_root)
