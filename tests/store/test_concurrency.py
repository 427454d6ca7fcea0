"""Concurrent writers, as threads sharing one store and as processes: no gap, no fork.

Every check runs on what the database holds afterwards: indexes 0..N-1 once each, every
checkpoint signed and consistent with the one before, and the final root recomputed from the
entries by the naive reference implementation.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import queue
import random
import threading
import traceback
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from attest.core.checkpoint import Checkpoint, origin_for, sign_checkpoint, verify_checkpoint
from attest.core.merkle import (
    CompactRange,
    consistency_ranges,
    hash_leaf,
    hash_ranges,
    nodes_for_ranges,
    verify_consistency,
)
from attest.store.base import LedgerStore, NewEntry, StoredEntry
from attest.store.sql import SqlStore, make_engine
from tests.conftest import LOG_SIGNER
from tests.core.reference import ref_root

HOST = "attest.test"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
THREADS = 8
THREAD_BATCHES = 15
PROCESSES = 4
PROCESS_BATCHES = 12
RACE_IDS = 150
START_TIMEOUT = 60  # seconds a writer waits for the others before giving up: a failure, not a pause


def _sign(checkpoint: Checkpoint) -> str:
    return sign_checkpoint(checkpoint, LOG_SIGNER)


def _entry(entry_id: str) -> NewEntry:
    data = f'{{"id":"{entry_id}","payload":"{hashlib.sha256(entry_id.encode()).hexdigest()}"}}'
    raw = data.encode()
    return NewEntry(entry_id, hash_leaf(raw), raw, hashlib.sha256(b"fp:" + raw).digest())


def _writer_batches(writer: int, batches: int) -> list[list[NewEntry]]:
    """Writer ``writer``'s batches: 1-20 fresh entries each, ids unique across writers."""
    sizes = random.Random(writer).choices(range(1, 21), k=batches)
    return [[_entry(f"w{writer}-b{b}-{i}") for i in range(size)] for b, size in enumerate(sizes)]


def _race_batches(writer: int) -> list[list[NewEntry]]:
    """The same ids for every racer, cut into batches differently and in another order."""
    ids = [f"race-{i}" for i in range(RACE_IDS)]
    if writer % 2:
        ids.reverse()
    step = 5 + 2 * writer
    return [[_entry(i) for i in ids[start : start + step]] for start in range(0, len(ids), step)]


Outcome = tuple[list[str], list[int], list[bool], int]  # ids, indexes, created, checkpoint size


def _append_all(store: LedgerStore, tenant: str, batches: list[list[NewEntry]]) -> list[Outcome]:
    outcomes = []
    for batch in batches:
        result = store.append(
            tenant, origin=origin_for(HOST, tenant), entries=batch, sign=_sign, now=NOW
        )
        ids = [e.entry_id for e in batch]
        outcomes.append((ids, result.indexes, result.created, result.checkpoint.size))
    return outcomes


def _process_writer(
    url: str, tenant: str, writer: int, race: bool, start: Any, results: Any
) -> None:
    """Child process: its own engine, wait for every writer to be connected, then append."""
    engine = make_engine(url)
    try:
        with engine.connect():
            pass
        batches = _race_batches(writer) if race else _writer_batches(writer, PROCESS_BATCHES)
        start.wait(START_TIMEOUT)
        results.put((writer, _append_all(SqlStore(engine), tenant, batches), None))
    except BaseException:
        start.abort()  # the other writers stop waiting for this one
        results.put((writer, None, traceback.format_exc()))
    finally:
        engine.dispose()


def _fail_if_silently_dead(processes: list[Any], results: Any, reports: list[Any]) -> None:
    """Fail now, not after a timeout, when a child died without a report (say, on import)."""
    dead = [w for w, p in enumerate(processes) if not p.is_alive()]
    if not dead:
        return
    try:  # what a dead child sent is already in the pipe: collect it before judging
        while True:
            reports.append(results.get(timeout=1))
    except queue.Empty:
        pass
    reported = {writer for writer, _, _ in reports}
    silent = [w for w in dead if w not in reported]
    assert not silent, f"writer processes {silent} exited without a report"


def _run_processes(url: str, tenant: str, writers: int, *, race: bool) -> list[list[Outcome]]:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(writers)
    results = context.Queue()
    processes = [
        context.Process(target=_process_writer, args=(url, tenant, w, race, start, results))
        for w in range(writers)
    ]
    for process in processes:
        process.start()
    reports: list[tuple[int, list[Outcome] | None, str | None]] = []
    try:
        while len(reports) < writers:
            try:
                reports.append(results.get(timeout=1))
            except queue.Empty:
                _fail_if_silently_dead(processes, results, reports)
    finally:
        for process in processes:
            process.join(timeout=START_TIMEOUT)
            if process.is_alive():
                process.kill()
    failures = [error for _, _, error in reports if error]
    assert not failures, "\n".join(failures)
    assert all(p.exitcode == 0 for p in processes)
    ordered = sorted(reports, key=lambda r: r[0])
    assert [writer for writer, _, _ in ordered] == list(range(writers))
    return [outcomes for _, outcomes, _ in ordered if outcomes is not None]


def _run_threads(
    store: LedgerStore, tenant: str, batches_per_writer: Sequence[list[list[NewEntry]]]
) -> list[list[Outcome]]:
    start = threading.Barrier(len(batches_per_writer))

    def write(batches: list[list[NewEntry]]) -> list[Outcome]:
        start.wait(START_TIMEOUT)
        return _append_all(store, tenant, batches)

    with ThreadPoolExecutor(len(batches_per_writer)) as pool:
        return list(pool.map(write, batches_per_writer))


def check_log(store: LedgerStore, tenant: str, expected_ids: set[str]) -> list[StoredEntry]:
    """Entries 0..N-1 once each; every checkpoint signed, correct and consistent with the last."""
    entries = list(store.entries(tenant))
    assert [e.index for e in entries] == list(range(len(entries)))
    ids = [e.entry_id for e in entries]
    assert len(ids) == len(set(ids)), "an id is stored twice"
    assert set(ids) == expected_ids
    assert all(e.leaf_hash == hash_leaf(e.data) for e in entries)
    for e in entries[::7]:
        assert store.entry_by_id(tenant, e.entry_id) == e

    checkpoints = list(store.checkpoints(tenant))
    sizes = [c.size for c in checkpoints]
    assert sizes == sorted(set(sizes))
    assert checkpoints[-1] == store.latest_checkpoint(tenant)
    assert checkpoints[-1].size == len(entries)
    compact = CompactRange()
    previous = None
    for checkpoint in checkpoints:
        signed = verify_checkpoint(checkpoint.note, LOG_SIGNER.verifier)
        assert signed == Checkpoint(origin_for(HOST, tenant), checkpoint.size, checkpoint.root)
        while compact.size < checkpoint.size:
            compact.append(entries[compact.size].leaf_hash)
        assert compact.root() == checkpoint.root
        if previous is not None:
            ranges = consistency_ranges(previous.size, checkpoint.size)
            proof = hash_ranges(ranges, store.node_hashes(tenant, nodes_for_ranges(ranges)))
            verify_consistency(
                previous.size, checkpoint.size, previous.root, checkpoint.root, proof
            )
        previous = checkpoint
    assert checkpoints[-1].root == ref_root([e.data for e in entries])
    assert store.count_nodes_beyond(tenant, len(entries)) == 0
    return entries


def check_fresh_writers(store: LedgerStore, tenant: str, outcomes: list[list[Outcome]]) -> None:
    """Writers with ids of their own: each batch got its own block of indexes and checkpoint."""
    expected = {i for per_writer in outcomes for ids, _, _, _ in per_writer for i in ids}
    entries = check_log(store, tenant, expected)
    batches = [batch for per_writer in outcomes for batch in per_writer]
    assert len(list(store.checkpoints(tenant))) == len(batches)
    assert sorted(size for *_, size in batches) == [c.size for c in store.checkpoints(tenant)]
    for ids, indexes, created, size in batches:
        assert all(created)
        assert indexes == list(range(size - len(ids), size))
        assert [entries[i].entry_id for i in indexes] == ids


def check_racers(store: LedgerStore, tenant: str, outcomes: list[list[Outcome]]) -> None:
    """Writers sending the same ids: one index per id, created by exactly one of them."""
    entries = check_log(store, tenant, {f"race-{i}" for i in range(RACE_IDS)})
    index_of = {e.entry_id: e.index for e in entries}
    creations: dict[str, int] = dict.fromkeys(index_of, 0)
    for per_writer in outcomes:
        answered = set()
        for ids, indexes, created, size in per_writer:
            assert size >= max(indexes) + 1
            for entry_id, index, was_created in zip(ids, indexes, created, strict=True):
                assert index_of[entry_id] == index
                creations[entry_id] += was_created
                answered.add(entry_id)
        assert answered == set(index_of)
    assert set(creations.values()) == {1}


# -- threads through one store -----------------------------------------------------------------


def test_threads_sharing_one_store_append_without_gap_or_fork(sql_url: str, tenant: str) -> None:
    engine = make_engine(sql_url)
    try:
        store = SqlStore(engine)
        plans = [_writer_batches(w, THREAD_BATCHES) for w in range(THREADS)]
        outcomes = _run_threads(store, tenant, plans)
        check_fresh_writers(store, tenant, outcomes)
        assert len(list(store.entries(tenant))) == sum(len(b) for p in plans for b in p)
    finally:
        engine.dispose()


def test_threads_racing_on_the_same_ids_store_each_once(sql_url: str, tenant: str) -> None:
    engine = make_engine(sql_url)
    try:
        store = SqlStore(engine)
        outcomes = _run_threads(store, tenant, [_race_batches(w) for w in range(4)])
        check_racers(store, tenant, outcomes)
    finally:
        engine.dispose()


# -- processes, each with its own engine -------------------------------------------------------


def _processes_append_without_gap_or_fork(url: str) -> None:
    tenant = f"bank-{uuid.uuid4().hex[:10]}"
    outcomes = _run_processes(url, tenant, PROCESSES, race=False)
    engine = make_engine(url)
    try:
        check_fresh_writers(SqlStore(engine), tenant, outcomes)
    finally:
        engine.dispose()


def _processes_racing_store_each_id_once(url: str) -> None:
    tenant = f"bank-{uuid.uuid4().hex[:10]}"
    outcomes = _run_processes(url, tenant, 2, race=True)
    engine = make_engine(url)
    try:
        check_racers(SqlStore(engine), tenant, outcomes)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_processes_append_to_postgresql_without_gap_or_fork(postgres_url: str) -> None:
    _processes_append_without_gap_or_fork(postgres_url)


def test_processes_append_to_one_sqlite_file_without_gap_or_fork(sqlite_url: str) -> None:
    _processes_append_without_gap_or_fork(sqlite_url)


@pytest.mark.postgres
def test_processes_racing_on_postgresql_store_each_id_once(postgres_url: str) -> None:
    _processes_racing_store_each_id_once(postgres_url)


def test_processes_racing_on_one_sqlite_file_store_each_id_once(sqlite_url: str) -> None:
    _processes_racing_store_each_id_once(sqlite_url)
