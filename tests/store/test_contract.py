"""The LedgerStore contract on memory, SQLite and PostgreSQL, with the memory store as the oracle.

Roots and proofs are checked against the naive RFC 6962 reference in tests/core/reference.py, so a
store that agrees with the oracle but hashes wrongly still fails.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine

from attest.core.checkpoint import (
    Checkpoint,
    cosign,
    origin_for,
    sign_checkpoint,
    verify_checkpoint,
)
from attest.core.merkle import (
    NodeID,
    consistency_ranges,
    hash_leaf,
    hash_ranges,
    inclusion_ranges,
    nodes_for_ranges,
    verify_consistency,
    verify_inclusion,
)
from attest.errors import Conflict, InvalidInput, NotFound
from attest.store.base import (
    AppendOutcome,
    Erasure,
    LedgerStore,
    NewEntry,
    StoredEntry,
    SubjectKey,
    SubjectKeyRace,
    VaultRecord,
)
from attest.store.memory import MemoryStore
from attest.store.sql import SqlStore, make_engine
from attest.store.sql import store as sql_store_module
from attest.store.sql.schema import upgrade
from tests.conftest import LOG_SIGNER, OTHER_SIGNER
from tests.core.reference import ref_consistency_proof, ref_inclusion_proof, ref_root

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
HOST = "attest.test"
EVERYTHING = 1 << 20  # a leaf index past the end of every log in these tests


# -- helpers -----------------------------------------------------------------------------------


def sign(checkpoint: Checkpoint) -> str:
    return sign_checkpoint(checkpoint, LOG_SIGNER)


def entry(entry_id: str, content: str = "", *, subject: str | None = None) -> NewEntry:
    """An entry whose bytes, and so its fingerprint, depend on its id and ``content``."""
    data = f'{{"content":"{content}","id":"{entry_id}"}}'.encode()
    fingerprint = hashlib.sha256(b"fingerprint:" + data).digest()
    return NewEntry(entry_id, hash_leaf(data), data, fingerprint, subject)


def stored(index: int, new: NewEntry) -> StoredEntry:
    return StoredEntry(index, new.entry_id, new.leaf_hash, new.data)


def append(
    store: LedgerStore,
    tenant: str,
    entries: Sequence[NewEntry],
    *,
    now: datetime = NOW,
    origin: str | None = None,
    **extra: Any,
) -> AppendOutcome:
    return store.append(
        tenant,
        origin=origin or origin_for(HOST, tenant),
        entries=list(entries),
        sign=sign,
        now=now,
        **extra,
    )


def append_batches(
    store: LedgerStore, tenant: str, sizes: Sequence[int], prefix: str = "e"
) -> list[AppendOutcome]:
    """Batches of fresh entries ``e0, e1, ...``, one second apart."""
    outcomes = []
    count = 0
    for k, size in enumerate(sizes):
        batch = [entry(f"{prefix}{count + i}") for i in range(size)]
        outcomes.append(append(store, tenant, batch, now=NOW + timedelta(seconds=k)))
        count += size
    return outcomes


def inclusion_proof(store: LedgerStore, tenant: str, index: int, size: int) -> list[bytes]:
    ranges = inclusion_ranges(index, size)
    return hash_ranges(ranges, store.node_hashes(tenant, nodes_for_ranges(ranges)))


def consistency_proof(store: LedgerStore, tenant: str, size1: int, size2: int) -> list[bytes]:
    ranges = consistency_ranges(size1, size2)
    return hash_ranges(ranges, store.node_hashes(tenant, nodes_for_ranges(ranges)))


def snapshot(
    store: LedgerStore,
    tenant: str,
    subjects: Sequence[str] = (),
    vault_ids: Sequence[str] = (),
) -> dict[str, Any]:
    """Everything a reader can observe of one tenant's log (and of the given vault parts)."""
    entries = list(store.entries(tenant))
    return {
        "origin": store.origin(tenant),
        "listed": tenant in store.tenants(),
        "entries": entries,
        "by_id": {e.entry_id: store.entry_by_id(tenant, e.entry_id) for e in entries},
        "checkpoints": list(store.checkpoints(tenant)),
        "latest": store.latest_checkpoint(tenant),
        "nodes": store.nodes_ending_in(tenant, 0, EVERYTHING),
        "keys": store.subject_keys(tenant, list(subjects)),
        "vault": {entry_id: store.vault_records(tenant, entry_id) for entry_id in vault_ids},
    }


Result = AppendOutcome | tuple[str, str]


def attempt(store: LedgerStore, tenant: str, entries: Sequence[NewEntry], **extra: Any) -> Result:
    """The outcome of an append, or the name and message of the contract error it raised."""
    try:
        return append(store, tenant, entries, **extra)
    except (Conflict, InvalidInput, NotFound, SubjectKeyRace) as error:
        return type(error).__name__, str(error)


# -- appending and checkpoints -----------------------------------------------------------------


def test_a_first_batch_takes_indexes_from_zero_under_one_new_checkpoint(
    store: LedgerStore, tenant: str
) -> None:
    batch = [entry(f"e{i}") for i in range(5)]
    outcome = append(store, tenant, batch)

    assert outcome.indexes == [0, 1, 2, 3, 4]
    assert outcome.created == [True] * 5
    assert outcome.checkpoint.size == 5
    assert outcome.checkpoint.root == ref_root([e.data for e in batch])
    assert outcome.checkpoint.created_at == NOW
    signed = verify_checkpoint(outcome.checkpoint.note, LOG_SIGNER.verifier)
    assert signed == Checkpoint(origin_for(HOST, tenant), 5, outcome.checkpoint.root)
    assert list(store.checkpoints(tenant)) == [outcome.checkpoint]
    assert store.latest_checkpoint(tenant) == outcome.checkpoint
    assert store.checkpoint(tenant, 5) == outcome.checkpoint
    assert store.checkpoint(tenant, 4) is None
    assert store.origin(tenant) == origin_for(HOST, tenant)
    assert tenant in store.tenants()
    assert list(store.entries(tenant)) == [stored(i, e) for i, e in enumerate(batch)]
    assert store.entry_by_id(tenant, "e3") == stored(3, batch[3])
    assert store.entry_by_id(tenant, "e5") is None


SPLITS = [(1, 1), (1, 2), (2, 2), (3, 4), (4, 4), (5, 11), (8, 1), (7, 9)]


def test_a_second_batch_extends_the_tree_with_a_consistent_checkpoint(
    store: LedgerStore, tenant: str
) -> None:
    for k, (first_size, second_size) in enumerate(SPLITS):
        log = f"{tenant}-{k}"
        first = [entry(f"a{i}") for i in range(first_size)]
        second = [entry(f"b{i}") for i in range(second_size)]
        one = append(store, log, first)
        two = append(store, log, second, now=NOW + timedelta(seconds=1))
        size = first_size + second_size
        data = [e.data for e in first + second]

        assert two.indexes == list(range(first_size, size))
        assert two.created == [True] * second_size
        assert two.checkpoint.size == size
        assert one.checkpoint.root == ref_root(data[:first_size])
        assert two.checkpoint.root == ref_root(data)
        assert list(store.checkpoints(log)) == [one.checkpoint, two.checkpoint]
        assert verify_checkpoint(two.checkpoint.note, LOG_SIGNER.verifier).size == size

        proof = consistency_proof(store, log, first_size, size)
        assert proof == ref_consistency_proof(first_size, data)
        verify_consistency(first_size, size, one.checkpoint.root, two.checkpoint.root, proof)


def test_every_entry_is_included_in_every_checkpoint_that_covers_it(
    store: LedgerStore, tenant: str
) -> None:
    outcomes = append_batches(store, tenant, [1, 2, 5, 8, 3, 13, 9])
    entries = list(store.entries(tenant))
    data = [e.data for e in entries]
    assert [e.index for e in entries] == list(range(41))
    assert [e.entry_id for e in entries] == [f"e{i}" for i in range(41)]

    checkpoints = list(store.checkpoints(tenant))
    assert checkpoints == [o.checkpoint for o in outcomes]
    assert [c.size for c in checkpoints] == [1, 3, 8, 16, 19, 32, 41]
    latest = store.latest_checkpoint(tenant)
    assert latest == checkpoints[-1]
    assert latest.root == ref_root(data)
    for e in entries:
        proof = inclusion_proof(store, tenant, e.index, latest.size)
        assert proof == ref_inclusion_proof(e.index, data)
        verify_inclusion(e.index, latest.size, e.leaf_hash, proof, latest.root)
    for checkpoint in checkpoints[:-1]:
        assert checkpoint.root == ref_root(data[: checkpoint.size])
        for e in entries[: checkpoint.size]:
            proof = inclusion_proof(store, tenant, e.index, checkpoint.size)
            verify_inclusion(e.index, checkpoint.size, e.leaf_hash, proof, checkpoint.root)


def test_the_log_keeps_the_origin_it_was_created_with(store: LedgerStore, tenant: str) -> None:
    append(store, tenant, [entry("a")], origin="first.example/log")
    later = append(store, tenant, [entry("b")], origin="second.example/log")
    assert store.origin(tenant) == "first.example/log"
    assert verify_checkpoint(later.checkpoint.note, LOG_SIGNER.verifier).origin == (
        "first.example/log"
    )


def test_an_empty_batch_returns_the_latest_checkpoint(store: LedgerStore, tenant: str) -> None:
    with pytest.raises(NotFound):
        append(store, tenant, [])
    assert store.origin(tenant) is None
    assert tenant not in store.tenants()

    first = append(store, tenant, [entry("a")])
    again = append(store, tenant, [], now=NOW + timedelta(hours=1))
    assert again == AppendOutcome([], [], first.checkpoint)
    assert list(store.checkpoints(tenant)) == [first.checkpoint]


def test_times_keep_their_instant_whatever_the_offset(store: LedgerStore, tenant: str) -> None:
    paris = timezone(timedelta(hours=2))
    when = datetime(2026, 11, 27, 11, 0, tzinfo=paris)  # 09:00 UTC
    append(
        store,
        tenant,
        [entry("p", subject="s")],
        vault=[VaultRecord("p", "/x", "s", b"sealed")],
        new_subject_keys={"s": b"wrapped"},
        now=when,
    )
    latest = store.latest_checkpoint(tenant)
    assert latest is not None
    assert latest.created_at.utcoffset() is not None
    assert latest.created_at == when == NOW
    assert store.subject_keys(tenant, ["s"])["s"].created_at == when


def test_a_checkpoint_note_can_be_replaced_by_a_cosigned_one(
    store: LedgerStore, tenant: str
) -> None:
    first = append(store, tenant, [entry("a")])
    cosigned = cosign(first.checkpoint.note, OTHER_SIGNER)
    assert cosigned != first.checkpoint.note
    store.replace_checkpoint_note(tenant, 1, cosigned)
    assert store.checkpoint(tenant, 1) == replace(first.checkpoint, note=cosigned)
    assert store.latest_checkpoint(tenant) == replace(first.checkpoint, note=cosigned)
    with pytest.raises(NotFound):
        store.replace_checkpoint_note(tenant, 2, cosigned)
    with pytest.raises(NotFound):
        store.replace_checkpoint_note(f"{tenant}-ghost", 1, cosigned)


# -- idempotency and conflicts -----------------------------------------------------------------


def test_a_retry_with_the_same_fingerprint_returns_the_index_and_creates_nothing(
    store: LedgerStore, tenant: str
) -> None:
    first = append(store, tenant, [entry("a"), entry("b"), entry("c")])
    before = snapshot(store, tenant)

    retry = append(store, tenant, [entry("c"), entry("a")], now=NOW + timedelta(hours=1))
    assert retry.indexes == [2, 0]
    assert retry.created == [False, False]
    assert retry.checkpoint == first.checkpoint  # the existing one, not one signed now
    assert snapshot(store, tenant) == before

    # The fingerprint decides, not the bytes (a retried envelope carries a new time).
    same_fingerprint = replace(entry("b", "new time"), fingerprint=entry("b").fingerprint)
    assert append(store, tenant, [same_fingerprint]).indexes == [1]
    assert store.entry_by_id(tenant, "b") == stored(1, entry("b"))
    assert snapshot(store, tenant) == before

    mixed = append(store, tenant, [entry("b"), entry("d")], now=NOW + timedelta(hours=2))
    assert mixed.indexes == [1, 3]
    assert mixed.created == [False, True]
    assert mixed.checkpoint.size == 4
    assert [c.size for c in store.checkpoints(tenant)] == [3, 4]


def test_a_conflicting_id_refuses_the_whole_batch(store: LedgerStore, tenant: str) -> None:
    append(store, tenant, [entry("a"), entry("b")])
    before = snapshot(store, tenant, subjects=["s"], vault_ids=["d"])

    batch = [entry("c"), entry("d", subject="s"), entry("a", "changed"), entry("e")]
    with pytest.raises(Conflict, match="id a is already used by entry 0 with different content"):
        append(
            store,
            tenant,
            batch,
            vault=[VaultRecord("d", "/x", "s", b"sealed")],
            new_subject_keys={"s": b"wrapped"},
            now=NOW + timedelta(hours=1),
        )

    assert snapshot(store, tenant, subjects=["s"], vault_ids=["d"]) == before
    for entry_id in "cde":
        assert store.entry_by_id(tenant, entry_id) is None
    # Nothing was consumed either: the valid entries go next, with no gap.
    after = append(store, tenant, [entry("c"), entry("d"), entry("e")])
    assert after.indexes == [2, 3, 4]
    assert [c.size for c in store.checkpoints(tenant)] == [2, 5]


def test_a_conflicting_first_batch_leaves_no_log(store: LedgerStore, tenant: str) -> None:
    with pytest.raises(Conflict, match="id a is already used by entry 0"):
        append(store, tenant, [entry("a"), entry("b"), entry("a", "changed")])
    assert store.origin(tenant) is None
    assert tenant not in store.tenants()
    assert store.latest_checkpoint(tenant) is None
    assert list(store.entries(tenant)) == []
    assert store.entry_by_id(tenant, "b") is None
    assert append(store, tenant, [entry("b")]).indexes == [0]


def test_an_id_twice_in_one_batch_is_stored_once(store: LedgerStore, tenant: str) -> None:
    outcome = append(store, tenant, [entry("a"), entry("b"), entry("a")])
    assert outcome.indexes == [0, 1, 0]
    assert outcome.created == [True, True, False]
    assert outcome.checkpoint.size == 2
    assert outcome.checkpoint.root == ref_root([entry("a").data, entry("b").data])
    assert [e.entry_id for e in store.entries(tenant)] == ["a", "b"]

    with pytest.raises(Conflict, match="id x is already used by entry 2"):
        append(store, tenant, [entry("x"), entry("x", "other")])
    assert store.entry_by_id(tenant, "x") is None
    assert [c.size for c in store.checkpoints(tenant)] == [2]


def test_a_sensitive_entry_twice_in_one_batch_keeps_the_first_vault_record(
    store: LedgerStore, tenant: str
) -> None:
    # The ledger seals each copy with its own salt; only the stored copy's value may be kept.
    first = VaultRecord("p", "/x", "s", b"sealed by the first copy")
    second = VaultRecord("p", "/x", "s", b"sealed by the second copy")
    outcome = append(
        store,
        tenant,
        [entry("p", subject="s"), entry("p", subject="s")],
        vault=[first, second],
        new_subject_keys={"s": b"wrapped"},
    )
    assert outcome.indexes == [0, 0]
    assert outcome.created == [True, False]
    assert store.vault_records(tenant, "p") == [first]


# -- the vault and erasure ---------------------------------------------------------------------


def test_vault_records_and_new_subject_keys_land_with_their_batch(
    store: LedgerStore, tenant: str
) -> None:
    records = [
        VaultRecord("p", "/b", "s1", b"sealed b"),
        VaultRecord("p", "/a", "s1", b"sealed a"),
        VaultRecord("q", "/x", "s2", b"sealed x"),
    ]
    append(
        store,
        tenant,
        [entry("p", subject="s1"), entry("q", subject="s2"), entry("plain")],
        vault=records,
        new_subject_keys={"s1": b"wrapped 1", "s2": b"wrapped 2"},
    )
    assert store.subject_keys(tenant, ["s1", "s2", "nobody"]) == {
        "s1": SubjectKey("s1", b"wrapped 1", NOW),
        "s2": SubjectKey("s2", b"wrapped 2", NOW),
    }
    assert store.vault_records(tenant, "p") == [records[1], records[0]]  # by pointer
    assert store.vault_records(tenant, "q") == [records[2]]
    assert store.vault_records(tenant, "plain") == []

    # A later batch seals under the existing key, which keeps its creation time.
    later = VaultRecord("r", "/x", "s1", b"sealed r")
    append(store, tenant, [entry("r", subject="s1")], vault=[later], now=NOW + timedelta(hours=1))
    assert store.vault_records(tenant, "r") == [later]
    assert store.subject_keys(tenant, ["s1"])["s1"] == SubjectKey("s1", b"wrapped 1", NOW)

    # Creating a key that already exists is a race the caller retries; nothing is stored.
    before = snapshot(store, tenant, subjects=["s1"], vault_ids=["t"])
    with pytest.raises(SubjectKeyRace):
        append(
            store,
            tenant,
            [entry("t", subject="s1")],
            vault=[VaultRecord("t", "/x", "s1", b"sealed t")],
            new_subject_keys={"s1": b"another key"},
        )
    assert snapshot(store, tenant, subjects=["s1"], vault_ids=["t"]) == before


def test_a_vault_record_without_a_live_key_is_refused_and_leaves_no_trace(
    store: LedgerStore, tenant: str
) -> None:
    with pytest.raises(InvalidInput, match="no vault key"):
        append(
            store,
            tenant,
            [entry("a"), entry("p", subject="ghost")],
            vault=[VaultRecord("p", "/x", "ghost", b"sealed")],
        )
    assert store.origin(tenant) is None
    assert tenant not in store.tenants()
    assert store.entry_by_id(tenant, "a") is None
    assert store.subject_keys(tenant, ["ghost"]) == {}
    assert store.vault_records(tenant, "p") == []

    append(
        store,
        tenant,
        [entry("p", subject="s")],
        vault=[VaultRecord("p", "/x", "s", b"sealed")],
        new_subject_keys={"s": b"wrapped"},
    )
    append(
        store, tenant, [entry("erasure", subject="s")], erasures=[Erasure("s", "asked", "erasure")]
    )
    before = snapshot(store, tenant, subjects=["s"], vault_ids=["p", "q"])
    with pytest.raises(InvalidInput, match="this subject was erased"):
        append(
            store,
            tenant,
            [entry("b"), entry("q", subject="s")],
            vault=[VaultRecord("q", "/x", "s", b"sealed again")],
        )
    assert snapshot(store, tenant, subjects=["s"], vault_ids=["p", "q"]) == before
    assert store.entry_by_id(tenant, "b") is None


def test_an_erasure_destroys_the_key_and_the_sealed_values(store: LedgerStore, tenant: str) -> None:
    append(
        store,
        tenant,
        [entry("p1", subject="s"), entry("p2", subject="s"), entry("o", subject="other")],
        vault=[
            VaultRecord("p1", "/x", "s", b"one"),
            VaultRecord("p2", "/y", "s", b"two"),
            VaultRecord("o", "/x", "other", b"three"),
        ],
        new_subject_keys={"s": b"wrapped s", "other": b"wrapped other"},
    )
    when = NOW + timedelta(days=1)
    outcome = append(
        store,
        tenant,
        [entry("erasure-1", subject="s")],
        erasures=[Erasure("s", "GDPR art. 17 request", "erasure-1")],
        now=when,
    )
    assert outcome.indexes == [3]
    assert outcome.checkpoint.size == 4

    assert store.subject_keys(tenant, ["s", "other"]) == {
        "s": SubjectKey("s", None, NOW, when, "GDPR art. 17 request", "erasure-1"),
        "other": SubjectKey("other", b"wrapped other", NOW),
    }
    assert store.vault_records(tenant, "p1") == [VaultRecord("p1", "/x", "s", None)]
    assert store.vault_records(tenant, "p2") == [VaultRecord("p2", "/y", "s", None)]
    assert store.vault_records(tenant, "o") == [VaultRecord("o", "/x", "other", b"three")]
    # The entries themselves stay: the log is append-only.
    assert store.entry_by_id(tenant, "p1") == stored(0, entry("p1", subject="s"))

    # An erased subject's entries lost their fingerprint: a retry of the id gets its index.
    retry = append(store, tenant, [entry("p1", "cannot be compared", subject="s")])
    assert (retry.indexes, retry.created) == ([0], [False])
    with pytest.raises(Conflict):  # the other subject's entries still compare
        append(store, tenant, [entry("o", "changed", subject="other")])

    with pytest.raises(Conflict, match="already erased"):
        append(
            store,
            tenant,
            [entry("erasure-2", subject="s")],
            erasures=[Erasure("s", "again", "erasure-2")],
        )
    with pytest.raises(InvalidInput, match="no data in this tenant's vault"):
        append(
            store,
            tenant,
            [entry("erasure-3", subject="nobody")],
            erasures=[Erasure("nobody", "why", "erasure-3")],
        )
    with pytest.raises(InvalidInput, match="needs a new entry of its own"):
        append(store, tenant, [], erasures=[Erasure("other", "no entry", "missing")])
    with pytest.raises(InvalidInput, match="needs a new entry of its own"):  # p1 is not new
        append(store, tenant, [entry("p1", subject="s")], erasures=[Erasure("other", "x", "p1")])
    assert [c.size for c in store.checkpoints(tenant)] == [3, 4]
    assert store.entry_by_id(tenant, "erasure-2") is None
    assert store.entry_by_id(tenant, "erasure-3") is None
    assert store.subject_keys(tenant, ["other"])["other"].wrapped is not None


# -- reading -----------------------------------------------------------------------------------


def test_entries_and_checkpoints_page_by_range(
    store: LedgerStore, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_store_module, "READ_CHUNK", 3)  # make the SQL store turn pages
    append_batches(store, tenant, [4, 1, 7, 2])
    everything = list(store.entries(tenant))
    assert [e.index for e in everything] == list(range(14))
    assert [e.entry_id for e in everything] == [f"e{i}" for i in range(14)]
    for start in (0, 1, 2, 3, 5, 12, 13, 14, 20):
        for stop in (None, 0, 1, 3, 4, 6, 13, 14, 30):
            assert list(store.entries(tenant, start=start, stop=stop)) == everything[start:stop]

    sizes = [4, 5, 12, 14]
    assert [c.size for c in store.checkpoints(tenant)] == sizes
    for up_to in (0, 3, 4, 5, 11, 12, 13, 14, 99):
        got = [c.size for c in store.checkpoints(tenant, up_to=up_to)]
        assert got == [s for s in sizes if s <= up_to]


def test_node_queries_agree_with_the_memory_store(
    store: LedgerStore, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_store_module, "IN_CHUNK", 2)  # make the SQL store split IN lists
    oracle = MemoryStore()
    for each in (store, oracle):
        append_batches(each, tenant, [3, 6, 1, 11])
    size = 21
    data = [e.data for e in store.entries(tenant)]

    candidates = [NodeID(level, i) for level in range(6) for i in range((size >> level) + 2)]
    hashes = store.node_hashes(tenant, candidates)
    assert hashes == oracle.node_hashes(tenant, candidates)
    assert set(hashes) == {n for n in candidates if n.end <= size}  # every perfect node, no more
    for node, value in hashes.items():
        assert value == ref_root(data[node.begin : node.end])

    inner = {n: h for n, h in hashes.items() if n.level >= 1}
    assert store.nodes_ending_in(tenant, 0, size) == inner
    for start in range(size + 2):
        for stop in range(start, size + 3):
            expected = {n: h for n, h in inner.items() if start <= n.end - 1 < stop}
            assert store.nodes_ending_in(tenant, start, stop) == expected
            assert oracle.nodes_ending_in(tenant, start, stop) == expected
    assert store.nodes_ending_in(tenant, 5, 2) == {}

    for cut in range(size + 3):
        expected_count = sum(1 for n in inner if n.end > cut)
        assert store.count_nodes_beyond(tenant, cut) == expected_count
        assert oracle.count_nodes_beyond(tenant, cut) == expected_count
    assert store.count_nodes_beyond(tenant, size) == 0


def test_tenants_do_not_see_each_other(store: LedgerStore, tenant: str) -> None:
    a, b = f"{tenant}-a", f"{tenant}-b"
    one = append(
        store,
        a,
        [entry("x", "for a"), entry("y", "for a", subject="s")],
        vault=[VaultRecord("y", "/v", "s", b"a's value")],
        new_subject_keys={"s": b"a's key"},
    )
    # The same ids and subject, other content: no conflict, a log of its own from index 0.
    two = append(
        store,
        b,
        [entry("y", "for b", subject="s"), entry("z", "for b")],
        vault=[VaultRecord("y", "/v", "s", b"b's value")],
        new_subject_keys={"s": b"b's key"},
    )
    assert one.indexes == two.indexes == [0, 1]
    assert one.checkpoint.root != two.checkpoint.root
    assert list(store.entries(a)) == [
        stored(0, entry("x", "for a")),
        stored(1, entry("y", "for a")),
    ]
    assert list(store.entries(b)) == [
        stored(0, entry("y", "for b")),
        stored(1, entry("z", "for b")),
    ]
    assert store.entry_by_id(a, "z") is None
    assert store.entry_by_id(b, "x") is None
    assert store.node_hashes(b, [NodeID(0, 0), NodeID(1, 0)]) == {
        NodeID(0, 0): entry("y", "for b").leaf_hash,
        NodeID(1, 0): two.checkpoint.root,
    }
    assert verify_checkpoint(one.checkpoint.note, LOG_SIGNER.verifier).origin == origin_for(HOST, a)
    assert verify_checkpoint(two.checkpoint.note, LOG_SIGNER.verifier).origin == origin_for(HOST, b)
    assert {a, b} <= set(store.tenants())

    # Erasing the subject in one tenant leaves the other tenant's key and values alone.
    append(store, a, [entry("erase", subject="s")], erasures=[Erasure("s", "asked", "erase")])
    assert store.subject_keys(a, ["s"])["s"].wrapped is None
    assert store.subject_keys(b, ["s"])["s"] == SubjectKey("s", b"b's key", NOW)
    assert store.vault_records(b, "y") == [VaultRecord("y", "/v", "s", b"b's value")]
    assert [c.size for c in store.checkpoints(b)] == [2]

    ghost = f"{tenant}-ghost"
    assert ghost not in store.tenants()
    assert store.origin(ghost) is None
    assert store.latest_checkpoint(ghost) is None
    assert store.checkpoint(ghost, 2) is None
    assert list(store.checkpoints(ghost)) == []
    assert list(store.entries(ghost)) == []
    assert store.entry_by_id(ghost, "x") is None
    assert store.node_hashes(ghost, [NodeID(0, 0), NodeID(1, 0)]) == {}
    assert store.nodes_ending_in(ghost, 0, 10) == {}
    assert store.count_nodes_beyond(ghost, 0) == 0
    assert store.subject_keys(ghost, ["s"]) == {}
    assert store.vault_records(ghost, "y") == []


# -- the memory store as oracle ----------------------------------------------------------------


def test_a_mixed_history_matches_the_memory_oracle(store: LedgerStore, tenant: str) -> None:
    oracle = MemoryStore()
    subjects = ["s1", "s2", "ghost", "unused"]
    vault_ids = ["p1", "p2", "p3", "q1", "late"]
    steps: list[tuple[list[NewEntry], dict[str, Any]]] = [
        ([entry("a"), entry("b"), entry("c")], {}),
        ([entry("b"), entry("d"), entry("b")], {}),
        ([entry("e"), entry("a", "changed")], {}),
        (
            [entry("p1", subject="s1"), entry("p2", subject="s1"), entry("q1", subject="s2")],
            {
                "vault": [
                    VaultRecord("p1", "/x", "s1", b"p1"),
                    VaultRecord("p2", "/x", "s1", b"p2"),
                    VaultRecord("q1", "/y", "s2", b"q1"),
                ],
                "new_subject_keys": {"s1": b"k1", "s2": b"k2", "unused": b"k3"},
            },
        ),
        ([entry("g", subject="ghost")], {"vault": [VaultRecord("g", "/x", "ghost", b"g")]}),
        ([], {}),
        ([entry("f"), entry("p1", subject="s1")], {}),
        (
            [entry("erasure-s1", subject="s1")],
            {"erasures": [Erasure("s1", "asked", "erasure-s1")]},
        ),
        ([entry("p2", "other", subject="s1"), entry("h")], {}),
        (
            [entry("p3", subject="s1")],
            {"vault": [VaultRecord("p3", "/x", "s1", b"p3")]},
        ),
        (
            [entry("late", subject="s2")],
            {"vault": [VaultRecord("late", "/z", "s2", b"late")], "new_subject_keys": {"s2": b"x"}},
        ),
        ([entry(f"bulk{i}") for i in range(17)], {}),
    ]
    for k, (entries, extra) in enumerate(steps):
        now = NOW + timedelta(minutes=k)
        expected = attempt(oracle, tenant, entries, now=now, **extra)
        assert attempt(store, tenant, entries, now=now, **extra) == expected, f"step {k}"
        assert snapshot(store, tenant, subjects, vault_ids) == snapshot(
            oracle, tenant, subjects, vault_ids
        ), f"step {k}"

    # The history did go through successes and each kind of refusal.
    checkpoints = list(store.checkpoints(tenant))
    assert [c.size for c in checkpoints] == [3, 4, 7, 8, 9, 10, 27]
    latest = checkpoints[-1]
    assert latest.root == ref_root([e.data for e in store.entries(tenant)])
    for checkpoint in checkpoints[:-1]:
        proof = consistency_proof(store, tenant, checkpoint.size, latest.size)
        assert proof == consistency_proof(oracle, tenant, checkpoint.size, latest.size)
        verify_consistency(checkpoint.size, latest.size, checkpoint.root, latest.root, proof)


# -- stateful: the SQLite store and the oracle side by side ------------------------------------


class StoreAgainstOracle(RuleBasedStateMachine):
    """Random batches (ids drawn from a small pool, now and then with other content)."""

    engine: ClassVar[Engine]

    def __init__(self) -> None:
        super().__init__()
        self.sql = SqlStore(self.engine)
        self.oracle = MemoryStore()
        self.tenant = f"machine-{uuid.uuid4().hex[:12]}"
        self.steps = 0

    @rule(
        batch=st.lists(
            st.tuples(st.integers(0, 24), st.sampled_from(["", "", "", "", "other"])),
            max_size=12,
        )
    )
    def append_batch(self, batch: list[tuple[int, str]]) -> None:
        entries = [entry(f"id{number}", content) for number, content in batch]
        self.steps += 1
        now = NOW + timedelta(seconds=self.steps)
        size = self._size()
        expected = attempt(self.oracle, self.tenant, entries, now=now)
        got = attempt(self.sql, self.tenant, entries, now=now)
        assert got == expected
        if isinstance(got, AppendOutcome):
            fresh = [i for i, created in zip(got.indexes, got.created, strict=True) if created]
            assert fresh == list(range(size, size + len(fresh)))
            assert got.checkpoint.size == size + len(fresh)

    def _size(self) -> int:
        latest = self.oracle.latest_checkpoint(self.tenant)
        return latest.size if latest else 0

    @invariant()
    def stores_agree(self) -> None:
        latest = self.sql.latest_checkpoint(self.tenant)
        assert latest == self.oracle.latest_checkpoint(self.tenant)
        entries = list(self.sql.entries(self.tenant))
        assert entries == list(self.oracle.entries(self.tenant))
        if latest is None:
            assert entries == []
            return
        assert [e.index for e in entries] == list(range(latest.size))
        assert latest.root == ref_root([e.data for e in entries])
        checkpoints = list(self.sql.checkpoints(self.tenant))
        assert checkpoints == list(self.oracle.checkpoints(self.tenant))
        for e in entries:
            proof = inclusion_proof(self.sql, self.tenant, e.index, latest.size)
            assert proof == inclusion_proof(self.oracle, self.tenant, e.index, latest.size)
            verify_inclusion(e.index, latest.size, e.leaf_hash, proof, latest.root)
        for checkpoint in checkpoints[:-1]:
            proof = consistency_proof(self.sql, self.tenant, checkpoint.size, latest.size)
            assert proof == consistency_proof(
                self.oracle, self.tenant, checkpoint.size, latest.size
            )
            verify_consistency(checkpoint.size, latest.size, checkpoint.root, latest.root, proof)


@pytest.fixture
def machine_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'machine.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_random_batches_on_sqlite_agree_with_the_oracle(machine_engine: Engine) -> None:
    machine = type("Machine", (StoreAgainstOracle,), {"engine": machine_engine})
    run_state_machine_as_test(
        machine, settings=settings(max_examples=20, stateful_step_count=10, deadline=None)
    )
