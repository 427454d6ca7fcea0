"""The PostgreSQL store refreshes planner statistics itself when a log grows fast.

The effect on append speed is measured by `make bench`; this checks the mechanism.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from attest.core.checkpoint import origin_for, sign_checkpoint
from attest.core.merkle import hash_leaf
from attest.store.base import NewEntry
from attest.store.sql import SqlStore, make_engine
from tests.conftest import LOG_SIGNER

pytestmark = pytest.mark.postgres


def _batch(start: int, count: int) -> list[NewEntry]:
    entries = []
    for i in range(start, start + count):
        data = f'{{"n":{i}}}'.encode()
        entries.append(NewEntry(f"e{i}", hash_leaf(data), data, hashlib.sha256(data).digest()))
    return entries


def test_a_log_passing_4096_entries_refreshes_the_planner_statistics(
    postgres_url: str, tenant: str
) -> None:
    engine = make_engine(postgres_url)
    store = SqlStore(engine)
    with engine.connect() as connection:
        started = connection.execute(text("SELECT now()")).scalar()
    for start in range(0, 5000, 2500):
        store.append(
            tenant,
            origin=origin_for("attest.test", tenant),
            entries=_batch(start, 2500),
            sign=lambda checkpoint: sign_checkpoint(checkpoint, LOG_SIGNER),
            now=datetime(2026, 11, 27, tzinfo=UTC),
        )
    analysed = None
    for _ in range(30):  # statistics views can lag the backend that ran ANALYZE by a moment
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_stat_clear_snapshot()"))
            analysed = connection.execute(
                text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'entries'")
            ).scalar()
        if analysed is not None and analysed >= started:
            break
        time.sleep(0.1)
    engine.dispose()
    # last_analyze records manual ANALYZE only (autovacuum has its own column).
    assert analysed is not None and analysed >= started
