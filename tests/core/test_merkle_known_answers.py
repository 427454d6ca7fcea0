"""Known answers for RFC 6962 hashing (values from transparency-dev/merkle's rfc6962 tests)."""

from __future__ import annotations

import hashlib

from attest.core.merkle import EMPTY_ROOT, hash_children, hash_leaf, root_from_leaf_hashes

# The 8 leaf inputs of the test-vector tree (tests/vectors/rfc6962/README.md).
LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    # echo -n '' | sha256sum
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_from_leaf_hashes([]) == EMPTY_ROOT


def test_hash_of_empty_leaf() -> None:
    # printf '\x00' | sha256sum
    assert (
        hash_leaf(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


def test_hash_of_leaf_l123456() -> None:
    # printf '\x00L123456' | sha256sum
    assert (
        hash_leaf(b"L123456").hex()
        == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )


def test_hash_of_node_n123_n456() -> None:
    # printf '\x01N123N456' | sha256sum
    assert (
        hash_children(b"N123", b"N456").hex()
        == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    left, right = hash_leaf(b"a"), hash_leaf(b"b")
    node = hash_children(left, right)
    assert hash_leaf(left + right) != node
    assert node == hashlib.sha256(b"\x01" + left + right).digest()


def test_order_of_leaves_matters() -> None:
    assert hash_children(b"N123", b"N456") != hash_children(b"N456", b"N123")


def test_root_of_the_eight_vector_leaves() -> None:
    root = root_from_leaf_hashes(hash_leaf(x) for x in LEAF_INPUTS)
    assert root.hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
