"""Shared fixtures: keys, clocks, and a ledger store on memory, SQLite and PostgreSQL.

PostgreSQL tests use ``ATTEST_TEST_DATABASE_URL`` (the Makefile points it at the local server).
Each test process creates its own throw-away database there and drops it at the end. When
``ATTEST_TEST_REQUIRE_POSTGRES=1`` (as in CI) an unreachable server fails the run; otherwise those
tests are skipped with the reason shown.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from attest.core.checkpoint import SignerKey
from attest.keyring import Keyring
from attest.service.ledger import Ledger
from attest.store.base import LedgerStore
from attest.store.memory import MemoryStore
from attest.store.sql import SqlStore, make_engine
from attest.store.sql.engine import normalise_url
from attest.store.sql.schema import upgrade

POSTGRES_URL = os.environ.get("ATTEST_TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("ATTEST_TEST_REQUIRE_POSTGRES") == "1"
LOG_SIGNER = SignerKey("attest.test", bytes(range(32)))
OTHER_SIGNER = SignerKey("attest.test", bytes(range(1, 33)))
MASTER_KEY = bytes(range(100, 132))


def pytest_report_header() -> list[str]:
    import sqlite3

    where = POSTGRES_URL or "not configured"
    return [f"SQLite {sqlite3.sqlite_version}; PostgreSQL: {where} (required: {REQUIRE_POSTGRES})"]


def _unavailable(reason: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(f"PostgreSQL is required but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test process."""
    if not POSTGRES_URL:
        _unavailable("ATTEST_TEST_DATABASE_URL is not set")
    assert POSTGRES_URL
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"attest_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        _unavailable(f"{POSTGRES_URL} is unreachable ({type(error.orig).__name__})")
    url = make_url(normalise_url(POSTGRES_URL)).set(database=name).render_as_string(False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'attest.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _sql_store(url: str) -> Iterator[SqlStore]:
    engine = make_engine(url)
    yield SqlStore(engine)
    engine.dispose()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerStore]:
    """The same contract on every implementation."""
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        yield from _sql_store(request.getfixturevalue("sqlite_url"))
    else:
        yield from _sql_store(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest) -> str:
    """A migrated SQL database: SQLite file or PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def tenant() -> str:
    """A tenant of its own for each test, so tests can share a PostgreSQL database."""
    return f"bank-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def keyring() -> Keyring:
    return Keyring(LOG_SIGNER, MASTER_KEY)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """A clock that moves one second per reading, from a fixed instant."""
    start = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    ticks = itertools.count()
    return lambda: start + timedelta(seconds=next(ticks))


@pytest.fixture
def ledger(store: LedgerStore, keyring: Keyring, clock: Callable[[], datetime]) -> Ledger:
    return Ledger(store, keyring, host="attest.test", clock=clock)
