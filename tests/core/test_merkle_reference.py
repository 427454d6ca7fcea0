"""The fast tree code agrees with the naive reference for every small tree and random large ones."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attest.core.merkle import (
    CompactRange,
    NodeID,
    consistency_ranges,
    hash_leaf,
    hash_ranges,
    inclusion_ranges,
    nodes_for_ranges,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from attest.errors import VerificationError
from tests.core.reference import ref_consistency_proof, ref_inclusion_proof, ref_root


def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest()[: i % 7] for i in range(n)]


class Tree:
    """Perfect node hashes of a tree, the way a store keeps them."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves = leaves
        self.nodes: dict[NodeID, bytes] = {}
        compact = CompactRange()
        for i, leaf in enumerate(leaves):
            self.nodes[NodeID(0, i)] = hash_leaf(leaf)
            compact.append(hash_leaf(leaf), self.nodes.__setitem__)
        self.root = compact.root()

    def inclusion(self, index: int, size: int) -> list[bytes]:
        ranges = inclusion_ranges(index, size)
        needed = nodes_for_ranges(ranges)
        return hash_ranges(ranges, {n: self.nodes[n] for n in needed})

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        ranges = consistency_ranges(size1, size2)
        return hash_ranges(ranges, {n: self.nodes[n] for n in nodes_for_ranges(ranges)})


ALL_SMALL = _leaves(64)
SMALL_TREE = Tree(ALL_SMALL)


@pytest.mark.parametrize("size", range(0, 65))
def test_root_matches_reference(size: int) -> None:
    leaves = ALL_SMALL[:size]
    assert root_from_leaf_hashes(hash_leaf(x) for x in leaves) == ref_root(leaves)


@pytest.mark.parametrize("size", range(1, 65))
def test_every_inclusion_proof_matches_reference_and_verifies(size: int) -> None:
    leaves = ALL_SMALL[:size]
    root = ref_root(leaves)
    for index in range(size):
        proof = SMALL_TREE.inclusion(index, size)
        assert proof == ref_inclusion_proof(index, leaves)
        verify_inclusion(index, size, hash_leaf(leaves[index]), proof, root)


@pytest.mark.parametrize("size2", range(1, 65))
def test_every_consistency_proof_matches_reference_and_verifies(size2: int) -> None:
    leaves = ALL_SMALL[:size2]
    for size1 in range(1, size2 + 1):
        proof = SMALL_TREE.consistency(size1, size2)
        assert proof == ref_consistency_proof(size1, leaves)
        verify_consistency(size1, size2, ref_root(leaves[:size1]), ref_root(leaves), proof)


def _flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    return data[: bit // 8] + bytes([data[bit // 8] ^ (1 << (bit % 8))]) + data[bit // 8 + 1 :]


@settings(max_examples=60, deadline=None)
@given(size=st.integers(65, 3000), data=st.data())
def test_random_large_trees_prove_and_reject_tampering(size: int, data: st.DataObject) -> None:
    leaves = [i.to_bytes(4, "big") for i in range(size)]
    tree = Tree(leaves)
    assert tree.root == ref_root(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = tree.inclusion(index, size)
    assert proof == ref_inclusion_proof(index, leaves)
    leaf_hash = hash_leaf(leaves[index])
    verify_inclusion(index, size, leaf_hash, proof, tree.root)

    size1 = data.draw(st.integers(1, size), label="size1")
    old_root = ref_root(leaves[:size1])
    consistency = tree.consistency(size1, size)
    assert consistency == ref_consistency_proof(size1, leaves)
    verify_consistency(size1, size, old_root, tree.root, consistency)

    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(VerificationError):
        verify_inclusion(index, size, _flip(leaf_hash, bit), proof, tree.root)
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1), label="position")
        damaged = list(proof)
        damaged[position] = _flip(damaged[position], bit)
        with pytest.raises(VerificationError):
            verify_inclusion(index, size, leaf_hash, damaged, tree.root)
    with pytest.raises(VerificationError):
        verify_inclusion(index, size * 2, leaf_hash, proof, tree.root)
    if index > 0:
        with pytest.raises(VerificationError):
            verify_inclusion(index - 1, size, leaf_hash, proof, tree.root)
    if consistency:
        with pytest.raises(VerificationError):
            verify_consistency(size1, size, old_root, _flip(tree.root, bit), consistency)


def test_compact_range_reports_each_perfect_node_once() -> None:
    seen: list[NodeID] = []
    compact = CompactRange()
    for leaf in ALL_SMALL[:16]:
        compact.append(hash_leaf(leaf), lambda node, _h: seen.append(node))
    assert len(seen) == len(set(seen)) == 15  # 8 + 4 + 2 + 1 interior nodes of 16 leaves
    assert NodeID(4, 0) in seen


def test_compact_range_rejects_wrong_number_of_hashes() -> None:
    with pytest.raises(ValueError, match="3 hashes"):
        CompactRange(7, [b"x"])


def test_proof_of_index_outside_tree_is_refused() -> None:
    with pytest.raises(ValueError, match="index 8 out of bounds for tree size 8"):
        inclusion_ranges(8, 8)
    with pytest.raises(VerificationError, match="out of bounds"):
        verify_inclusion(8, 8, b"", [], b"")
