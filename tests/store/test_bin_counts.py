"""The per-day bin-count cache answers exactly as counting the decisions does, through every change.

Each step (decisions decided on new days and logged later, outcomes for old decisions, revised
outcomes, a new reference profile with other bins) is applied to a SQL store and to the in-memory
store, and every query — each feature and the score, whole days, partial days, windows inside one
day, bounds equal to a decision's time to the microsecond, per day — must give the same sums.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from attest.core.bins import BinCounts
from attest.core.inventory import Tenant
from attest.core.reference_profile import Outcomes, ReferenceProfile, ReferenceRow
from attest.service.decisions import Decisions
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger
from attest.service.monitoring import Monitoring
from attest.service.projections import rebuild
from attest.store.base import BinQuery
from attest.store.memory import MemoryStore
from attest.store.sql import tables as t
from attest.store.sql.store import SqlStore
from tests.conftest import _sql_store
from tests.service.test_inventory_decisions import ARTIFACT, SYSTEM, _version
from tests.service.test_monitoring import SYSTEM_ID, _applicant, _decisions
from tests.store.test_group_sums import BATCH_TIMES, DAY0, LATER, WINDOWS, SetClock

# The same instants as the group-sum cache's tests: mid-day, a microsecond before and exactly at
# midnight, a later day; decisions are made at them here (and logged a day later).
DECIDED = BATCH_TIMES


class World:
    def __init__(self, store: Any, keyring: Any, tenant: str) -> None:
        self.clock = SetClock()
        self.ledger = Ledger(store, keyring, host="attest.test", clock=self.clock)
        inventory = Inventory(self.ledger, store)
        inventory.register_tenant(Tenant(tenant, "First Community Bank"))
        inventory.register_system(tenant, SYSTEM)
        inventory.register_model_version(tenant, _version(), ARTIFACT)
        self.decisions = Decisions(self.ledger, store, inventory)
        self.monitoring = Monitoring(self.ledger, store, inventory)
        self.store = store
        self.tenant = tenant

    def ingest(self, rows: list[dict[str, Any]], prefix: str, decided: datetime) -> None:
        """Decided at ``decided``; logged a day later (so days of decision and log differ)."""
        self.clock.now = decided + timedelta(days=1)
        batch = _decisions(rows, prefix)
        for decision in batch:
            decision["decided_at"] = decided.isoformat()
        self.decisions.ingest(self.tenant, batch, 1000)

    def outcomes(self, rows: list[dict[str, Any]], at: datetime) -> None:
        self.clock.now = at
        self.decisions.record_outcomes(self.tenant, rows, 1000)

    def profile(self, reference: list[dict[str, Any]], bins: int) -> ReferenceProfile:
        rows = [ReferenceRow(r["inputs"], r["score"], r["outcome"]) for r in reference]
        if bins != 10:  # a coarser profile: other edges, so other cached sets
            rows = rows[: bins * 20]
        _receipt, profile = self.monitoring.set_profile(
            self.tenant,
            SYSTEM_ID,
            "v1",
            rows,
            outcomes=Outcomes(("good",), "good"),
            source={"kind": "file", "name": "reference.csv"},
            by="validator-1",
        )
        return profile


@pytest.fixture
def worlds(sql_url: str, keyring: Any, tenant: str) -> Iterator[tuple[World, World]]:
    for store in _sql_store(sql_url):
        yield World(store, keyring, tenant), World(MemoryStore(), keyring, tenant)


def _queries(profile: ReferenceProfile) -> list[BinQuery]:
    queries = []
    for feature, counts in [(None, profile.score), *profile.features.items()]:
        assert counts is not None
        for since, until in WINDOWS:
            for per_day in (False, True):
                queries.append(
                    BinQuery(
                        SYSTEM_ID,
                        "v1",
                        counts.binning,
                        feature,
                        since,
                        until,
                        ("good",),
                        "good",
                        ("approve",),
                        per_day,
                    )
                )
    # Other readings of the same cached rows: no good outcome, the score as P(bad), no label
    # favourable.
    assert profile.score is not None
    queries.append(BinQuery(SYSTEM_ID, "v1", profile.score.binning, None, good_outcomes=()))
    queries.append(
        BinQuery(SYSTEM_ID, "v1", profile.score.binning, None, score_predicts="bad", per_day=True)
    )
    queries.append(BinQuery(SYSTEM_ID, "v1", profile.score.binning, "amount", favourable=()))
    # Split by a segment feature's bins: categories, and numeric bins.
    for segment in ("purpose", "term"):
        for since, until in WINDOWS[:5]:
            for per_day in (False, True):
                queries.append(
                    BinQuery(
                        SYSTEM_ID,
                        "v1",
                        profile.score.binning,
                        None,
                        since,
                        until,
                        ("good",),
                        "good",
                        per_day=per_day,
                        segment=segment,
                        segment_binning=profile.features[segment].binning,
                    )
                )
    return queries


def _assert_same(sql: World, memory: World, profile: ReferenceProfile) -> None:
    for query in _queries(profile):
        got = sql.store.bin_aggregates(sql.tenant, query)
        want = memory.store.bin_aggregates(memory.tenant, query)
        where = (
            f"{query.feature or 'score'} from {query.since} to {query.until}"
            f"{' per day' if query.per_day else ''}"
        )
        key = tuple(
            name
            for name, wanted in (
                ("day", query.per_day),
                ("segment", query.segment is not None),
                ("bin", True),
            )
            if wanted
        )
        assert [tuple(r[k] for k in key) for r in got] == [
            tuple(r[k] for k in key) for r in want
        ], where
        for g, w in zip(got, want, strict=True):
            for field, value in w.items():
                if field not in key:
                    assert float(g[field]) == pytest.approx(value, rel=1e-9, abs=1e-9), (
                        f"{field} of bin {w['bin']}, {where}"
                    )


def _cached_sets(store: SqlStore, tenant: str) -> dict[tuple[str, str], int]:
    sets = t.bin_count_sets
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(sets.c.feature, sets.c.segment, sets.c.watermark).where(sets.c.tenant == tenant)
        )
        return {(row.feature, row.segment): row.watermark for row in rows}


def _both(worlds: tuple[World, World], action: Any) -> Any:
    return [action(world) for world in worlds]


@pytest.mark.parametrize("compact_after", [10_000, 0], ids=["updated", "rebuilt"])
def test_the_cache_matches_counting_the_decisions_through_every_change(
    worlds: tuple[World, World], tenant: str, compact_after: int, monkeypatch: Any
) -> None:
    monkeypatch.setattr("attest.store.sql.day_cache.COMPACT_AFTER", compact_after)
    sql, memory = worlds
    rng = random.Random(11)
    reference = [_applicant(rng) for _ in range(300)]
    people = [_applicant(rng, shift=1.3, purposes=("car", "home")) for _ in range(150)]
    profile, _same = _both(worlds, lambda w: w.profile(reference, 10))
    for number, decided in enumerate(DECIDED):
        batch = people[number * 20 : (number + 1) * 20]
        _both(worlds, lambda w, b=batch, d=decided, n=number: w.ingest(b, f"b{n}-", d))
    _assert_same(sql, memory, profile)
    size = sql.ledger.latest_checkpoint(tenant).size
    assert set(_cached_sets(sql.store, tenant).values()) == {size}
    assert set(_cached_sets(sql.store, tenant)) == {
        ("", ""),
        ("amount", ""),
        ("term", ""),
        ("purpose", ""),
        ("", "purpose"),
        ("", "term"),
    }

    # More decisions, then outcomes for the first days' decisions.
    _both(worlds, lambda w: w.ingest(people[100:130], "c-", LATER))
    outcomes = [
        {"decision_id": f"b{i // 20}-{i % 20}", "outcome": p["outcome"]}
        for i, p in enumerate(people[:70])
    ]
    _both(worlds, lambda w: w.outcomes(outcomes, LATER + timedelta(days=2)))
    _assert_same(sql, memory, profile)

    # A second outcome replaces the first for some decisions (and is the first for others).
    revised = [
        {"decision_id": f"b{i // 20}-{i % 20}", "outcome": "bad" if i % 3 else "good"}
        for i in range(50, 100)
    ]
    _both(worlds, lambda w: w.outcomes(revised, LATER + timedelta(days=3)))
    _assert_same(sql, memory, profile)

    # A new profile with other bins: its first read builds new sets and drops the old ones.
    coarse, _same = _both(worlds, lambda w: w.profile(reference, 4))
    assert coarse.score.binning != profile.score.binning
    _assert_same(sql, memory, coarse)
    counts = t.bin_counts
    with sql.store.engine.connect() as conn:
        binnings = conn.execute(
            select(counts.c.feature, counts.c.segment, func.count(func.distinct(counts.c.binning)))
            .where(counts.c.tenant == tenant)
            .group_by(counts.c.feature, counts.c.segment)
        ).all()
    assert len(binnings) == 6 and {row[2] for row in binnings} == {1}


def test_a_rebuild_of_the_query_tables_drops_the_cache(
    worlds: tuple[World, World], tenant: str
) -> None:
    sql, memory = worlds
    rng = random.Random(3)
    reference = [_applicant(rng) for _ in range(200)]
    profile, _same = _both(worlds, lambda w: w.profile(reference, 10))
    people = [_applicant(rng) for _ in range(40)]
    _both(worlds, lambda w: w.ingest(people, "a-", DAY0))
    _assert_same(sql, memory, profile)
    assert _cached_sets(sql.store, tenant)
    rebuild(sql.store, tenant)
    assert _cached_sets(sql.store, tenant) == {}
    _assert_same(sql, memory, profile)


def test_outcomes_revised_away_leave_no_negative_residue(
    sql_url: str, keyring: Any, tenant: str
) -> None:
    """Every bad outcome of a day revised to good: the cached probability sums taken out and put
    in are added in different orders, yet the bin reads exactly 0 events and 0 event mass."""
    for store in _sql_store(sql_url):
        world = World(store, keyring, tenant)
        rng = random.Random(8)
        reference = [_applicant(rng) for _ in range(300)]
        profile = world.profile(reference, 10)
        people = [_applicant(rng) for _ in range(200)]
        for row in people:
            row["score"] = 0.3 + rng.random() / 1000
        world.ingest(people, "r-", DAY0)
        ids = [f"r-{i}" for i in range(len(people))]
        world.outcomes([{"decision_id": i, "outcome": "bad"} for i in ids], LATER)
        query = BinQuery(SYSTEM_ID, "v1", profile.score.binning, None, good_outcomes=("good",))
        assert sum(r["events"] for r in store.bin_aggregates(tenant, query)) == 200
        rng.shuffle(ids)  # taken out in another order than they were summed in
        world.outcomes([{"decision_id": i, "outcome": "good"} for i in ids], LATER)
        rows = store.bin_aggregates(tenant, query)
        assert sum(r["events"] for r in rows) == 0
        assert all(r["event_score_sum"] == 0.0 for r in rows)
        BinCounts.from_aggregates(rows, binning=profile.score.binning)  # does not refuse them


def test_a_number_logged_as_anything_else_counts_as_missing_on_every_store(
    worlds: tuple[World, World], tenant: str
) -> None:
    """Decisions of a version logged before its schema was registered are not checked: a
    numeric feature logged as text or a boolean is missing, on SQL as in the oracle."""
    sql, memory = worlds
    rng = random.Random(4)
    reference = [_applicant(rng) for _ in range(200)]
    people = [_applicant(rng) for _ in range(30)]
    people[0]["inputs"]["amount"] = "12,000"
    people[1]["inputs"]["amount"] = True
    people[2]["inputs"]["term"] = "24 months"
    for world in worlds:
        batch = _decisions(people, "u-")
        for decision in batch:
            decision["model_version"] = "v2"  # not registered yet: accepted and flagged
        world.clock.now = DAY0
        world.decisions.ingest(world.tenant, batch, 1000)
        world.monitoring.inventory.register_model_version(world.tenant, _version("v2"), ARTIFACT)
    rows = [ReferenceRow(r["inputs"], r["score"], r["outcome"]) for r in reference]
    profiles = [
        w.monitoring.set_profile(
            w.tenant,
            SYSTEM_ID,
            "v2",
            rows,
            outcomes=Outcomes(("good",), "good"),
            source={"kind": "file"},
            by="validator-1",
        )[1]
        for w in worlds
    ]
    for feature in ("amount", "term"):
        query = BinQuery(SYSTEM_ID, "v2", profiles[0].features[feature].binning, feature)
        got = sql.store.bin_aggregates(tenant, query)
        want = memory.store.bin_aggregates(tenant, query)
        assert [r["bin"] for r in got] == [r["bin"] for r in want]
        for g, w in zip(got, want, strict=True):
            assert {k: pytest.approx(v) for k, v in w.items()} == g
        missing = profiles[0].features[feature].binning.missing_index
        assert {r["bin"]: r["n"] for r in got}[missing] == (2 if feature == "amount" else 1)
    document = sql.monitoring.run(tenant, SYSTEM_ID, "v2", since=None, until=None, by="x")
    assert document["features"]["amount"]["data_quality"]["missing_rate"]["value"] == 2 / 30


def test_entries_that_sum_nothing_move_the_watermark_and_later_decisions_still_count(
    worlds: tuple[World, World], tenant: str
) -> None:
    sql, memory = worlds
    rng = random.Random(6)
    reference = [_applicant(rng) for _ in range(200)]
    profile, _same = _both(worlds, lambda w: w.profile(reference, 10))
    first = [_applicant(rng) for _ in range(30)]
    _both(worlds, lambda w: w.ingest(first, "a-", DAY0))
    _assert_same(sql, memory, profile)
    # a plan entry: the sets are stale by one entry that holds no decision or outcome
    _both(worlds, lambda w: w.monitoring.set_plan(tenant, SYSTEM_ID, "v1", {}, by="mrm"))
    size = sql.ledger.latest_checkpoint(tenant).size
    _assert_same(sql, memory, profile)
    assert set(_cached_sets(sql.store, tenant).values()) == {size}
    later = [_applicant(rng) for _ in range(20)]
    _both(worlds, lambda w: w.ingest(later, "b-", DAY0 + timedelta(days=1)))
    _both(worlds, lambda w: w.outcomes([{"decision_id": "a-1", "outcome": "bad"}], LATER))
    _assert_same(sql, memory, profile)


def test_reference_rows_are_the_windows_decisions_by_decision_time(
    worlds: tuple[World, World], tenant: str
) -> None:
    sql, memory = worlds
    rng = random.Random(2)
    people = [_applicant(rng) for _ in range(100)]
    for number, decided in enumerate(DECIDED):
        batch = people[number * 20 : (number + 1) * 20]
        _both(worlds, lambda w, b=batch, d=decided, n=number: w.ingest(b, f"b{n}-", d))
    outcomes = [{"decision_id": f"b0-{i}", "outcome": "good"} for i in range(5)]
    _both(worlds, lambda w: w.outcomes(outcomes, LATER))
    for since, until in WINDOWS:
        if since is None or until is None:
            continue
        got = sql.store.reference_rows(tenant, SYSTEM_ID, "v1", since, until)
        want = memory.store.reference_rows(tenant, SYSTEM_ID, "v1", since, until)
        assert got == want, f"{since} to {until}"
    day = sql.store.reference_rows(tenant, SYSTEM_ID, "v1", DAY0, DAY0 + timedelta(days=1))
    assert len(day) == 20 and [o for _i, _s, o in day[:6]] == ["good"] * 5 + [None]
