"""The per-day group-sum cache answers exactly as summing the decisions does, through every change.

Each step (decisions on new days, outcomes for old decisions, a new group assignment, an
erasure) is applied to a SQL store and to the in-memory store, and every query — whole days,
partial days, windows inside one day, bounds equal to a decision's time to the microsecond — must
give the same sums on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from attest.core.group_rules import parse_rules
from attest.core.inventory import Tenant
from attest.service.bias import Bias
from attest.service.decisions import Decisions
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger
from attest.store.base import GroupQuery
from attest.store.memory import MemoryStore
from attest.store.sql import tables as t
from attest.store.sql.store import SqlStore
from tests.conftest import _sql_store
from tests.service.test_bias import RULES, _population
from tests.service.test_inventory_decisions import ARTIFACT, SYSTEM, _version

SYSTEM_ID = "credit-underwriting"
DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
MIDNIGHT = DAY0 + timedelta(days=2)
# Decisions land on these instants: mid-day, a microsecond before and exactly at midnight.
BATCH_TIMES = [
    DAY0 + timedelta(hours=10),
    DAY0 + timedelta(days=1, hours=15, minutes=30),
    MIDNIGHT - timedelta(microseconds=1),
    MIDNIGHT,
    MIDNIGHT + timedelta(hours=7, microseconds=250),
]
LATER = MIDNIGHT + timedelta(days=3, hours=2)


class SetClock:
    """The time the test says, one microsecond later at each reading (times stay distinct)."""

    def __init__(self) -> None:
        self.now = DAY0

    def __call__(self) -> datetime:
        value = self.now
        self.now += timedelta(microseconds=1)
        return value


class World:
    def __init__(self, store: Any, keyring: Any, tenant: str) -> None:
        self.clock = SetClock()
        self.ledger = Ledger(store, keyring, host="attest.test", clock=self.clock)
        inventory = Inventory(self.ledger, store)
        inventory.register_tenant(Tenant(tenant, "First Community Bank"))
        inventory.register_system(tenant, SYSTEM)
        inventory.register_model_version(tenant, _version(), ARTIFACT)
        self.decisions = Decisions(self.ledger, store, inventory)
        self.bias = Bias(self.ledger, store, self.decisions)
        self.store = store
        self.tenant = tenant

    def ingest(self, people: list[dict[str, Any]], at: datetime) -> None:
        self.clock.now = at
        self.decisions.ingest(self.tenant, people, 1000)

    def outcomes(self, rows: list[dict[str, Any]], at: datetime) -> None:
        self.clock.now = at
        self.decisions.record_outcomes(self.tenant, rows, 1000)


@pytest.fixture
def worlds(sql_url: str, keyring: Any, tenant: str) -> Iterator[tuple[World, World]]:
    for store in _sql_store(sql_url):
        yield World(store, keyring, tenant), World(MemoryStore(), keyring, tenant)


# Whole days, partial days, windows inside one day, bounds equal to a decision's time.
WINDOWS: list[tuple[datetime | None, datetime | None]] = [
    (None, None),
    (DAY0, None),
    (None, MIDNIGHT),  # until exactly midnight: the microsecond before is in, midnight out
    (MIDNIGHT - timedelta(microseconds=1), MIDNIGHT + timedelta(microseconds=1)),
    (DAY0 + timedelta(hours=9), MIDNIGHT + timedelta(hours=8)),  # partial first and last day
    (DAY0 + timedelta(hours=9), DAY0 + timedelta(hours=11)),  # inside one day
    (MIDNIGHT, MIDNIGHT),  # empty
    (DAY0 + timedelta(days=1), LATER + timedelta(days=1)),
    (BATCH_TIMES[4], None),  # since equal to a decision's time to the microsecond
    (None, BATCH_TIMES[4]),
]


QUERIES = [
    {"attributes": ("age_band",)},
    {"attributes": ("race",), "good_outcomes": ("good",)},
    {"attributes": ("age_band", "sex"), "good_outcomes": ("good",)},
    {"attributes": ("sex", "race", "age_band"), "favourable": ("approve", "refer")},
    {"attributes": ("sex",), "favourable": ()},
]


def _ordered(rows: list[dict[str, Any]], names: tuple[str, ...]) -> list[dict[str, Any]]:
    kept = [r for r in rows if (r["n"] or 0) > 0]
    return sorted(kept, key=lambda r: tuple(str(r[n]) for n in names))


def _assert_same(sql: World, memory: World, tenant: str) -> None:
    for query_fields in QUERIES:
        for since, until in WINDOWS:
            query = GroupQuery(SYSTEM_ID, since=since, until=until, **query_fields)  # type: ignore[arg-type]
            names = query.attributes
            got = _ordered(sql.store.group_aggregates(tenant, query), names)
            want = _ordered(memory.store.group_aggregates(tenant, query), names)
            where = f"{names} from {since} to {until}"
            assert [{n: r[n] for n in names} for r in got] == [
                {n: r[n] for n in names} for r in want
            ], where
            for g, w in zip(got, want, strict=True):
                for field, value in w.items():
                    if field not in names:
                        assert float(g[field] or 0) == pytest.approx(value, rel=1e-9, abs=1e-9), (
                            f"{field} of {where}"
                        )


def _watermarks(store: SqlStore, tenant: str) -> dict[str, int]:
    sets = t.group_sum_sets
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(sets.c.attributes, sets.c.watermark).where(sets.c.tenant == tenant)
        )
        return {row.attributes: row.watermark for row in rows}


def _each(worlds: tuple[World, World], action: Callable[[World], None]) -> None:
    for world in worlds:
        action(world)


@pytest.mark.parametrize("compact_after", [10_000, 0], ids=["updated", "rebuilt"])
def test_the_cache_matches_summing_the_decisions_through_every_change(
    worlds: tuple[World, World], tenant: str, compact_after: int, monkeypatch: Any
) -> None:
    """Updated in place (rows added for each change), and rebuilt from scratch at every change."""
    monkeypatch.setattr("attest.store.sql.day_cache.COMPACT_AFTER", compact_after)
    sql, memory = worlds
    people = _population(150)
    for number, at in enumerate(BATCH_TIMES):
        batch = people[number * 20 : (number + 1) * 20]
        _each(worlds, lambda w, b=batch, a=at: w.ingest(b, a))
    _each(worlds, lambda w: w.bias.assign_groups(tenant, SYSTEM_ID, RULES, by="compliance-1"))
    _assert_same(sql, memory, tenant)
    size = sql.ledger.latest_checkpoint(tenant).size
    assert set(_watermarks(sql.store, tenant).values()) == {size}  # the cache served them

    # The next entry is a decision: the first one at the watermark itself.
    _each(worlds, lambda w: w.ingest(people[130:135], LATER - timedelta(hours=1)))
    _assert_same(sql, memory, tenant)

    # Outcomes for decisions of the first days, and new decisions on a later day.
    outcomes = [
        {"decision_id": p["decision_id"], "outcome": "good" if i % 3 else "bad"}
        for i, p in enumerate(people[:70])
    ]
    _each(worlds, lambda w: w.outcomes(outcomes, LATER))
    _each(worlds, lambda w: w.ingest(people[100:130], LATER + timedelta(minutes=5)))
    _assert_same(sql, memory, tenant)

    # A second outcome replaces the first for some decisions (and is the first for others).
    revised = [
        {"decision_id": p["decision_id"], "outcome": "bad" if i % 3 else "good"}
        for i, p in enumerate(people[50:110])
    ]
    _each(worlds, lambda w: w.outcomes(revised, LATER + timedelta(hours=1)))
    _assert_same(sql, memory, tenant)
    third = [{"decision_id": p["decision_id"], "outcome": "late"} for p in people[50:60]]
    _each(worlds, lambda w: w.outcomes(third, LATER + timedelta(hours=2)))
    _assert_same(sql, memory, tenant)

    # A new assignment changes the age bands: every set naming age_band is dropped and rebuilt.
    rebanded = parse_rules(
        [{"attribute": "age_band", "kind": "bands", "source": "protected.age", "bands": [30, 50]}]
    )
    _each(worlds, lambda w: w.bias.assign_groups(tenant, SYSTEM_ID, rebanded, by="compliance-1"))
    # The assignment built the sets of its attribute again (alone), up to the log's size.
    size = sql.ledger.latest_checkpoint(tenant).size
    assert _watermarks(sql.store, tenant)["age_band"] == size
    _assert_same(sql, memory, tenant)

    # Erasing an applicant removes their memberships: their decision counts under no group.
    _each(worlds, lambda w: w.ledger.erase(tenant, people[3]["subject"], "request"))
    _assert_same(sql, memory, tenant)
